"""One JSON error shape for every failure, whoever fails; never internals;
health, readiness and the dashboard."""

import re

import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.gateway.rpc import results
from services.gateway.tests.conftest import answer
from shared.errors import ServiceUnavailable


def assert_error(response, status, code):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_health_says_the_process_is_up(gateway):
    response = gateway.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_routes_and_methods_answer_json(gateway):
    assert_error(gateway.get("/nowhere"), 404, "not_found")
    assert_error(gateway.get("/api"), 404, "not_found")
    error = assert_error(gateway.request("DELETE", "/health"), 405, "method_not_allowed")
    assert "GET" in error["details"]["allowed"]


@pytest.mark.parametrize(
    "failure",
    [
        RemoteError("KeyError", "'ledger' at /srv/points/secret_internals.py line 12"),
        UnknownService("points"),
    ],
)
def test_a_failing_or_missing_service_is_503_without_its_internals(gateway, shop, failure):
    answer(gateway.points.get_customer, failure)

    response = shop.api("GET", "/api/customers/1001")

    error = assert_error(response, 503, "service_unavailable")
    assert "secret_internals" not in response.text
    assert "KeyError" not in response.text
    assert error["details"] is None


def test_an_unexpected_exception_is_500_without_a_traceback(gateway, shop):
    answer(gateway.points.get_customer, RuntimeError("boom: password=hunter2"))

    response = shop.api("GET", "/api/customers/1001")

    assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


def test_a_reply_that_is_not_json_is_500(gateway, shop):
    answer(gateway.points.get_customer, {"customer": object()})
    assert_error(shop.api("GET", "/api/customers/1001"), 500, "internal_error")


def test_malformed_json_is_400_and_a_huge_body_413(gateway, shop):
    malformed = shop.storefront(
        "POST", "/referrals/ABC/claims", data=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    huge = shop.storefront(
        "POST", "/referrals/ABC/claims", json={"email": "a@example.com", "x": "y" * 2_000_000}
    )

    assert_error(malformed, 400, "bad_request")
    assert_error(huge, 413, "payload_too_large")
    assert gateway.referrals.mock_calls == []


def test_chunked_bodies_are_read_and_limited_too(gateway, shop):
    answer(
        gateway.referrals.claim_referral,
        {"referral_id": "ref_1", "discount_code": "W-1", "status": "pending"},
    )

    def chunks(*parts):
        yield from parts

    small = shop.storefront("POST", "/referrals/ABC/claims", data=chunks(b'{"email": ', b'"a@example.com"}'))
    huge = shop.storefront("POST", "/referrals/ABC/claims", data=chunks(*[b"x" * 10_000] * 200))

    assert small.status_code == 201
    assert gateway.referrals.claim_referral.call_async.call_args.kwargs["email"] == "a@example.com"
    assert_error(huge, 413, "payload_too_large")


def test_waiting_on_a_silent_service_ends_in_service_unavailable():
    class SilentReply:
        def result(self):
            eventlet.sleep(5)

    with pytest.raises(ServiceUnavailable):
        results(SilentReply(), timeout=0.05)


def test_ready_when_the_broker_and_every_service_answer(gateway):
    for proxy in (gateway.points, gateway.referrals, gateway.reviews, gateway.webhooks):
        answer(proxy.health, {"service": "x", "database": "ok"})

    response = gateway.get("/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "broker": "ok",
        "database": "ok",
        "services": {"points": "ok", "referrals": "ok", "reviews": "ok", "webhooks": "ok"},
    }
    for proxy in (gateway.points, gateway.referrals, gateway.reviews, gateway.webhooks):
        proxy.health.call_async.assert_called_once_with()


def test_not_ready_names_the_service_that_does_not_answer(gateway):
    answer(gateway.points.health, {"service": "points", "database": "ok"})
    answer(gateway.referrals.health, {"service": "referrals", "database": "ok"})
    gateway.reviews.health.call_async.side_effect = UnknownService("reviews")
    answer(gateway.webhooks.health, {"service": "webhooks", "database": "ok"})

    response = gateway.get("/ready")

    error = assert_error(response, 503, "service_unavailable")
    assert "reviews" in error["message"]
    assert error["details"]["services"] == {
        "points": "ok",
        "referrals": "ok",
        "reviews": "unavailable",
        "webhooks": "ok",
    }


def test_the_dashboard_is_served_at_the_root_with_its_built_assets(gateway):
    page = gateway.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"  # a new build shows at once
    assert "Customers' activities" in page.text

    # Every file the page names is served with its type, cached for good
    # (its name changes with its content).
    names = re.findall(r'(?:src|href)="/dashboard/assets/([^"]+)"', page.text)
    assert {name.rsplit(".", 1)[1] for name in names} == {"js", "css"}
    for name in names:
        asset = gateway.get(f"/dashboard/assets/{name}")
        assert asset.status_code == 200
        expected = "text/javascript" if name.endswith(".js") else "text/css"
        assert asset.headers["Content-Type"].startswith(expected)
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    for elsewhere in ("secret.key", "..", "%2e%2e%2findex.html", "index.html"):
        assert_error(gateway.get(f"/dashboard/assets/{elsewhere}"), 404, "not_found")
    assert_error(gateway.get("/dashboard/app.js"), 404, "not_found")
    assert "app-bridge.js" not in page.text


def test_opened_embedded_in_the_shopify_admin_the_dashboard_loads_app_bridge_first(gateway, monkeypatch):
    monkeypatch.setenv("LOYALTY_APP_CLIENT_ID", "client-<1>")

    page = gateway.get("/", params={"embedded": "1", "shop": "a.myshopify.com", "host": "YWRtaW4"}).text

    app_bridge = page.index('<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>')
    assert app_bridge < page.index('<script type="module"')
    assert '<meta name="shopify-api-key" content="client-&lt;1&gt;">' in page


@pytest.mark.unit
def test_no_two_route_groups_name_a_route_alike():
    """The groups are joined into one class: a route named like another
    group's would silently hide it (no such route, 404)."""
    from services.gateway.routes.base import Routes
    from services.gateway.service import GatewayService

    groups = [
        cls
        for cls in GatewayService.__mro__
        if issubclass(cls, Routes) and cls not in (Routes, GatewayService)
    ]
    names = [name for group in groups for name, value in vars(group).items() if callable(value)]
    assert sorted(names) == sorted(set(names))
