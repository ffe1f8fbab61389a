"""Random requests at every door (hypothesis): webhooks, the admin API, the
storefront and the app proxy get random methods, path segments, headers and
bodies. Whatever arrives: never a 5xx, never a traceback in the logs, and a
refused request changes nothing. Signed webhooks with random field values
are either taken in or refused, never 4xx/5xx, and what was taken in is
exactly what the balances show; nothing ends in a dead-letter queue.

Bounded (LOYALTY_FUZZ_EXAMPLES, default 60 and 40) and derandomized, so
`make test` runs the same examples in seconds; raise the number locally
to search further."""

import json
import logging
import os
import random
import time
from decimal import ROUND_FLOOR, Decimal
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyalty.services import all_handler_queues
from services.gateway.models import metadata as gateway_metadata
from shared.db import make_engine
from shared.dead_letters import list_dead_letters
from tests.support import wait_for

EXAMPLES = int(os.environ.get("LOYALTY_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- what is thrown -----------------------------------------------------------------------

ROUTES = [
    ("POST", "/webhooks/shopify"),
    ("GET", "/api/customers"),
    ("GET", "/api/customers/{segment}"),
    ("PATCH", "/api/customers/{segment}"),
    ("POST", "/api/customers/{segment}/points-adjustments"),
    ("POST", "/api/customers/{segment}/redemptions"),
    ("PUT", "/api/customers/{segment}/exclusion"),
    ("DELETE", "/api/customers/{segment}/exclusion"),
    ("POST", "/api/point-activities/{segment}/reversal"),
    ("GET", "/api/activities/points"),
    ("GET", "/api/activities/points.csv"),
    ("GET", "/api/orders/{segment}"),
    ("GET", "/api/discount-codes/{segment}"),
    ("POST", "/api/referrals/{segment}/cancel"),
    ("POST", "/api/reviews/{segment}/approve"),
    ("POST", "/api/google-reviews/{segment}/reject"),
    ("PUT", "/api/program"),
    ("POST", "/api/rewards"),
    ("GET", "/storefront/{shop}/customers/{segment}"),
    ("POST", "/storefront/{shop}/referral-links"),
    ("POST", "/storefront/{shop}/referrals/{segment}/clicks"),
    ("POST", "/storefront/{shop}/referrals/{segment}/claims"),
    ("POST", "/storefront/{shop}/reviews"),
    ("POST", "/storefront/{shop}/google-reviews"),
    ("GET", "/storefront/{shop}/discount-codes/{segment}"),
    ("OPTIONS", "/storefront/{shop}/reviews"),
    ("GET", "/proxy/customer"),
    ("POST", "/proxy/redemptions"),
    ("POST", "/proxy/referrals/{segment}/claims"),
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]

printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Bodies shaped like ours, with any values in the fields we read.
FIELDS = [
    "customer_id",
    "customer_token",
    "points",
    "reason",
    "reward_id",
    "email",
    "product_id",
    "rating",
    "review_url",
    "name",
    "birthday",
    "vip_tier",
    "id",
    "subtotal_price",
    "financial_status",
    "kind",
    "points_cost",
    "value",
]
shaped_bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    shaped_bodies.map(lambda value: json.dumps(value).encode()),
)
segments = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.sampled_from(["1", "0", "-1", "9" * 30, "..", "%00", "95001"]),
)


@st.composite
def requests_at_the_doors(draw):
    method, template = draw(st.sampled_from(ROUTES))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(METHODS))
    segment = quote(draw(segments), safe="")
    headers = {
        name: draw(printable).strip()  # what an HTTP client can send at all
        for name in draw(
            st.lists(
                st.sampled_from(
                    [
                        "Content-Type",
                        "Origin",
                        "Idempotency-Key",
                        "X-Forwarded-For",
                        "X-Shopify-Topic",
                        "X-Shopify-Shop-Domain",
                        "X-Shopify-Webhook-Id",
                        "X-Shopify-Hmac-Sha256",
                        "Transfer-Encoding-Ignored",
                    ]
                ),
                unique=True,
                max_size=5,
            )
        )
    }
    auth = draw(st.sampled_from(["none", "garbage", "admin key"]))
    query = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "shop",
                        "signature",
                        "timestamp",
                        "logged_in_customer_id",
                        "customer_token",
                        "cursor",
                        "limit",
                        "from",
                        "type",
                        "q",
                    ]
                ),
                printable,
            ),
            max_size=4,
        )
    )
    return method, template, segment, headers, auth, query, draw(bodies)


