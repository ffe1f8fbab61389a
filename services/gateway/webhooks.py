"""Shopify webhooks turned into our events: which topics we use and how each
body becomes an event payload. Plain Python (no nameko, no database)."""
from decimal import Decimal

from shared.events import CustomerCreated, OrderPlaced, OrderRefunded, Payload
from shared.errors import Unprocessable
from shared.pagination import parse_query

from services.gateway.schemas import ShopifyCustomer, ShopifyOrder, ShopifyRefund


def order_placed(order: ShopifyOrder) -> OrderPlaced:
    subtotal = order.subtotal_price if order.subtotal_price is not None else order.total_price
    if subtotal is None:
        raise Unprocessable("the order has no subtotal_price or total_price",
                            [{"field": "subtotal_price", "message": "Field required"}])
    customer = order.customer
    return OrderPlaced(
        order_id=order.id,
        order_name=order.name or (f"#{order.order_number}" if order.order_number is not None else None),
        customer_id=customer.id if customer else None,
        email=order.email or (customer.email if customer else None) or None,
        financial_status=order.financial_status,
        subtotal=subtotal,
        total=order.total_price,
        currency=order.currency,
        discount_codes=[discount.code for discount in order.discount_codes],
        created_at=order.created_at,
    )


def refunded_amount(refund: ShopifyRefund) -> Decimal:
    """What the refund gave back for goods: the refunded line items'
    subtotals, or, for a refund without line items (an amount refunded by
    hand), its successful refund transactions."""
    if refund.refund_line_items:
        return sum((item.subtotal for item in refund.refund_line_items), Decimal(0))
    return sum((t.amount for t in refund.transactions
                if (t.kind or "refund") == "refund" and (t.status or "success") == "success"), Decimal(0))


def order_refunded(refund: ShopifyRefund) -> OrderRefunded:
    currency = next((t.currency for t in refund.transactions if t.currency), None)
    return OrderRefunded(
        order_id=refund.order_id,
        refund_id=refund.id,
        customer_id=refund.customer.id if refund.customer else None,
        amount=refunded_amount(refund),
        currency=currency,
        created_at=refund.created_at,
    )


def customer_created(customer: ShopifyCustomer) -> CustomerCreated:
    return CustomerCreated(customer_id=customer.id, email=customer.email or None,
                           first_name=customer.first_name, last_name=customer.last_name)


TOPICS = {
    # Both order topics become order_placed: points awards once per order,
    # when the order says it is paid.
    "orders/create": (ShopifyOrder, order_placed),
    "orders/paid": (ShopifyOrder, order_placed),
    "refunds/create": (ShopifyRefund, order_refunded),
    "customers/create": (ShopifyCustomer, customer_created),
}


def is_supported(topic: str | None) -> bool:
    return topic in TOPICS


def event_for_webhook(topic: str, body) -> Payload:
    """The event a webhook of a supported topic stands for; a body that does
    not validate raises Unprocessable naming the fields."""
    model, to_event = TOPICS[topic]
    return to_event(parse_query(model, body))
