"""The storefront widget through Shopify's app proxy (SPEC §7): every request
signed by Shopify as its documentation describes (computed here from the
shop's secret, independently of the gateway's code), the signed-in customer
seeing and spending their own points."""

import hashlib
import hmac
import random
import time
import uuid

import pytest

from tests.support import wait_for


@pytest.fixture(autouse=True)
def behind_shopifys_proxy(monkeypatch):
    """The test client plays Shopify's app proxy, a trusted proxy that says
    in X-Forwarded-For which shopper it forwards."""
    monkeypatch.setenv("LOYALTY_TRUSTED_PROXIES", "127.0.0.0/8")


def signed(secret: str, params: list[tuple[str, str]]) -> str:
    """Shopify's app-proxy signature: the parameters sorted by name, each
    `name=value` with a repeated name's values joined by ",", concatenated,
    hex HMAC-SHA256 with the shared secret."""
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    message = "".join(f"{name}={','.join(values[name])}" for name in sorted(values))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def proxy(
    shop,
    method: str,
    path: str,
    customer_id: str | None = None,
    extra=(),
    timestamp: int | None = None,
    secret: str | None = None,
    signature: str | None = None,
    shopper: str | None = None,
    **kwargs,
):
    """A request as Shopify forwards `https://{shop}/apps/loyalty{path}`."""
    params = [
        *extra,
        ("shop", shop.domain),
        ("logged_in_customer_id", customer_id or ""),
        ("path_prefix", "/apps/loyalty"),
        ("timestamp", str(int(time.time()) if timestamp is None else timestamp)),
    ]
    params.append(
        ("signature", signed(secret or shop.webhook_secret, params) if signature is None else signature)
    )
    forwarded_for = shopper or f"203.0.113.{random.randint(1, 254)}"
    return shop.system.http.request(
        method,
        shop.system.url(f"/proxy{path}"),
        params=params,
        headers={"X-Forwarded-For": forwarded_for, **kwargs.pop("headers", {})},
        timeout=15,
        **kwargs,
    )


def member(shop, customer_id: str, email: str, order_total: str | None = None):
    shop.customer_created(customer_id, email)
    if order_total is not None:
        shop.order(random.randint(10**6, 10**7), customer_id, email, order_total)
    expected = int(float(order_total or 0))
    assert wait_for(
        lambda: (
            (r := shop.api("GET", f"/api/customers/{customer_id}")).status_code == 200
            and r.json()["customer"]["balance"] == expected
        )
    )


