"""Orders earn once however the platform and the broker repeat themselves;
failures are parked and replayed, never lost."""

import json
import os
import subprocess
import sys
import uuid

from kombu import Connection

from conftest import private_vhost
from loyalty.services import all_handler_queues
from shared.dead_letters import list_dead_letters
from shared.events import OrderPlaced, make_event
from shared.outbox import events_exchange
from tests.support import loyalty_cli, wait_for


def balance(shop, customer_id):
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def earned_rows(shop, customer_id):
    rows = shop.api("GET", "/api/activities/points", params={"type": "earned"}).json()["items"]
    return [r for r in rows if r["customer_id"] == customer_id]


def test_same_webhook_twice_and_create_plus_paid_earn_once(shop):
    shop.customer_created("3001", "lena@example.com")
    webhook_id = str(uuid.uuid4())
    first = shop.order(7001, "3001", "lena@example.com", "99.90", webhook_id=webhook_id)
    repeat = shop.order(7001, "3001", "lena@example.com", "99.90", webhook_id=webhook_id)
    assert first.json()["status"] == "accepted"
    assert repeat.json()["status"] == "duplicate"
    shop.order(7001, "3001", "lena@example.com", "99.90", topic="orders/create")

    assert wait_for(lambda: balance(shop, "3001") == 99)  # floor(99.90 × 1)
    marker_order = shop.order(7002, "3001", "lena@example.com", "1.00")
    assert marker_order.status_code == 200
    assert wait_for(lambda: balance(shop, "3001") == 100)
    rows = earned_rows(shop, "3001")
    assert sorted(r["points"] for r in rows) == [1, 99]
    assert {r["action"] for r in rows} == {"Placed order #7001", "Placed order #7002"}


def test_unpaid_order_creates_member_without_points(shop):
    shop.order(7101, "3101", "mo@example.com", "50.00", financial_status="pending", topic="orders/create")
    assert wait_for(lambda: balance(shop, "3101") == 0)


def publish_raw(amqp_uri, body):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(
            body,
            exchange=events_exchange("gateway"),
            routing_key=body["type"],
            serializer="json",
            message_id=body["event_id"],
            declare=[events_exchange("gateway")],
        )


def test_redelivered_event_has_one_effect(system, shop):
    event = make_event(
        "gateway",
        shop.id,
        OrderPlaced(
            order_id="7201",
            order_name="#7201",
            customer_id="3201",
            email="ned@example.com",
            financial_status="paid",
            subtotal="25.00",
        ),
    ).model_dump(mode="json")
    for _ in range(3):
        publish_raw(system.amqp_uri, event)
    assert wait_for(lambda: balance(shop, "3201") == 25)
    shop.order(7202, "3201", "ned@example.com", "5.00")  # a later event: the repeats are done by now
    assert wait_for(lambda: balance(shop, "3201") == 30)


def test_event_that_keeps_failing_is_dead_lettered_then_replayed_once(system, shop, monkeypatch):
    from services.points import service as points_service

    def broken(*args, **kwargs):
        raise RuntimeError("points ledger unavailable (injected)")

    monkeypatch.setattr(points_service, "award_points_for_order", broken)
    shop.order(7301, "3301", "olga@example.com", "42.00")

    def dead_letter(letters):
        return [d for d in letters if d["body"]["shop_id"] == shop.id and d["event_type"] == "order_placed"]

    # Waited for in this process (cheap to ask often), then read as an
    # operator reads it: `loyalty dead-letters list`.
    assert wait_for(lambda: dead_letter(list_dead_letters(system.amqp_uri, all_handler_queues())), timeout=30)
    listed = loyalty_cli(system, "dead-letters", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    letters = dead_letter(json.loads(listed.stdout))
    assert len(letters) == 1
    assert "injected" in letters[0]["error"]
    assert balance(shop, "3301") in (None, 0)

    monkeypatch.undo()  # the fault is fixed
    replayed = loyalty_cli(system, "dead-letters", "replay", letters[0]["id"])
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1" in replayed.stdout
    assert wait_for(lambda: balance(shop, "3301") == 42)
    shop.order(7302, "3301", "olga@example.com", "1.00")
    assert wait_for(lambda: balance(shop, "3301") == 43)
    assert dead_letter(list_dead_letters(system.amqp_uri, all_handler_queues())) == []


def test_loyalty_ping_reports_whether_a_service_answers(system):
    """The backends' docker-compose healthcheck."""
    answered = loyalty_cli(system, "ping", "points")
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout) == {"service": "points", "database": "ok"}

    with private_vhost() as empty_broker:  # no service listens there
        env = dict(os.environ, AMQP_URI=empty_broker)
        silent = subprocess.run(
            [sys.executable, "-m", "loyalty.cli", "ping", "reviews", "--timeout", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert silent.returncode != 0
    assert "reviews did not answer" in silent.stderr