# Any value, valid or not, for each field of an order we read.
ANY_ORDER_VALUE = {
    "subtotal_price": st.one_of(
        st.integers(min_value=-(10**15), max_value=10**15),
        st.floats(),
        st.sampled_from(["1e30", "NaN", "12,50", "$5", "-0.01", "1000000000000.001", "", " 7.5 ", "1.0001"]),
        st.text(max_size=10),
    ),
    "financial_status": st.one_of(st.none(), st.text(max_size=40), st.integers()),
    # Never a value pydantic would read as a boolean: those are the valid ones.
    "test": st.one_of(st.none(), st.sampled_from(["maybe", "2", "", "TRUE!"]), st.integers(min_value=2)),
    "customer": st.one_of(st.fixed_dictionaries({"id": st.text(max_size=70)}), json_values),
    "name": st.one_of(st.none(), st.text(max_size=80)),
    "email": st.one_of(st.none(), st.text(max_size=30), st.just("x" * 330)),
    "currency": st.one_of(
        st.none(), st.sampled_from(["USD", "eur", "KWD", "dollars", "US$", ""]), st.text(max_size=4)
    ),
    "order_number": st.integers(min_value=-(10**20), max_value=10**20),
    "discount_codes": st.lists(st.fixed_dictionaries({"code": st.text(max_size=20)}), max_size=3),
    "created_at": st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=20)),
}


@st.composite
def webhook_orders(draw, customers):
    """A valid order, then up to two of its fields given any value at all:
    many are taken in, many refused."""
    body = {
        "subtotal_price": draw(
            st.one_of(
                st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False).map(str),
                st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False).map(str),
                st.integers(min_value=0, max_value=10**12),
            )
        ),
        "financial_status": draw(st.sampled_from(["paid", "PAID", "pending", "voided", "refunded"])),
        "test": draw(st.booleans()),
        "customer": {"id": draw(st.sampled_from(customers))},
        "currency": "USD",
    }
    for field in draw(st.lists(st.sampled_from(sorted(ANY_ORDER_VALUE)), unique=True, max_size=2)):
        body[field] = draw(ANY_ORDER_VALUE[field])
    return body


# --- what must hold -----------------------------------------------------------------------


@pytest.fixture
def fuzzed_shop(system, monkeypatch):
    """A shop with a member, a reward, a referral link and a review to aim
    at; a generous rate limit, so the fuzz reaches the routes behind it."""
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_BURST", "100000")
    shop = system.create_shop()
    shop.customer_created("95001", "fuzz@example.com")
    shop.order(96001, "95001", "fuzz@example.com", "300.00")
    assert wait_for(lambda: balance(shop, "95001") == 300)
    assert (
        shop.api(
            "POST",
            "/api/rewards",
            json={"name": "$5", "kind": "fixed_amount", "value": "5", "points_cost": 50},
        ).status_code
        == 201
    )
    token = shop.customer_token("95001")
    shop.code = shop.storefront(
        "POST", "/referral-links", json={"customer_id": "95001", "customer_token": token}
    ).json()["code"]
    shop.storefront(
        "POST",
        "/reviews",
        json={"customer_id": "95001", "customer_token": token, "product_id": "p", "rating": 5},
    )
    return shop


def balance(shop, customer_id):
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def snapshot(shop, gateway_engine) -> dict:
    """What a request could have changed, as the merchant and the database see it."""
    api = {
        path: shop.api("GET", path, params={"limit": 200, "from": "2000-01-01T00:00:00Z"}).json()
        for path in (
            "/api/customers",
            "/api/activities/points",
            "/api/activities/referrals",
            "/api/activities/reviews",
            "/api/activities/google-reviews",
            "/api/audit-log",
            "/api/rewards",
            "/api/program",
        )
    }
    with gateway_engine.connect() as conn:
        rows = {
            name: conn.execute(
                select(func.count()).select_from(table).where(table.c.shop_id == shop.id)
            ).scalar()
            for name, table in gateway_metadata.tables.items()
            if "shop_id" in table.c and name != "shops"
        }
    return {"api": api, "rows": rows}


