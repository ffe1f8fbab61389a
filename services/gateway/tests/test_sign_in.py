"""Signing in to the admin API, over HTTP against a real gateway (its
services mocked): keys per person or integration made, listed and revoked
with the operator's CLI; the dashboard's cookie session and its CSRF token;
a webhook secret rotated with a grace period (the gateway's clock moved);
and a shop made before all this keeping its key through the migration."""

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from loyalty.cli import main as loyalty_cli
from services.gateway.credentials import hash_token, new_api_key, new_webhook_secret
from services.gateway.operations import MIGRATIONS
from services.gateway.tests.conftest import answer, start_gateway
from shared.clock import FrozenClock, SystemClock, utcnow
from shared.migrations import alembic_config
from shared.secret_box import secret_box
from tests.support import shopify_session_token

ADJUSTED = {"activity": {"id": 1, "points": 5}, "balance": 5}
SESSION_COOKIE = "loyalty_session"


def loyalty(capsys, *argv):
    """`loyalty ARGV --json`, as the operator runs it: its JSON answer."""
    loyalty_cli([*argv, "--json"])
    return json.loads(capsys.readouterr().out)


def loyalty_refuses(*argv) -> str:
    """`loyalty ARGV` exiting with an error: its message."""
    with pytest.raises(SystemExit) as exited:
        loyalty_cli(list(argv))
    return str(exited.value.code)


def adjust(shop, key=None, **kwargs):
    return shop.api(
        "POST",
        "/api/customers/1001/points-adjustments",
        key=key,
        json={"points": 5, "reason": "Goodwill"},
        **kwargs,
    )


def actors_of_adjustments(gateway):
    return [call.kwargs["actor"] for call in gateway.points.adjust_points.call_async.call_args_list]


@pytest.fixture
def replica(running_gateway, amqp_uri):
    """A second gateway on the same database, as behind a load balancer."""
    second = start_gateway(amqp_uri, running_gateway.database_url)
    yield second
    second.close()


@pytest.fixture
def gateway_clock(gateway):
    """The gateway's clock, frozen at now and moved by the test."""
    clock = FrozenClock(utcnow())
    gateway.database.clock = clock
    yield clock
    gateway.database.clock = SystemClock()


# --- keys per person or integration --------------------------------------------------------


def test_a_key_per_person_is_shown_once_stored_as_a_hash_and_named_in_the_audit_trail(gateway, shop, capsys):
    created = loyalty(capsys, "keys", "create", "--shop", shop.domain, "--name", "Alice")
    assert set(created) == {"key", "id", "name"}
    assert created["name"] == "Alice"
    answer(gateway.points.adjust_points, ADJUSTED)

    assert adjust(shop, key=created["key"]).status_code == 201
    assert adjust(shop).status_code == 201

    assert actors_of_adjustments(gateway) == [f"api_key:Alice@{shop.id}", f"api_key:admin@{shop.id}"]
    listed = loyalty(capsys, "keys", "list", "--shop", shop.domain)
    assert [(key["name"], key["revoked_at"]) for key in listed] == [("admin", None), ("Alice", None)]
    assert listed[1]["id"] == created["id"]
    stored = json.dumps([dict(row) for row in gateway.rows("api_keys")], default=str)
    assert created["key"] not in stored
    assert hashlib.sha256(created["key"].encode()).hexdigest() in stored
    assert created["key"] not in json.dumps(listed)


def test_two_live_keys_cannot_share_a_name_and_a_name_must_be_printable(gateway, shop, capsys):
    loyalty(capsys, "keys", "create", "--shop", shop.domain, "--name", "Zapier")

    assert "already has a live key of this name" in loyalty_refuses(
        "keys", "create", "--shop", shop.domain, "--name", "Zapier"
    )
    assert "1 to 64 printable characters" in loyalty_refuses(
        "keys", "create", "--shop", shop.domain, "--name", "  "
    )
    assert "no such shop" in loyalty_refuses(
        "keys", "create", "--shop", "nowhere.myshopify.com", "--name", "A"
    )


