"""Errors raised by a real service on the other side of RPC: ours arrive as
themselves and keep their status; anything else is a 503 that shows no
internals. A second gateway on the same database (a replica) is used, with
a stand-in points service in place of the real one."""

import pytest
from nameko.containers import ServiceContainer
from nameko.rpc import rpc

from services.gateway.service import GatewayService
from services.gateway.tests.conftest import Gateway, free_port
from shared.errors import NotFound


class StandInPoints:
    name = "points"

    @rpc
    def get_customer(self, shop_id, customer_id):
        if customer_id == "crash":
            raise KeyError("ledger internals of " + shop_id)
        raise NotFound("no such customer", {"customer_id": customer_id})


@pytest.fixture(scope="module")
def replica(running_gateway, amqp_uri):
    port = free_port()
    containers = [
        ServiceContainer(StandInPoints, {"AMQP_URI": amqp_uri}),
        ServiceContainer(
            GatewayService,
            {
                "AMQP_URI": amqp_uri,
                "DATABASE_URL": running_gateway.database_url,
                "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            },
        ),
    ]
    for container in containers:
        container.start()
    replica = Gateway(f"http://127.0.0.1:{port}", running_gateway.database_url, None, None, None)
    try:
        yield replica
    finally:
        replica.http.close()
        replica.engine.dispose()
        for container in containers:
            container.stop()


def test_a_remote_not_found_is_404_with_its_message_and_details(replica, shop):
    response = shop.api("GET", "/api/customers/1001", base_url=replica.base_url)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no such customer", "details": {"customer_id": "1001"}}
    }


def test_a_remote_crash_is_503_without_internals(replica, shop):
    response = shop.api("GET", "/api/customers/crash", base_url=replica.base_url)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "ledger" not in response.text
    assert "KeyError" not in response.text
    assert shop.id not in response.text