@pytest.fixture
def gateway_engine(system):
    engine = make_engine(system.gateway_database_url)
    yield engine
    engine.dispose()


def no_tracebacks(records) -> list[str]:
    return [
        record.getMessage()
        for record in records
        if record.exc_info
        or record.exc_text
        or record.levelno >= logging.ERROR
        or (record.levelno >= logging.WARNING and record.name.startswith(("services", "nameko", "shared")))
        or "Traceback" in record.getMessage()
    ]


def test_random_requests_at_every_door_are_never_a_5xx_and_a_refusal_changes_nothing(
    fuzzed_shop, gateway_engine, caplog
):
    shop = fuzzed_shop
    http = shop.system.http
    state = {"before": snapshot(shop, gateway_engine)}

    @FUZZ
    @given(request=requests_at_the_doors())
    def throw(request):
        method, template, segment, headers, auth, query, body = request
        path = template.format(shop=shop.domain, segment=segment)
        if auth == "admin key":
            headers["Authorization"] = f"Bearer {shop.admin_key}"
        elif auth == "garbage":
            headers["Authorization"] = f"Bearer lk_{random.getrandbits(64):x}"
        if path.startswith("/proxy") and not any(name == "shop" for name, _ in query):
            query.append(("shop", shop.domain))
        response = http.request(
            method, shop.system.url(path), params=query, data=body, headers=headers, timeout=30
        )

        assert response.status_code < 500, (method, path, response.status_code, response.text[:300])
        after = snapshot(shop, gateway_engine)
        if response.status_code >= 400:
            assert after == state["before"], (method, path, response.status_code, response.text[:300])
        state["before"] = after

    with caplog.at_level(logging.INFO):
        throw()
    assert no_tracebacks(caplog.records) == []


CUSTOMERS = ["95101", "95102", "95103"]


def points_for(body) -> int:
    """What an order taken in earns at the default program (1 point per unit,
    rounded down): only a paid, real order of a known customer."""
    customer = body.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else None
    if isinstance(customer_id, bool) or str(customer_id).strip() not in CUSTOMERS:
        return 0
    if str(body["financial_status"]).lower() != "paid" or body["test"] is not False:
        return 0
    amount = body["subtotal_price"]
    amount = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount).strip())
    return int(amount.to_integral_value(rounding=ROUND_FLOOR))


def test_signed_webhooks_with_random_values_are_taken_in_or_refused_and_nothing_dies(system, shop, caplog):
    for customer in CUSTOMERS:
        shop.customer_created(customer, f"c{customer}@example.com")
    expected = dict.fromkeys(CUSTOMERS, 0)
    answers = {"accepted": 0, "refused": 0}
    order_ids = iter(range(97_000_000, 98_000_000))

    @settings(FUZZ, max_examples=max(10, EXAMPLES * 2 // 3))
    @given(body=webhook_orders(CUSTOMERS))
    def deliver(body):
        body = {**body, "id": next(order_ids)}
        response = shop.webhook("orders/paid", body)
        assert response.status_code == 200, (body, response.status_code, response.text[:300])
        status = response.json()["status"]
        assert status in ("accepted", "refused"), response.json()
        answers[status] += 1
        if status == "accepted":
            points = points_for(body)
            if points:
                expected[str(body["customer"]["id"]).strip()] += points

    with caplog.at_level(logging.INFO):
        deliver()
        # A good order per customer after all of them: once it is counted,
        # every earlier one has been handled (or would be failing by now).
        for n, customer in enumerate(CUSTOMERS):
            shop.order(98_000_000 + n, customer, f"c{customer}@example.com", "1.00")
        for customer in CUSTOMERS:
            assert wait_for(lambda c=customer: balance(shop, c) == expected[c] + 1, timeout=30), (
                customer,
                balance(shop, customer),
                expected[customer] + 1,
            )
        time.sleep(1.0)  # the test retry ladder (100 + 200 + 300 ms) has run out

    # The examples did exercise both ways in, and earned something.
    assert answers["accepted"] > 0
    assert answers["refused"] > 0
    assert sum(expected.values()) > 0
    letters = list_dead_letters(system.amqp_uri, all_handler_queues())
    assert [letter for letter in letters if letter["body"]["shop_id"] == shop.id] == []
    assert no_tracebacks(caplog.records) == []
