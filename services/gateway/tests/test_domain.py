"""Shopify bodies -> our event payloads, and the sign-in rules (no nameko,
no database)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.gateway import domain, shopify_webhooks
from shared.errors import Unauthorized, Unprocessable
from shared.events import CustomerCreated, OrderLineItem, OrderPlaced, OrderRefunded

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)


def test_paid_order_becomes_order_placed_with_every_field():
    event = shopify_webhooks.event_for_webhook(
        "orders/paid",
        {
            "id": 450789469,
            "name": "#1001",
            "order_number": 1001,
            "email": "bob@example.com",
            "customer": {
                "id": 207119551,
                "email": "other@example.com",
                "first_name": "Bob",
                "last_name": "Ray",
            },
            "financial_status": "paid",
            "subtotal_price": "99.90",
            "total_price": "104.90",
            "currency": "USD",
            "discount_codes": [{"code": "WELCOME-AB12", "amount": "10.00"}],
            "created_at": "2026-11-20T10:00:00-05:00",
            "line_items": [
                {"id": 1, "product_id": 632910392, "title": "IPod Nano - 8GB", "quantity": 1},
                {"id": 2, "product_id": None, "title": "Custom engraving"},
            ],
        },
    )
    assert event == OrderPlaced(
        order_id="450789469",
        order_name="#1001",
        customer_id="207119551",
        email="bob@example.com",
        first_name="Bob",
        last_name="Ray",
        financial_status="paid",
        subtotal=Decimal("99.90"),
        total=Decimal("104.90"),
        currency="USD",
        discount_codes=["WELCOME-AB12"],
        # A custom item (no product) has nothing to name in a review.
        line_items=[OrderLineItem(product_id="632910392", title="IPod Nano - 8GB")],
        created_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
    )
    assert event.is_paid


def test_order_falls_back_to_order_number_customer_email_and_total():
    event = shopify_webhooks.event_for_webhook(
        "orders/create",
        {
            "id": 7,
            "order_number": 1002,
            "email": "",
            "customer": {"id": 9, "email": "cy@example.com"},
            "financial_status": "pending",
            "total_price": "12.50",
        },
    )
    assert (event.order_name, event.email, event.subtotal, event.total) == (
        "#1002",
        "cy@example.com",
        Decimal("12.50"),
        Decimal("12.50"),
    )
    assert event.customer_id == "9"
    assert not event.is_paid


def test_guest_order_has_no_customer():
    event = shopify_webhooks.event_for_webhook("orders/paid", {"id": 8, "subtotal_price": "5.00"})
    assert (event.customer_id, event.email, event.order_name, event.discount_codes) == (None, None, None, [])


def test_order_without_any_price_names_the_field():
    with pytest.raises(Unprocessable) as raised:
        shopify_webhooks.event_for_webhook("orders/paid", {"id": 8})
    assert raised.value.details[0]["field"] == "subtotal_price"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subtotal_price": "1.00"}, "id"),
        ({"id": 1, "subtotal_price": "ten"}, "subtotal_price"),
        ({"id": 1, "subtotal_price": "-1.00"}, "subtotal_price"),
        ({"id": 1, "subtotal_price": "1.00", "discount_codes": [{"amount": "1"}]}, "discount_codes.0.code"),
        ({"id": 1, "subtotal_price": "1.00", "customer": {"email": "x@example.com"}}, "customer.id"),
        (
            {"id": 1, "subtotal_price": "1.00", "line_items": [{"product_id": 7, "title": "T" * 256}]},
            "line_items.0.title",
        ),
        (
            {"id": 1, "subtotal_price": "1.00", "line_items": [{"product_id": "9" * 65}]},
            "line_items.0.product_id",
        ),
        (
            {"id": 1, "subtotal_price": "1.00", "line_items": [{"product_id": 7, "title": "a\x00b"}]},
            "line_items.0.title",
        ),
        (
            {"id": 1, "subtotal_price": "1.00", "customer": {"id": 1, "first_name": "A" * 201}},
            "customer.first_name",
        ),
    ],
)
def test_invalid_order_bodies_name_the_field(body, field):
    with pytest.raises(Unprocessable) as raised:
        shopify_webhooks.event_for_webhook("orders/create", body)
    assert field in [d["field"] for d in raised.value.details]


def test_refund_amount_is_the_sum_of_refunded_line_subtotals():
    event = shopify_webhooks.event_for_webhook(
        "refunds/create",
        {
            "id": 929361462,
            "order_id": 450789469,
            "created_at": "2026-11-21T10:00:00Z",
            "refund_line_items": [{"quantity": 1, "subtotal": "19.99"}, {"quantity": 2, "subtotal": "10.01"}],
            "transactions": [{"amount": "41.00", "kind": "refund", "status": "success", "currency": "EUR"}],
        },
    )
    assert event == OrderRefunded(
        order_id="450789469",
        refund_id="929361462",
        amount=Decimal("30.00"),
        currency="EUR",
        created_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
    )


def test_refund_without_line_items_counts_its_successful_refund_transactions():
    event = shopify_webhooks.event_for_webhook(
        "refunds/create",
        {
            "id": 2,
            "order_id": 1,
            "customer": {"id": 55},
            "transactions": [
                {"amount": "15.00", "kind": "refund", "status": "success"},
                {"amount": "5.50"},
                {"amount": "99.00", "kind": "refund", "status": "failure"},
                {"amount": "7.00", "kind": "capture", "status": "success"},
            ],
        },
    )
    assert event.amount == Decimal("20.50")
    assert event.customer_id == "55"


def test_refund_of_nothing_is_zero():
    assert shopify_webhooks.event_for_webhook("refunds/create", {"id": 3, "order_id": 1}).amount == Decimal(0)


def test_customer_created():
    event = shopify_webhooks.event_for_webhook(
        "customers/create",
        {
            "id": 207119551,
            "email": "ann@example.com",
            "first_name": "Ann",
            "last_name": "Lee",
            "addresses": [],
        },
    )
    assert event == CustomerCreated(
        customer_id="207119551", email="ann@example.com", first_name="Ann", last_name="Lee"
    )


def test_only_the_four_topics_are_supported():
    assert all(
        shopify_webhooks.is_supported(t)
        for t in ("orders/create", "orders/paid", "refunds/create", "customers/create")
    )
    assert not shopify_webhooks.is_supported("orders/updated")
    assert not shopify_webhooks.is_supported(None)


def test_a_body_that_is_not_an_object_is_unprocessable():
    with pytest.raises(Unprocessable):
        shopify_webhooks.event_for_webhook("customers/create", [1, 2])


# --- sign-in rules -----------------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_a_rotated_shop_has_both_secrets_in_force_until_the_grace_period_ends():
    shop = domain.Shop(
        "shp_1", "a.myshopify.com", "a", "s3cret-new", "s3cret-old", T0 + domain.rotation_grace(24)
    )

    assert shop.secrets_in_force(T0) == ("s3cret-new", "s3cret-old")
    assert shop.secrets_in_force(T0 + timedelta(hours=24) - timedelta(microseconds=1)) == (
        "s3cret-new",
        "s3cret-old",
    )
    assert shop.secrets_in_force(T0 + timedelta(hours=24)) == ("s3cret-new",)
    assert domain.Shop("shp_1", "a.myshopify.com", "a", "only").secrets_in_force(T0) == ("only",)
    assert "s3cret" not in repr(shop)  # a logged shop shows no secret


@pytest.mark.parametrize("hours", [-1, 721, float("nan")])
def test_a_grace_period_is_0_to_30_days(hours):
    with pytest.raises(Unprocessable):
        domain.rotation_grace(hours)


def test_a_session_lives_12_idle_hours_and_its_use_is_written_once_a_minute():
    assert domain.session_is_live(T0, T0 + timedelta(hours=12) - timedelta(seconds=1))
    assert not domain.session_is_live(T0, T0 + timedelta(hours=12))
    assert not domain.session_needs_touch(T0, T0 + timedelta(seconds=59))
    assert domain.session_needs_touch(T0, T0 + timedelta(minutes=1))


@pytest.mark.parametrize(
    "dest",
    [
        None,
        42,
        "http://a.myshopify.com",
        "https://a.myshopify.com/admin",
        "https://a.myshopify.com:444",
        "https://user@a.myshopify.com",
        "https://a.myshopify.com?x=1",
        "https://[::1",
        "https://",
    ],
)
def test_a_session_tokens_dest_must_be_a_shop(dest):
    with pytest.raises(Unauthorized):
        domain.shop_domain_of_dest(dest)


def test_a_session_tokens_dest_names_the_shop():
    assert domain.shop_domain_of_dest("https://A.myshopify.com/") == "a.myshopify.com"


@pytest.mark.parametrize("sub", ["", "x" * 65, "74\n123"])
def test_a_staff_id_must_be_short_and_printable(sub):
    with pytest.raises(Unauthorized):
        domain.staff_actor(sub)
    assert domain.staff_actor("74123") == "staff:74123"


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there"])
def test_a_keys_name_must_be_short_and_printable(name):
    with pytest.raises(Unprocessable):
        domain.key_name(name)
    assert domain.key_name("  Alice (support) ") == "Alice (support)"


# --- the app proxy's signature ------------------------------------------------------------


def test_the_app_proxy_signature_is_shopifys_published_example():
    """Shopify's documented example (secret "hush"): a repeated parameter's
    values joined by ",", everything but the signature sorted by name."""
    from urllib.parse import parse_qs

    from services.gateway.proxy_signature import proxy_signature, verify_proxy_request

    query = (
        "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1"
        "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
        "&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
    )
    params = parse_qs(query, keep_blank_values=True)
    shop = domain.Shop("shp_1", "shop-name.myshopify.com", "shop-name", "hush")

    assert proxy_signature("hush", params) == params["signature"][0]
    caller = verify_proxy_request(shop, params, now=datetime.fromtimestamp(1317327555 + 299, UTC))
    assert (caller.shop, caller.customer_id) == (shop, "1")
    with pytest.raises(Unauthorized):
        verify_proxy_request(shop, params, now=datetime.fromtimestamp(1317327555 + 301, UTC))
    with pytest.raises(Unauthorized):
        verify_proxy_request(
            shop, {**params, "extra": ["2", "1"]}, now=datetime.fromtimestamp(1317327555, UTC)
        )
