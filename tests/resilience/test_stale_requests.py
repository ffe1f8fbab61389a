"""A merchant's command that no service picked up in time is answered 503
and never takes effect later: the gateway's RPC requests expire in the
service's queue when it stops waiting (services/gateway/rpc.py)."""

import pytest

from tests.resilience.conftest import fleet_on_private_vhost
from tests.support import wait_for


@pytest.fixture
def services(services_env, tmp_path):
    """The five services as processes, on a vhost of their own, with a
    gateway that waits 2 s for an answer."""
    with fleet_on_private_vhost(services_env, tmp_path, LOYALTY_RPC_TIMEOUT_SECONDS="2") as processes:
        yield processes


def adjust(shop, points: int):
    return shop.api(
        "POST", "/api/customers/501/points-adjustments", json={"points": points, "reason": "Goodwill"}
    )


def test_an_adjustment_answered_503_while_points_is_down_is_not_applied_when_it_returns(services):
    shop = services.system.create_shop()
    shop.customer_created("501", "kim@example.com")
    assert wait_for(lambda: shop.api("GET", "/api/customers/501").status_code == 200, timeout=30)

    services.stop("points")
    refused = adjust(shop, 100)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "service_unavailable"

    services.start("points")
    services.wait_until_ready()
    # Points answers again (the refused command was still queued when it
    # came back); the command the merchant was told had failed never applies.
    assert wait_for(lambda: shop.api("GET", "/api/customers/501").status_code == 200, timeout=30)
    assert adjust(shop, 7).status_code == 201
    assert shop.api("GET", "/api/customers/501").json()["customer"]["balance"] == 7
