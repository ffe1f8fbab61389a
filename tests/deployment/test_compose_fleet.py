"""The docker-compose deployment as an operator runs it: a shop made with
the CLI inside the gateway container earns points and completes a
referral; three points replicas share the work without doubling an award;
a points container killed under load loses nothing and comes back."""

import json
import subprocess
import time

import pytest

from tests.clients import OrderStream, Shop, System
from tests.support import wait_for

pytestmark = pytest.mark.compose


def balance(shop: Shop, customer: str) -> int | None:
    response = shop.api("GET", f"/api/customers/{customer}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def expect_balances(shop: Shop, orders: OrderStream) -> None:
    for customer, points in orders.expected_balances().items():
        assert wait_for(lambda c=customer, p=points: balance(shop, c) == p, timeout=120), (
            customer,
            balance(shop, customer),
            points,
        )


@pytest.fixture(scope="module")
def shop(fleet) -> Shop:
    credentials = json.loads(fleet.loyalty("shops", "create", "smoke-shop.myshopify.com", "--json"))
    return Shop(System(fleet.base_url, amqp_uri="", gateway_database_url=""), credentials)


def test_a_shop_made_in_the_gateway_container_earns_points_and_completes_a_referral(shop):
    shop.customer_created("501", "referrer@example.com")
    shop.order(60001, "501", "referrer@example.com", "25.00")
    assert wait_for(lambda: balance(shop, "501") == 25, timeout=60)

    token = shop.customer_token("501")
    link = shop.storefront("POST", "/referral-links", json={"customer_id": "501", "customer_token": token})
    assert link.status_code == 201, link.text
    code = link.json()["code"]
    claim = shop.storefront("POST", f"/referrals/{code}/claims", json={"email": "friend@example.com"})
    assert claim.status_code == 201, claim.text
    shop.order(60002, "502", "friend@example.com", "40.00", discount_codes=[claim.json()["discount_code"]])

    def completed():
        items = shop.api("GET", "/api/activities/referrals").json()["items"]
        return items and items[0]["status"] == "completed" and items[0]["referrer_reward_points"] == 500

    assert wait_for(completed, timeout=60)
    assert wait_for(lambda: balance(shop, "501") == 525, timeout=60)


def test_three_points_replicas_share_the_work_without_doubling_an_award(fleet, shop):
    fleet.compose("up", "-d", "--no-recreate", "--scale", "points=3", "points")
    fleet.wait_healthy(["points"])
    replicas = fleet.containers("points")
    assert len(replicas) == 3

    orders = OrderStream(shop, customers=10, clients=4, pause=0.02).start()
    time.sleep(20)
    orders.stop()
    orders.redeliver_unanswered()
    expect_balances(shop, orders)

    handled = {c[:12]: fleet.logs(c).count("handled order_placed") for c in replicas}
    assert all(count > 0 for count in handled.values()), handled


def test_a_points_container_killed_under_load_loses_nothing_and_is_started_again(fleet, shop):
    fleet.compose("up", "-d", "--no-recreate", "--scale", "points=3", "points")
    fleet.wait_healthy(["points"])
    victim = fleet.containers("points")[0]
    restarts_before = fleet.inspect(victim)["RestartCount"]

    orders = OrderStream(shop, customers=10, clients=4, pause=0.02, first_customer=8_000_000).start()
    time.sleep(5)
    # SIGKILL to the container's process from outside, as the kernel's OOM
    # killer would do: a crash, which `restart: unless-stopped` answers
    # (a `docker kill` counts as stopped on purpose and is not restarted).
    subprocess.run(["kill", "-9", str(fleet.inspect(victim)["State"]["Pid"])], check=True)
    time.sleep(10)
    orders.stop()
    orders.redeliver_unanswered()

    expect_balances(shop, orders)
    assert wait_for(lambda: fleet.inspect(victim)["RestartCount"] > restarts_before, timeout=60)
    fleet.wait_healthy(["points"])
