"""How a Shopify webhook becomes one of our events (pure: no nameko, no
database): its delivery id, the topics we take, the order, refund and
customer payloads translated and checked, and how a refusal is recorded."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard, TypeVar

from pydantic import BaseModel

from services.gateway.schemas import MAX_AMOUNT, ShopifyCustomer, ShopifyOrder, ShopifyRefund
from shared.errors import BadRequest, LoyaltyError, Unprocessable
from shared.events import CustomerCreated, OrderLineItem, OrderPlaced, OrderRefunded, Payload
from shared.pagination import parse_query


@dataclass(frozen=True)
class WebhookDelivery:
    """A webhook as the shop platform sent it, nothing checked yet."""

    shop_domain: str | None
    topic: str | None
    webhook_id: str | None
    signature: str | None
    body: bytes


def delivery_id(webhook_id: str | None) -> str:
    """The id a repeated delivery carries again; 400 without a usable one."""
    webhook_id = (webhook_id or "").strip()
    if not webhook_id or len(webhook_id) > 255:
        raise BadRequest("the X-Shopify-Webhook-Id header is required", {"header": "X-Shopify-Webhook-Id"})
    return webhook_id


def order_placed(order: ShopifyOrder) -> OrderPlaced:
    subtotal = order.subtotal_price if order.subtotal_price is not None else order.total_price
    if subtotal is None:
        raise Unprocessable(
            "the order has no subtotal_price or total_price",
            [{"field": "subtotal_price", "message": "Field required"}],
        )
    customer = order.customer
    return OrderPlaced(
        order_id=order.id,
        order_name=order.name or (f"#{order.order_number}" if order.order_number is not None else None),
        customer_id=customer.id if customer else None,
        email=order.email or (customer.email if customer else None) or None,
        first_name=customer.first_name if customer else None,
        last_name=customer.last_name if customer else None,
        financial_status=order.financial_status,
        subtotal=subtotal,
        total=order.total_price,
        currency=order.currency,
        discount_codes=[discount.code for discount in order.discount_codes],
        line_items=[
            OrderLineItem(product_id=item.product_id, title=item.title)
            for item in order.line_items
            if item.product_id is not None
        ],
        created_at=order.created_at,
        test=order.test,
    )


def refunded_amount(refund: ShopifyRefund) -> Decimal:
    """What the refund gave back for goods: the refunded line items'
    subtotals, or, for a refund without line items (an amount refunded by
    hand), its successful refund transactions."""
    if refund.refund_line_items:
        return sum((item.subtotal for item in refund.refund_line_items), Decimal(0))
    return sum(
        (
            t.amount
            for t in refund.transactions
            if (t.kind or "refund") == "refund" and (t.status or "success") == "success"
        ),
        Decimal(0),
    )


def order_refunded(refund: ShopifyRefund) -> OrderRefunded:
    currency = next((t.currency for t in refund.transactions if t.currency), None)
    amount = refunded_amount(refund)
    if amount > MAX_AMOUNT:
        raise Unprocessable(
            "the refund adds up to more than any order can be",
            [{"field": "refund_line_items", "message": f"adds up to more than {MAX_AMOUNT}"}],
        )
    return OrderRefunded(
        order_id=refund.order_id,
        refund_id=refund.id,
        customer_id=refund.customer.id if refund.customer else None,
        amount=amount,
        currency=currency,
        created_at=refund.created_at,
    )


def customer_created(customer: ShopifyCustomer) -> CustomerCreated:
    return CustomerCreated(
        customer_id=customer.id,
        email=customer.email or None,
        first_name=customer.first_name,
        last_name=customer.last_name,
    )


WebhookT = TypeVar("WebhookT", bound=BaseModel)


def _webhook_topic(
    model: type[WebhookT], to_event: Callable[[WebhookT], Payload]
) -> Callable[[object], Payload]:
    """A topic's body validated as `model`, then made into its event."""

    def event_for(body: object) -> Payload:
        return to_event(parse_query(model, body))

    return event_for


TOPICS = {
    # Both order topics become order_placed: points awards once per order,
    # when the order says it is paid.
    "orders/create": _webhook_topic(ShopifyOrder, order_placed),
    "orders/paid": _webhook_topic(ShopifyOrder, order_placed),
    "refunds/create": _webhook_topic(ShopifyRefund, order_refunded),
    "customers/create": _webhook_topic(ShopifyCustomer, customer_created),
}


def refusal_record(refusal: LoyaltyError) -> tuple[str, list[dict[str, Any]] | None]:
    """(reason, details) of a webhook refused as one that can never apply,
    as the operator will read them: short, and free of NUL characters
    (which PostgreSQL cannot store)."""

    def clean(text: object, length: int) -> str:
        return str(text).replace("\x00", "")[:length]

    details = refusal.details if isinstance(refusal.details, list) else None
    return clean(refusal.message, 500), [
        {"field": clean(d.get("field"), 200) if d.get("field") else None, "message": clean(d["message"], 300)}
        for d in details or []
    ] or None


def is_supported(topic: str | None) -> TypeGuard[str]:
    return topic in TOPICS


def event_for_webhook(topic: str, body: object) -> Payload:
    """The event a webhook of a supported topic stands for; a body that does
    not validate raises Unprocessable naming the fields."""
    return TOPICS[topic](body)
