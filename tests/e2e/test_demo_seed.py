"""`loyalty demo seed` as an operator runs it (docs/demo.md), on a shop of a
smaller story (30 customers over 30 days), then the services started as
`make run` starts them: the merchant finds a shop that has been alive for
a month, not one where everything happened today."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from conftest import private_vhost
from loyalty.services import SERVICES
from services.webhooks.tests.receiver import start_receiver
from shared.webhooks_api import TOPICS
from tests.clients import Shop, System
from tests.support import ServiceProcesses, free_port, wait_for

DOMAIN = "seeded-shop.myshopify.com"
DAYS = 30


def loyalty(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loyalty.cli", *args], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def subscriber():
    """The shop's webhook receiver, subscribed to every topic before the seed."""
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(scope="module")
def seeded(database_url_factory, tmp_path_factory, subscriber):
    """(the shop, the seed's output, the environment), the services running."""
    with private_vhost() as uri:
        env = dict(
            os.environ,
            AMQP_URI=uri,
            GATEWAY_PORT=str(free_port()),
            GATEWAY_HOST="127.0.0.1",
            LOYALTY_DATA_DIR=str(tmp_path_factory.mktemp("demo")),
            LOYALTY_ALLOW_HTTP_WEBHOOKS="1",
        )
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"demo_{name}")
        created = loyalty(env, "shops", "create", DOMAIN, "--json")
        assert created.returncode == 0, created.stderr
        services = ServiceProcesses(env, tmp_path_factory.mktemp("demo-logs"))
        services.setup_broker()
        shop = Shop(System(services.base_url, uri, env["GATEWAY_DATABASE_URL"]), json.loads(created.stdout))
        try:
            services.start_all()
            subscription = shop.api(
                "POST", "/api/webhook-subscriptions", json={"url": subscriber.url, "topics": list(TOPICS)}
            )
            assert subscription.status_code == 201, subscription.text
        finally:
            services.stop_all()
        seeded = loyalty(env, "demo", "seed", "--shop", DOMAIN, "--customers", "30", "--days", str(DAYS))
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        try:
            services.start_all()
            yield shop, seeded.stdout, env
        finally:
            services.stop_all()


def overview(shop: Shop) -> dict:
    today = date.today()
    response = shop.api(
        "GET",
        "/api/dashboard",
        params={"from": (today - timedelta(days=DAYS)).isoformat(), "to": today.isoformat()},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_overview_shows_a_month_of_points_referrals_and_reviews_in_every_state(seeded):
    shop, output, _ = seeded
    board = overview(shop)
    totals = board["totals"]

    assert board["unavailable"] == []
    assert totals["points_earned"] > 0
    assert totals["points_redeemed"] > 0
    assert totals["points_refunded"] > 0
    assert totals["points_adjusted"] != 0
    assert totals["points_expired"] > 0
    assert totals["new_members"] == 30
    assert all(count > 0 for count in totals["referrals"].values()), totals["referrals"]
    assert all(count > 0 for count in totals["reviews"].values()), totals["reviews"]
    assert all(count > 0 for count in totals["google_reviews"].values()), totals["google_reviews"]
    assert f"seeded {DOMAIN}" in output


def test_the_activity_is_spread_over_the_month_not_piled_on_today(seeded):
    shop, _, _ = seeded
    series = overview(shop)["series"]

    busy_days = [day["date"] for day in series if day["earned"]]
    assert len(busy_days) >= DAYS // 2, series
    assert min(busy_days) <= (date.today() - timedelta(days=DAYS - 2)).isoformat()


def test_referrals_were_cancelled_both_before_and_after_they_completed(seeded):
    shop, _, _ = seeded
    response = shop.api(
        "GET", "/api/activities/referrals", params={"limit": 200, "from": "2000-01-01T00:00:00Z"}
    )
    assert response.status_code == 200, response.text
    cancelled = [r for r in response.json()["items"] if r["status"] == "cancelled"]

    assert any(r["completed_at"] is not None for r in cancelled), cancelled
    assert any(r["completed_at"] is None for r in cancelled), cancelled


def test_the_readmes_customer_exists_and_some_points_expire_within_the_week(seeded):
    shop, _, _ = seeded
    olivia = shop.api("GET", "/api/customers/1001")
    assert olivia.status_code == 200, olivia.text
    assert olivia.json()["customer"]["name"] == "Olivia Martin"

    members = shop.api("GET", "/api/customers", params={"limit": 200}).json()["items"]
    week = (date.today() + timedelta(days=7)).isoformat()
    assert any(m["next_expiry"] and m["next_expiry"]["date"] <= week for m in members), members
    assert any(m["status"] == "excluded" for m in members)
    assert len({m["vip_tier"] for m in members}) >= 2


def test_a_second_seed_is_refused_while_the_services_run_and_once_the_shop_is_seeded(seeded):
    _, _, env = seeded
    while_running = loyalty(env, "demo", "seed", "--shop", DOMAIN)
    assert while_running.returncode != 0
    assert "Stop `make run`" in while_running.stderr

    elsewhere = dict(env, GATEWAY_PORT=str(free_port()))
    again = loyalty(elsewhere, "demo", "seed", "--shop", DOMAIN)
    assert again.returncode != 0
    assert "already seeded" in again.stderr


def test_the_shops_webhook_subscribers_are_sent_nothing_of_the_seed(seeded, subscriber):
    shop, _, _ = seeded
    [subscription] = shop.api("GET", "/api/webhook-subscriptions").json()["items"]
    assert subscription["status"] == "active"
    test = shop.api("POST", f"/api/webhook-subscriptions/{subscription['id']}/test")
    assert test.status_code == 202, test.text

    assert wait_for(lambda: subscriber.received, timeout=30)  # deliveries do reach it
    assert [request.headers["X-Loyalty-Topic"] for request in subscriber.received] == ["test"]
