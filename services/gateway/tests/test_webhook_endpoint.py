"""POST /webhooks/shopify: signed by the shop or refused; each delivery
recorded once as an event in the gateway's outbox, which the relay
publishes to `gateway.events`."""

import json
import uuid
from decimal import Decimal

import eventlet
import pytest
import requests
from kombu import Connection, Queue

from services.gateway.domain import webhook_signature
from shared.events import parse_event
from shared.outbox import events_exchange
from tests.support import wait_for

ORDER = {
    "id": 820982911946154508,
    "name": "#9999",
    "order_number": 9999,
    "email": "jon@example.com",
    "customer": {"id": 115310627314723954, "email": "jon@example.com"},
    "financial_status": "paid",
    "subtotal_price": "199.65",
    "total_price": "210.65",
    "currency": "USD",
    "discount_codes": [{"code": "WELCOME-1", "amount": "10.00", "type": "fixed_amount"}],
    "created_at": "2026-11-20T10:00:00Z",
}


@pytest.fixture
def gateway_events(amqp_uri):
    """Everything published to `gateway.events`, read from a queue of our own
    (declared before anything is published)."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = Queue(
            f"test-gateway-events-{uuid.uuid4().hex[:8]}",
            exchange=events_exchange("gateway"),
            routing_key="#",
            exclusive=True,
            auto_delete=True,
        )(channel)
        queue.declare()
        received = []

        def receive(shop_id, count):
            """At least `count` events of this shop (other tests' shops publish too)."""

            def arrived():
                while (message := queue.get(no_ack=True)) is not None:
                    if json.loads(message.body)["shop_id"] == shop_id:
                        received.append(message)
                return len(received) >= count and received

            return wait_for(arrived, timeout=10) or received

        yield receive


def order_placed_rows(*shops):
    return [row for shop in shops for row in shop.outbox() if row["event_type"] == "order_placed"]


def test_a_signed_order_is_accepted_recorded_and_published(gateway, shop, gateway_events):
    response = shop.webhook("orders/paid", ORDER, webhook_id="wh-1")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    event_id = response.json()["event_id"]
    assert response.json() == {"status": "accepted", "event_id": event_id}
    [row] = shop.outbox()
    assert (row["event_id"], row["event_type"], row["shop_id"]) == (event_id, "order_placed", shop.id)

    [message] = gateway_events(shop.id, 1)
    assert message.properties["message_id"] == event_id
    assert message.delivery_info["routing_key"] == "order_placed"
    event = parse_event(json.loads(message.body))
    assert (str(event.event_id), event.shop_id, event.source) == (event_id, shop.id, "gateway")
    payload = event.payload
    assert payload.order_id == "820982911946154508"
    assert payload.order_name == "#9999"
    assert payload.customer_id == "115310627314723954"
    assert payload.email == "jon@example.com"
    assert payload.financial_status == "paid"
    assert (payload.subtotal, payload.total, payload.currency) == (
        Decimal("199.65"),
        Decimal("210.65"),
        "USD",
    )
    assert payload.discount_codes == ["WELCOME-1"]
    assert payload.created_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert wait_for(lambda: shop.outbox()[0]["published_at"] is not None)


@pytest.mark.parametrize(
    "forgery", ["wrong secret", "no signature", "empty signature", "unknown shop", "body changed"]
)
def test_an_unsigned_or_forged_webhook_is_refused_and_records_nothing(gateway, shop, other_shop, forgery):
    outbox_before, deliveries_before = len(gateway.outbox()), len(gateway.rows("webhook_deliveries"))
    if forgery == "wrong secret":
        response = shop.webhook("orders/paid", ORDER, secret=other_shop.webhook_secret)
    elif forgery == "no signature":
        response = shop.webhook("orders/paid", ORDER, signature=False)
    elif forgery == "empty signature":
        response = shop.webhook("orders/paid", ORDER, signature="")
    elif forgery == "unknown shop":
        response = shop.webhook("orders/paid", ORDER, domain="nobody.myshopify.com")
    else:
        signed_for = json.dumps(ORDER).encode()
        from services.gateway.domain import webhook_signature

        response = shop.webhook(
            "orders/paid",
            None,
            raw=signed_for.replace(b"199.65", b"999.65"),
            signature=webhook_signature(shop.webhook_secret, signed_for),
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert len(gateway.outbox()) == outbox_before
    assert len(gateway.rows("webhook_deliveries")) == deliveries_before


def test_the_same_delivery_twice_is_one_event(gateway, shop, other_shop):
    first = shop.webhook("orders/paid", ORDER, webhook_id="wh-same")
    again = shop.webhook("orders/paid", ORDER, webhook_id="wh-same")
    # Webhook ids are the shop's own: another shop may use the same one.
    theirs = other_shop.webhook("orders/paid", ORDER, webhook_id="wh-same")

    assert first.json()["status"] == "accepted"
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert theirs.json()["status"] == "accepted"
    rows = order_placed_rows(shop, other_shop)
    assert [row["event_id"] for row in rows] == [first.json()["event_id"], theirs.json()["event_id"]]
    deliveries = shop.deliveries() + other_shop.deliveries()
    assert {(d["shop_id"], d["webhook_id"], d["event_id"]) for d in deliveries} == {
        (shop.id, "wh-same", first.json()["event_id"]),
        (other_shop.id, "wh-same", theirs.json()["event_id"]),
    }


def test_concurrent_repeats_of_one_delivery_are_one_event(gateway, shop):
    def deliver(_):
        # One HTTP session per green thread: requests sessions are not shared.
        with requests.Session() as http:
            body = json.dumps(ORDER).encode()
            return http.post(
                gateway.base_url + "/webhooks/shopify",
                data=body,
                timeout=10,
                headers={
                    "X-Shopify-Topic": "orders/paid",
                    "X-Shopify-Shop-Domain": shop.domain,
                    "X-Shopify-Webhook-Id": "wh-race",
                    "X-Shopify-Hmac-Sha256": webhook_signature(shop.webhook_secret, body),
                },
            ).json()["status"]

    statuses = list(eventlet.GreenPool(6).imap(deliver, range(6)))

    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 5
    assert len(order_placed_rows(shop)) == 1
    assert len(shop.deliveries()) == 1


def test_create_then_paid_are_two_order_placed_events_for_points_to_dedupe(gateway, shop):
    created = shop.webhook("orders/create", {**ORDER, "financial_status": "pending"})
    paid = shop.webhook("orders/paid", ORDER)

    assert created.json()["status"] == paid.json()["status"] == "accepted"
    rows = order_placed_rows(shop)
    assert [r["event_id"] for r in rows] == [created.json()["event_id"], paid.json()["event_id"]]
    payloads = [r["body"]["payload"] for r in rows]
    assert [p["financial_status"] for p in payloads] == ["pending", "paid"]
    assert {p["order_id"] for p in payloads} == {"820982911946154508"}
    assert {p["subtotal"] for p in payloads} == {"199.65"}


def test_refunds_and_new_customers_become_their_events(gateway, shop):
    refund = shop.webhook(
        "refunds/create",
        {
            "id": 509562969,
            "order_id": 820982911946154508,
            "created_at": "2026-11-21T09:00:00Z",
            "refund_line_items": [{"subtotal": "59.99"}, {"subtotal": "20.01"}],
            "transactions": [{"amount": "85.00", "kind": "refund", "status": "success", "currency": "USD"}],
        },
    )
    customer = shop.webhook(
        "customers/create",
        {"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob", "last_name": "Norman"},
    )

    assert refund.status_code == customer.status_code == 200
    bodies = {row["event_type"]: row["body"] for row in shop.outbox()}
    assert bodies["order_refunded"]["payload"] == {
        "order_id": "820982911946154508",
        "refund_id": "509562969",
        "customer_id": None,
        "amount": "80.00",
        "currency": "USD",
        "created_at": "2026-11-21T09:00:00Z",
    }
    assert bodies["customer_created"]["payload"] == {
        "customer_id": "706405506930370084",
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "Norman",
    }


def test_a_topic_we_do_not_use_is_acknowledged_and_ignored(gateway, shop):
    response = shop.webhook("products/update", {"id": 1})
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert shop.outbox() == []


def refused(shop):
    return [row for row in shop.gateway.rows("refused_webhooks") if row["shop_id"] == shop.id]


def test_a_body_that_can_never_apply_is_answered_200_refused_and_recorded(gateway, shop):
    response = shop.webhook("orders/paid", {**ORDER, "subtotal_price": "lots"}, webhook_id="wh-lots")
    again = shop.webhook("orders/paid", {**ORDER, "subtotal_price": "lots"}, webhook_id="wh-lots")

    # 200: the platform must not send it again for days; it can never apply.
    assert response.status_code == again.status_code == 200
    assert response.json()["status"] == "refused"
    assert [d["field"] for d in response.json()["details"]] == ["subtotal_price"]
    assert shop.outbox() == []
    assert [(r["webhook_id"], r["topic"], r["reason"]) for r in refused(shop)] == [
        ("wh-lots", "orders/paid", "request is not valid")
    ]
    assert refused(shop)[0]["details"][0]["field"] == "subtotal_price"


def test_a_signed_body_that_is_not_json_is_refused_and_recorded(gateway, shop):
    response = shop.webhook("orders/paid", None, raw=b"{not json")
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["reason"] == "request body is not valid JSON"
    assert shop.outbox() == []
    assert len(refused(shop)) == 1


def test_a_delivery_without_webhook_id_is_400(gateway, shop):
    response = shop.webhook("orders/paid", ORDER, webhook_id=False)
    assert response.status_code == 400
    assert shop.outbox() == []


def test_a_body_over_one_mebibyte_is_413(gateway, shop):
    huge = {**ORDER, "note": "x" * (1024 * 1024)}
    response = shop.webhook("orders/paid", huge)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert shop.outbox() == []
