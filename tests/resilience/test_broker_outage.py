"""The broker goes away under load, three times: no service process exits,
webhooks keep being accepted (the gateway's outbox holds them), admin calls
fail fast with a 503 meanwhile, and once the broker is back everything
reconnects by itself and every order is awarded exactly once."""

import time

import pytest
import requests
from sqlalchemy import create_engine, text

from loyalty.services import SERVICES
from tests.clients import OrderStream, Shop, System
from tests.resilience.conftest import unpublished_outbox_rows
from tests.support import ServiceProcesses, wait_for

OUTAGES = 3
OUTAGE_SECONDS = 10
# The gateway's bound on one RPC (services/gateway: RPC_TIMEOUT_SECONDS),
# plus the HTTP round trip.
RPC_TIMEOUT_SECONDS = 10.0


def awarded_orders(points_database_url: str, shop_id: str) -> dict[str, int]:
    """How many `earned` entries each order has in the ledger."""
    engine = create_engine(points_database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT reference, count(*) FROM point_activities "
                    "WHERE shop_id = :shop AND type = 'earned' AND reference LIKE 'order:%' "
                    "GROUP BY reference"
                ),
                {"shop": shop_id},
            ).all()
    finally:
        engine.dispose()
    return {reference.removeprefix("order:"): count for reference, count in rows}


def timed_admin_call(shop: Shop) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = shop.api("GET", "/api/activities/points", params={"limit": 1})
    return time.monotonic() - started, response


@pytest.fixture
def system_on_private_broker(private_rabbit, services_env, tmp_path):
    env = dict(services_env, AMQP_URI=private_rabbit.amqp_uri)
    services = ServiceProcesses(env, tmp_path)
    services.setup_broker()
    services.start_all()
    try:
        yield services, System(services.base_url, private_rabbit.amqp_uri, env["GATEWAY_DATABASE_URL"])
    finally:
        services.stop_all()


def test_services_ride_out_three_broker_outages_under_load(private_rabbit, system_on_private_broker):
    services, system = system_on_private_broker
    shop = system.create_shop()
    orders = OrderStream(shop, pause=0.4).start()
    outage_calls = []
    try:
        for _ in range(OUTAGES):
            time.sleep(1.5)  # steady load before each outage
            accepted_before = len(orders.accepted)
            private_rabbit.stop()
            stopped_at = time.monotonic()
            outage_calls.append(timed_admin_call(shop))
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
            assert len(orders.accepted) > accepted_before, "no webhook was accepted while the broker was down"
            private_rabbit.start()
            assert services.exited() == {}, services.logs()
        assert wait_for(services.ready, timeout=60), services.logs()
    finally:
        orders.stop()

    assert orders.unanswered == []
    assert len(orders.accepted) > 200
    for took, response in outage_calls:
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "service_unavailable"
        assert took <= RPC_TIMEOUT_SECONDS + 1
    assert shop.api("GET", "/api/activities/points").status_code == 200

    expected_orders = {str(order_id) for order_id, _, _ in orders.accepted}
    points_url = services.env["POINTS_DATABASE_URL"]
    assert wait_for(lambda: set(awarded_orders(points_url, shop.id)) >= expected_orders, timeout=180), (
        f"{len(expected_orders - set(awarded_orders(points_url, shop.id)))} orders not awarded"
    )
    assert set(awarded_orders(points_url, shop.id).values()) == {1}
    for customer, points in orders.expected_balances().items():
        assert shop.api("GET", f"/api/customers/{customer}").json()["customer"]["balance"] == points
    for name in SERVICES:
        database_url = services.env[f"{name.upper()}_DATABASE_URL"]
        assert wait_for(lambda url=database_url: unpublished_outbox_rows(url) == 0, timeout=30), name
    assert services.exited() == {}, services.logs()
