"""Requests the gateway refuses cost it one log line each and leak nothing:
a JSON error however early the refusal (even a header the HTTP server
cannot read), one INFO line naming why, never a traceback; and the files
that hold customers' data are readable by their owner only."""

import logging
import os
import stat
import uuid

import pytest

from services.gateway.operations import create_shop_cli
from shared import config


def error_of(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    return response.json()["error"]


def test_an_activity_id_beyond_64_bits_names_no_activity(shop):
    for activity_id in ("9" * 25, str(2**63), "0", "１２"):
        error = error_of(shop.api("POST", f"/api/point-activities/{activity_id}/reversal"), 404)
        assert error["code"] == "not_found"


def test_a_nul_character_is_refused_at_the_door(shop):
    """PostgreSQL refuses NUL in text: one sent must never reach a service's
    query (it answered 503, with a traceback in the service's log)."""
    in_path = shop.api("GET", "/api/customers/a%00b")
    in_query = shop.api("GET", "/api/customers", params={"q": "a\x00b"})
    in_body = shop.api("POST", "/api/customers/1/points-adjustments", json={"points": 5, "reason": "a\x00b"})
    as_a_shop = shop.storefront("GET", "/discount-codes/X").request.url.replace(shop.domain, "a%00b")

    assert error_of(in_path, 404)["code"] == "not_found"
    assert error_of(in_query, 422)["details"] == [
        {"field": "q", "message": "must not contain NUL characters"}
    ]
    assert error_of(in_body, 422)["details"][0]["field"] == "reason"
    assert error_of(shop.system.http.get(as_a_shop, timeout=10), 404)["code"] == "not_found"


def test_an_oversized_idempotency_key_is_a_json_400(shop):
    response = shop.api(
        "POST",
        "/api/customers/1/points-adjustments",
        json={"points": 5, "reason": "Goodwill"},
        headers={"Idempotency-Key": "k" * 9000},
    )
    assert error_of(response, 400)["code"] == "bad_request"
    # And a key merely longer than allowed names the header.
    too_long = shop.api(
        "POST",
        "/api/customers/1/points-adjustments",
        json={"points": 5, "reason": "Goodwill"},
        headers={"Idempotency-Key": "k" * 300},
    )
    assert error_of(too_long, 422)["details"][0]["field"] == "Idempotency-Key"


def refusals(shop):
    """(expected status, path, send) for a variety of refused requests."""
    http, url = shop.system.http, shop.system.url
    order = {"id": 1, "subtotal_price": "10.00", "financial_status": "paid"}
    return [
        (401, "/webhooks/shopify", lambda: shop.webhook("orders/paid", order, secret="forged")),
        (401, "/api/customers", lambda: shop.api("GET", "/api/customers", key="lk_" + uuid.uuid4().hex)),
        (
            422,
            "/api/customers/1/points-adjustments",
            lambda: shop.api("POST", "/api/customers/1/points-adjustments", json={"points": "many"}),
        ),
        (404, "/no/such/route", lambda: http.get(url("/no/such/route"), timeout=10)),
        # Refused by a service behind the gateway (over RPC): no traceback there either.
        (404, "/api/customers/404404", lambda: shop.api("GET", "/api/customers/404404")),
        (404, "/api/referrals/nope/cancel", lambda: shop.api("POST", "/api/referrals/nope/cancel")),
        (405, "/health", lambda: http.delete(url("/health"), timeout=10)),
        (
            400,
            f"/storefront/{shop.domain}/referrals/X/claims",
            lambda: shop.storefront("POST", "/referrals/X/claims", data=b"{nope"),
        ),
        (
            401,
            f"/storefront/{shop.domain}/referral-links",
            lambda: shop.storefront(
                "POST", "/referral-links", json={"customer_id": "1", "customer_token": "0" * 64}
            ),
        ),
    ]


def test_each_refused_request_is_one_info_line_without_a_traceback(shop, caplog):
    for status, path, send in refusals(shop):
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            assert send().status_code == status
        lines = [
            record
            for record in caplog.records
            if record.name == "services.gateway.web" and repr(path) in record.getMessage()
        ]
        assert [(r.levelno, str(status) in r.getMessage()) for r in lines] == [(logging.INFO, True)], path
        assert [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text] == [], path
        assert [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith(("nameko", "services.gateway"))
        ] == [], path
        # eventlet's own access line (query strings and all) is not written.
        assert [r for r in caplog.records if r.name == "nameko.web.server"] == []


def test_a_refusal_names_its_reason_in_the_log_line(shop, caplog):
    with caplog.at_level(logging.INFO, logger="services.gateway.web"):
        shop.api("GET", "/api/customers", key="lk_" + uuid.uuid4().hex)
    assert any("401 unauthorized" in r.getMessage() for r in caplog.records)


def private(path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_databases_of_the_running_services_are_private(system, database_backend):
    if database_backend != "sqlite":
        pytest.skip("PostgreSQL keeps its own files")
    for service in ("points", "referrals", "reviews", "webhooks", "gateway"):
        path = config.database_url(service).removeprefix("sqlite:///")
        assert private(path), service
        for companion in (f"{path}-wal", f"{path}-shm"):
            if os.path.exists(companion):
                assert private(companion), companion


def test_a_new_data_dir_its_secret_key_and_database_are_private(tmp_path, monkeypatch):
    data_dir = tmp_path / "var"
    monkeypatch.setenv("LOYALTY_DATA_DIR", str(data_dir))
    monkeypatch.delenv("LOYALTY_SECRET_KEY", raising=False)
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)

    create_shop_cli("private-files.myshopify.com")

    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert private(data_dir / "secret.key")
    assert private(data_dir / "gateway.db")