def five_off(shop) -> dict:
    return shop.api(
        "POST",
        "/api/rewards",
        json={"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 100},
    ).json()


def test_a_signed_in_customer_sees_their_points_and_link(shop):
    member(shop, "81001", "ann@example.com", "120.00")
    reward = five_off(shop)

    link = proxy(shop, "POST", "/referral-link", "81001")
    seen = proxy(shop, "GET", "/customer", "81001")

    assert link.status_code == 201
    assert link.json()["url"] == f"https://{shop.domain}/?ref={link.json()['code']}"
    assert seen.status_code == 200
    assert seen.json() == {
        "customer_id": "81001",
        "points_balance": 120,
        "pending_points": 0,
        "vip_tier": None,
        "next_expiry": None,
        "referral_link": link.json(),
        "rewards": [{"id": reward["id"], "name": "$5 off", "points_cost": 100, "redeemable": True}],
        "unavailable": [],
    }


def test_a_signed_in_customer_spends_their_own_points_once(shop):
    member(shop, "81002", "bo@example.com", "150.00")
    reward = five_off(shop)
    key = str(uuid.uuid4())

    spent = proxy(
        shop,
        "POST",
        "/redemptions",
        "81002",
        json={"reward_id": reward["id"]},
        headers={"Idempotency-Key": key},
    )
    again = proxy(
        shop,
        "POST",
        "/redemptions",
        "81002",
        json={"reward_id": reward["id"]},
        headers={"Idempotency-Key": key},
    )
    too_dear = proxy(shop, "POST", "/redemptions", "81002", json={"reward_id": reward["id"]})

    assert spent.status_code == 201, spent.text
    assert spent.json()["discount_code"]["status"] == "active"
    assert again.json()["code"] == spent.json()["code"]
    assert too_dear.status_code == 422  # 50 points left
    assert shop.api("GET", "/api/customers/81002").json()["customer"]["balance"] == 50
    audit = shop.api("GET", "/api/audit-log", params={"customer_id": "81002"}).json()["items"]
    assert [(entry["action"], entry["actor"]) for entry in audit] == [("reward_redeemed", "customer:81002")]


def test_a_signed_in_customer_writes_reviews(shop):
    member(shop, "81003", "cy@example.com")

    review = proxy(
        shop, "POST", "/reviews", "81003", json={"product_id": "p-1", "rating": 5, "title": "Great"}
    )
    google = proxy(shop, "POST", "/google-reviews", "81003", json={"review_url": "https://g.co/kgs/abc123"})
    invalid = proxy(shop, "POST", "/reviews", "81003", json={"rating": 9})

    assert review.status_code == 201
    assert review.json()["customer_id"] == "81003"
    assert google.status_code == 201
    assert google.json()["customer_id"] == "81003"
    assert invalid.status_code == 422
    reviews = shop.api("GET", "/api/activities/reviews").json()["items"]
    assert [(r["customer_id"], r["product_id"], r["status"]) for r in reviews] == [
        ("81003", "p-1", "pending")
    ]


def test_a_visitor_may_follow_and_claim_a_link_but_nothing_of_a_customers(shop):
    member(shop, "81004", "di@example.com")
    code = proxy(shop, "POST", "/referral-link", "81004").json()["code"]

    clicked = proxy(shop, "POST", f"/referrals/{code}/clicks")
    claimed = proxy(shop, "POST", f"/referrals/{code}/claims", json={"email": "friend@example.com"})
    refused = [
        proxy(shop, "GET", "/customer"),
        proxy(shop, "POST", "/referral-link"),
        proxy(shop, "POST", "/reviews", json={"product_id": "p-1", "rating": 5}),
        proxy(shop, "POST", "/google-reviews", json={"review_url": "https://g.co/kgs/x"}),
        proxy(shop, "POST", "/redemptions", json={"reward_id": 1}),
    ]

    assert clicked.status_code == 201
    assert clicked.json()["clicks"] == 1
    assert claimed.status_code == 201
    assert [r.status_code for r in refused] == [401] * 5


def test_multi_value_parameters_are_signed_joined_in_order(shop):
    member(shop, "81005", "ed@example.com")
    now = int(time.time())
    extra = [("tag", "b"), ("tag", "a"), ("ref", "")]
    # Signed over "ref=" and "tag=b,a" with the rest, sorted by name.
    signature = signed(
        shop.webhook_secret,
        [
            *extra,
            ("shop", shop.domain),
            ("logged_in_customer_id", "81005"),
            ("path_prefix", "/apps/loyalty"),
            ("timestamp", str(now)),
        ],
    )

    as_signed = proxy(shop, "GET", "/customer", "81005", extra=extra, timestamp=now, signature=signature)
    reordered = proxy(
        shop,
        "GET",
        "/customer",
        "81005",
        extra=[("tag", "a"), ("tag", "b"), ("ref", "")],
        timestamp=now,
        signature=signature,
    )
    one_value_less = proxy(
        shop,
        "GET",
        "/customer",
        "81005",
        extra=[("tag", "b"), ("ref", "")],
        timestamp=now,
        signature=signature,
    )

    assert as_signed.status_code == 200
    # The same values in another order, or one fewer, are another request.
    assert (reordered.status_code, one_value_less.status_code) == (401, 401)


def test_only_a_fresh_request_signed_by_shopify_for_this_shop_is_believed(shop, other_shop):
    member(shop, "81006", "flo@example.com")
    # Five minutes either way is the limit; the margins leave room for the
    # seconds this test itself takes.
    now = int(time.time())
    cases = {
        "fresh": proxy(shop, "GET", "/customer", "81006", timestamp=now - 250),
        "stale": proxy(shop, "GET", "/customer", "81006", timestamp=now - 330),
        "from the future": proxy(shop, "GET", "/customer", "81006", timestamp=now + 330),
        "another shop's secret": proxy(shop, "GET", "/customer", "81006", secret=other_shop.webhook_secret),
        "forged": proxy(shop, "GET", "/customer", "81006", signature="0" * 64),
        "unsigned": shop.system.http.get(
            shop.system.url("/proxy/customer"),
            params={"shop": shop.domain, "logged_in_customer_id": "81006", "timestamp": str(now)},
            timeout=10,
        ),
        "unknown shop": shop.system.http.get(
            shop.system.url("/proxy/customer"), params={"shop": "nope.myshopify.com"}, timeout=10
        ),
    }
    # Someone else's id in a request signed for this one.
    signed_for_81006 = proxy(shop, "GET", "/customer", "81006").request.url
    cases["tampered"] = shop.system.http.get(
        signed_for_81006.replace("logged_in_customer_id=81006", "logged_in_customer_id=81001"), timeout=10
    )

    assert {name: r.status_code for name, r in cases.items()} == {
        "fresh": 200,
        "stale": 401,
        "from the future": 401,
        "another shop's secret": 401,
        "forged": 401,
        "unsigned": 401,
        "unknown shop": 401,
        "tampered": 401,
    }
    assert cases["stale"].json()["error"]["code"] == "unauthorized"


def test_proxy_routes_are_rate_limited_per_shopper(shop, monkeypatch):
    # One token a minute: the count past the burst does not depend on how
    # long the requests take on a busy machine.
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_PER_MINUTE", "1")
    member(shop, "81007", "gus@example.com")
    shopper = "203.0.113.77"
    answers = [proxy(shop, "GET", "/customer", "81007", shopper=shopper) for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    # The next shopper through the same proxy is not held up.
    assert proxy(shop, "GET", "/customer", "81007", shopper="203.0.113.78").status_code == 200
