"""The webhooks service is killed (SIGKILL) while a merchant's endpoint
holds a delivery's POST open: once it is started again, the endpoint gets
that delivery again with the same X-Loyalty-Event-Id and a valid
signature, the delivery log shows it delivered once, and no other
delivery or event is lost, doubled or sent out of order."""

import threading
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from services.webhooks.tests.receiver import Reply, start_receiver
from tests.resilience.conftest import fleet_on_private_vhost
from tests.support import wait_for

SUBSCRIPTIONS = "/api/webhook-subscriptions"
# The killed delivery waits out its lease (the receiver's timeout plus a
# margin, services/webhooks/operations.py) before it is sent again.
DELIVERED_WITHIN_SECONDS = 120


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def services(services_env, tmp_path):
    """The five services as processes, on a vhost of their own, allowed to
    deliver over http to the test's receiver on loopback."""
    with fleet_on_private_vhost(services_env, tmp_path, LOYALTY_ALLOW_HTTP_WEBHOOKS="1") as processes:
        yield processes


def attempts(shop, subscription_id: str) -> list[dict]:
    """The whole delivery log, every page."""
    items, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = shop.api("GET", f"{SUBSCRIPTIONS}/{subscription_id}/deliveries", params=params)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return items


def deliveries_in_database(services, subscription_id: str) -> list[tuple]:
    """(event id, status, attempts, lease) of the subscription's deliveries."""
    engine = create_engine(services.env["WEBHOOKS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    text(
                        "SELECT event_id, status, attempts, claimed_until FROM deliveries "
                        "WHERE subscription_id = :subscription"
                    ),
                    {"subscription": subscription_id},
                )
            ]
    finally:
        engine.dispose()


def test_a_delivery_cut_off_by_a_killed_sender_is_sent_again_and_logged_once(services, receiver):
    shop = services.system.create_shop()
    created = shop.api("POST", SUBSCRIPTIONS, json={"url": receiver.url, "topics": ["points.earned"]})
    assert created.status_code == 201, created.text
    subscription = created.json()
    released = threading.Event()
    receiver.replies.append(Reply(hold=released))  # the first delivery's POST hangs
    for customer in ("701", "702", "703"):
        shop.customer_created(customer, f"c{customer}@example.com")

    # 701's first order reaches the endpoint, which keeps the POST open; 702's
    # is scheduled meanwhile (the sender is busy with the held one).
    shop.order(70101, "701", "c701@example.com", "10.00")
    assert wait_for(lambda: receiver.received, timeout=60), services.logs()
    held = receiver.received[0]
    shop.order(70201, "702", "c702@example.com", "20.00")
    assert wait_for(
        lambda: [
            row
            for row in deliveries_in_database(services, subscription["id"])
            if row[0] != held.headers["X-Loyalty-Event-Id"]
        ],
        timeout=60,
    )

    services.kill("webhooks")
    released.set()  # the answer goes nowhere: the sender is gone
    # Events published while the service is down wait in its queues.
    shop.order(70102, "701", "c701@example.com", "30.00")
    shop.order(70301, "703", "c703@example.com", "40.00")
    services.start("webhooks")

    def all_delivered() -> list[dict]:
        log = attempts(shop, subscription["id"])
        return log if len({a["event_id"] for a in log if a["outcome"] == "delivered"}) == 4 else []

    log = wait_for(all_delivered, timeout=DELIVERED_WITHIN_SECONDS)
    assert log, (attempts(shop, subscription["id"]), services.logs())

    # The cut-off delivery came again: same event id, same body, signed.
    held_id = held.headers["X-Loyalty-Event-Id"]
    again = [r for r in receiver.received if r.headers["X-Loyalty-Event-Id"] == held_id]
    assert len(again) >= 2
    assert all(r.signed_with(subscription["signing_secret"]) and r.body == held.body for r in again)
    assert held.document["data"]["reference"] == "70101"

    # The log: one delivered attempt per event, each its own delivery.
    assert Counter(a["event_id"] for a in log) == Counter({a["event_id"]: 1 for a in log})
    assert {a["outcome"] for a in log} == {"delivered"}
    assert len({a["delivery_id"] for a in log}) == 4
    # Each order's points reached the endpoint, none missing or extra.
    documents = {r.headers["X-Loyalty-Event-Id"]: r.document for r in receiver.received}
    assert set(documents) == {a["event_id"] for a in log}
    assert sorted(d["data"]["reference"] for d in documents.values()) == ["70101", "70102", "70201", "70301"]
    assert all(r.signed_with(subscription["signing_secret"]) for r in receiver.received)
    # Nothing left pending or leased, so nothing is sent again later.
    rows = deliveries_in_database(services, subscription["id"])
    assert (
        sorted((status, tries, leased) for _, status, tries, leased in rows) == [("delivered", 1, None)] * 4
    )

    # 701's second order went out only after its first was delivered.
    references = [r.document["data"]["reference"] for r in receiver.received]
    last_first = len(references) - 1 - references[::-1].index("70101")
    assert references.index("70102") > last_first