def test_a_revoked_key_is_refused_at_once_on_every_replica(gateway, replica, shop, capsys):
    bob = loyalty(capsys, "keys", "create", "--shop", shop.domain, "--name", "Bob")
    answer(gateway.points.list_rewards, [])
    answer(replica.points.list_rewards, [])
    for base_url in (gateway.base_url, replica.base_url):
        assert shop.api("GET", "/api/rewards", key=bob["key"], base_url=base_url).status_code == 200

    revoked = loyalty(capsys, "keys", "revoke", str(bob["id"]))

    assert revoked["name"] == "Bob"
    for base_url in (gateway.base_url, replica.base_url):
        refused = shop.api("GET", "/api/rewards", key=bob["key"], base_url=base_url)
        assert refused.status_code == 401
        assert shop.api("GET", "/api/rewards", base_url=base_url).status_code == 200
    assert [
        key["revoked_at"] is not None for key in loyalty(capsys, "keys", "list", "--shop", shop.domain)
    ] == [False, True]
    assert "no such live key" in loyalty_refuses("keys", "revoke", str(bob["id"]))
    # The name is free again: Bob gets a new key.
    assert loyalty(capsys, "keys", "create", "--shop", shop.domain, "--name", "Bob")["id"] != bob["id"]


# --- the dashboard's cookie session -------------------------------------------------------------


def sign_in(gateway, key, base_url=None, **headers):
    return gateway.request("POST", "/api/session", base_url=base_url, json={"key": key}, headers=headers)


def with_cookie(response, **headers) -> dict:
    """Headers that send back the session cookie `response` set."""
    return {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}", **headers}


def test_signing_in_trades_a_key_for_an_httponly_strict_cookie_stored_as_a_hash(gateway, shop):
    signed_in = sign_in(gateway, shop.admin_key)

    assert signed_in.status_code == 201
    cookie = signed_in.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    body = signed_in.json()
    assert body["shop"] == {"id": shop.id, "domain": shop.domain, "currency": "USD"}
    assert body["actor"] == f"api_key:admin@{shop.id}"
    assert len(body["csrf_token"]) == 64
    session_id = signed_in.cookies[SESSION_COOKIE]
    assert shop.admin_key not in signed_in.text
    assert session_id not in signed_in.text
    stored = [dict(row) for row in gateway.rows("admin_sessions")]
    assert hash_token(session_id) in [row["id_hash"] for row in stored]
    assert session_id not in json.dumps(stored, default=str)
    # The page, loaded again, learns who it is and its CSRF token from the cookie alone.
    again = gateway.get("/api/session", headers=with_cookie(signed_in))
    assert again.json() == body


def test_the_page_learns_the_shops_currency_with_who_it_is(gateway):
    euro_shop = gateway.create_shop("eur")
    for response in (
        sign_in(gateway, euro_shop.admin_key),
        gateway.get("/api/session", headers={"Authorization": f"Bearer {euro_shop.admin_key}"}),
    ):
        assert response.json()["shop"]["currency"] == "EUR"


def test_the_cookie_is_secure_when_the_page_came_over_tls(gateway, shop):
    behind_tls_proxy = sign_in(gateway, shop.admin_key, **{"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls_proxy.headers["Set-Cookie"]


def test_another_sites_form_cannot_sign_a_merchant_in(gateway, shop):
    # A cross-site form can send text/plain that parses as JSON, never application/json.
    forged = gateway.post(
        "/api/session", data=json.dumps({"key": shop.admin_key}), headers={"Content-Type": "text/plain"}
    )

    assert forged.status_code == 400
    assert "Set-Cookie" not in forged.headers


@pytest.mark.parametrize("key", ["lk_" + "x" * 43, "not-a-key", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"])
def test_only_a_live_key_signs_in(gateway, shop, key):
    refused = sign_in(gateway, key)
    assert refused.status_code == 401
    assert "Set-Cookie" not in refused.headers


def test_a_cookie_session_reads_freely_but_writes_only_with_its_csrf_token(gateway, shop):
    signed_in = sign_in(gateway, shop.admin_key)
    csrf = signed_in.json()["csrf_token"]
    answer(gateway.points.list_rewards, [])
    answer(gateway.points.adjust_points, ADJUSTED)
    path = "/api/customers/1001/points-adjustments"
    body = {"points": 5, "reason": "Goodwill"}

    assert gateway.get("/api/rewards", headers=with_cookie(signed_in)).status_code == 200
    without = gateway.post(path, json=body, headers=with_cookie(signed_in))
    wrong = gateway.post(path, json=body, headers=with_cookie(signed_in, **{"X-CSRF-Token": "0" * 64}))
    other_session = sign_in(gateway, shop.admin_key).json()["csrf_token"]
    not_its_own = gateway.post(
        path, json=body, headers=with_cookie(signed_in, **{"X-CSRF-Token": other_session})
    )
    assert [r.status_code for r in (without, wrong, not_its_own)] == [403, 403, 403]
    assert without.json()["error"]["code"] == "forbidden"
    assert gateway.points.adjust_points.call_async.call_count == 0

    written = gateway.post(path, json=body, headers=with_cookie(signed_in, **{"X-CSRF-Token": csrf}))

    assert written.status_code == 201
    assert actors_of_adjustments(gateway) == [f"api_key:admin@{shop.id}"]


def test_signing_out_ends_the_session_on_every_replica(gateway, replica, shop):
    signed_in = sign_in(gateway, shop.admin_key)
    csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
    assert replica.get("/api/session", headers=with_cookie(signed_in)).status_code == 200
    assert gateway.request("DELETE", "/api/session", headers=with_cookie(signed_in)).status_code == 403

    signed_out = gateway.request("DELETE", "/api/session", headers=with_cookie(signed_in, **csrf))

    assert signed_out.status_code == 200
    assert signed_out.headers["Set-Cookie"].startswith(f"{SESSION_COOKIE}=;")  # the browser forgets it
    for base_url in (gateway.base_url, replica.base_url):
        assert (
            gateway.get("/api/session", base_url=base_url, headers=with_cookie(signed_in)).status_code == 401
        )


def test_revoking_a_key_ends_its_dashboard_sessions(gateway, shop, capsys):
    carol = loyalty(capsys, "keys", "create", "--shop", shop.domain, "--name", "Carol")
    signed_in = sign_in(gateway, carol["key"])
    assert (
        gateway.get("/api/session", headers=with_cookie(signed_in))
        .json()["actor"]
        .startswith("api_key:Carol@")
    )

    loyalty(capsys, "keys", "revoke", str(carol["id"]))

    assert gateway.get("/api/session", headers=with_cookie(signed_in)).status_code == 401


def test_a_session_ends_after_12_hours_without_use(gateway, gateway_clock, shop):
    signed_in = sign_in(gateway, shop.admin_key)

    def still_signed_in():
        return gateway.get("/api/session", headers=with_cookie(signed_in)).status_code == 200

    gateway_clock.advance(hours=11, minutes=59)
    assert still_signed_in()  # and used: 12 idle hours start again
    gateway_clock.advance(hours=11, minutes=59)
    assert still_signed_in()
    gateway_clock.advance(hours=12)
    assert not still_signed_in()


def test_a_bearer_credential_needs_no_csrf_token_and_wins_over_a_cookie(gateway, shop, other_shop):
    signed_in = sign_in(gateway, other_shop.admin_key)
    answer(gateway.points.adjust_points, ADJUSTED)

    written = adjust(shop, headers=with_cookie(signed_in))

    assert written.status_code == 201
    assert actors_of_adjustments(gateway) == [f"api_key:admin@{shop.id}"]


# --- webhook secret rotation ---------------------------------------------------------------------


def test_a_rotated_secret_verifies_during_the_grace_period_and_not_after(
    gateway, gateway_clock, shop, capsys
):
    old = shop.webhook_secret
    rotated = loyalty(capsys, "shops", "rotate-secret", shop.domain, "--grace-hours", "24")
    new = rotated["webhook_secret"]
    assert new != old
    assert new not in json.dumps([dict(row) for row in gateway.rows("shops")], default=str)
    answer(gateway.referrals.create_referral_link, {"code": "ANN-1"})
    answer(gateway.points.list_rewards, [])

    def accepted(secret):
        """Whether a webhook, a customer_token and a session token made with
        `secret` are each accepted."""
        webhook = shop.webhook("customers/create", {"id": 1, "email": "ann@example.com"}, secret=secret)
        link = shop.storefront(
            "POST",
            "/referral-links",
            json={"customer_id": "1001", "customer_token": shop.customer_token("1001", secret)},
        )
        token = shopify_session_token(shop.domain, secret)
        admin = gateway.get("/api/rewards", headers={"Authorization": f"Bearer {token}"})
        return [webhook.status_code == 200, link.status_code == 201, admin.status_code == 200]

    assert accepted(old) == [True, True, True]
    assert accepted(new) == [True, True, True]
    valid_until = datetime.fromisoformat(rotated["previous_secret_valid_until"])
    assert valid_until - gateway_clock.now() == pytest.approx(timedelta(hours=24), abs=timedelta(seconds=30))
    gateway_clock.set(valid_until - timedelta(seconds=1))
    assert accepted(old) == [True, True, True]

    gateway_clock.set(valid_until)

    assert accepted(old) == [False, False, False]
    assert accepted(new) == [True, True, True]


def test_a_rotation_without_grace_or_a_second_one_forgets_the_replaced_secret(gateway, shop, capsys):
    first = loyalty(capsys, "shops", "rotate-secret", shop.domain, "--grace-hours", "0")
    assert first["previous_secret_valid_until"] is None
    assert shop.webhook("customers/create", {"id": 2}).status_code == 401

    second = loyalty(capsys, "shops", "rotate-secret", shop.domain)

    valid_until = datetime.fromisoformat(second["previous_secret_valid_until"])
    assert valid_until > utcnow() + timedelta(hours=23)
    assert shop.webhook("customers/create", {"id": 3}, secret=first["webhook_secret"]).status_code == 200
    assert shop.webhook("customers/create", {"id": 4}, secret=second["webhook_secret"]).status_code == 200
    assert "0 to 720 hours" in loyalty_refuses("shops", "rotate-secret", shop.domain, "--grace-hours", "-1")


# --- shops created before per-person keys ------------------------------------------------------


def test_a_shop_made_before_the_migration_keeps_its_key_and_secret(
    amqp_uri, running_gateway, database_url_factory, capsys, monkeypatch
):
    url = database_url_factory("gateway_before")
    command.upgrade(alembic_config(MIGRATIONS, url), "0001")
    api_key, secret = new_api_key(), new_webhook_secret()
    engine = create_engine(url)
    with engine.begin() as conn:  # the tables as revision 0001 made them
        conn.execute(
            text(
                "INSERT INTO shops (id, domain, name, webhook_secret_encrypted, created_at)"
                " VALUES ('shp_old', 'old-shop.myshopify.com', 'old-shop', :secret, :now)"
            ),
            {"secret": secret_box().encrypt(secret), "now": utcnow().replace(tzinfo=None)},
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (shop_id, label, key_hash, created_at)"
                " VALUES ('shp_old', 'admin', :key_hash, :now)"
            ),
            {"key_hash": hash_token(api_key), "now": utcnow().replace(tzinfo=None)},
        )
    engine.dispose()

    upgraded = start_gateway(amqp_uri, url)  # migrates to head as it starts
    try:
        answer(upgraded.points.list_rewards, [])
        headers = {"Authorization": f"Bearer {api_key}"}
        assert upgraded.get("/api/rewards", headers=headers).status_code == 200
        monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
        [key] = loyalty(capsys, "keys", "list", "--shop", "old-shop.myshopify.com")
        assert (key["name"], key["revoked_at"]) == ("admin", None)
        token = shopify_session_token("old-shop.myshopify.com", secret)
        assert upgraded.get("/api/rewards", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        upgraded.close()
