"""Event contracts: one envelope, one pydantic payload model per event type.

On the wire an event is plain JSON (the envelope below, payload inline), so a
consumer in any language can read it; every consumer validates it on receipt."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from shared.clock import utcnow

PayloadT = TypeVar("PayloadT", bound="Payload")


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(BaseModel, Generic[PayloadT]):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    shop_id: str
    source: str
    occurred_at: datetime = Field(default_factory=utcnow)
    # The request (or webhook) the event follows from, carried on so one
    # order's path can be found in every service's log (shared.logs).
    correlation_id: str | None = None
    payload: PayloadT


# --- published by the gateway, from verified shop webhooks -----------------


class OrderLineItem(Payload):
    product_id: str | None = None  # null for a custom item
    title: str | None = None


class OrderPlaced(Payload):
    order_id: str
    order_name: str | None = None  # "#1001", what a merchant reads
    customer_id: str | None = None
    email: str | None = None
    # The customer's name as the order carries it (for the dashboard's rows).
    first_name: str | None = None
    last_name: str | None = None
    financial_status: str | None = None  # "paid" earns points
    subtotal: Decimal
    total: Decimal | None = None
    currency: str | None = None
    discount_codes: list[str] = []
    line_items: list[OrderLineItem] = []
    created_at: datetime | None = None
    test: bool = False  # placed with the platform's test gateway: earns nothing

    @property
    def is_paid(self) -> bool:
        return (self.financial_status or "").lower() == "paid"


class OrderRefunded(Payload):
    order_id: str
    refund_id: str
    customer_id: str | None = None
    amount: Decimal
    currency: str | None = None
    created_at: datetime | None = None


class CustomerCreated(Payload):
    customer_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


# --- published by points ----------------------------------------------------

AwardReason = Literal[
    "order", "signup", "birthday", "review", "photo_review", "google_review", "referral", "adjustment"
]


class PointsAwarded(Payload):
    customer_id: str
    activity_id: int
    points: int
    reason: AwardReason
    reference: str | None = None  # order id, review id, referral id...
    balance_after: int


# The ledger entries that take points away (a reversal of an earning is an
# `adjusted` entry that names the one it undoes).
DeductionType = Literal["redeemed", "refunded", "expired", "adjusted"]


class PointsDeducted(Payload):
    """Points left a member's balance: `points` is negative, as in the ledger."""

    customer_id: str
    activity_id: int
    type: DeductionType
    points: int
    action: str  # the ledger entry's words, e.g. "Redeemed $5 off"
    reference: str | None = None  # refund id, reversed activity id...
    balance_after: int


class MemberExcluded(Payload):
    """A member was excluded from the program (earns and spends nothing)."""

    customer_id: str
    reason: str | None = None


class MemberIncluded(Payload):
    """An excluded member was taken back into the program."""

    customer_id: str
    reason: str | None = None


# What moved a member's tier: the ledger entry that re-evaluated it (by its
# type; "reversed" for an entry undoing another), or an admin setting one by
# hand or clearing it back to the one lifetime points reach (docs/points.md).
TierChangeReason = Literal[
    "earned", "refunded", "reversed", "expired", "redeemed", "adjusted", "manual_set", "manual_unset"
]


class MemberTierChanged(Payload):
    """A member's VIP tier changed (null: no tier); once per change."""

    customer_id: str
    from_tier: str | None
    to_tier: str | None
    reason: TierChangeReason


class DiscountCodeUsed(Payload):
    """A code the program issued was used by an order (points owns codes)."""

    code: str
    order_id: str
    customer_id: str | None = None
    referral_id: str | None = None  # set for a referee's welcome code


class DiscountCodeVoided(Payload):
    code: str
    customer_email: str | None = None
    referral_id: str | None = None
    reason: str


# --- published by referrals -------------------------------------------------


class ReferralClaimed(Payload):
    referral_id: str
    referrer_customer_id: str
    referee_email: str
    discount_code: str


class ReferralCompleted(Payload):
    referral_id: str
    referrer_customer_id: str
    referee_email: str
    referee_customer_id: str | None = None
    order_id: str


class ReferralCancelled(Payload):
    referral_id: str
    referrer_customer_id: str
    referee_email: str
    previous_status: Literal["pending", "completed"]


# --- published by reviews ---------------------------------------------------


class ReviewApproved(Payload):
    review_id: str
    customer_id: str
    product_id: str
    rating: int
    has_media: bool = False


class GoogleReviewApproved(Payload):
    submission_id: str
    customer_id: str


EVENT_PAYLOADS: dict[str, type[Payload]] = {
    "order_placed": OrderPlaced,
    "order_refunded": OrderRefunded,
    "customer_created": CustomerCreated,
    "points_awarded": PointsAwarded,
    "points_deducted": PointsDeducted,
    "member_excluded": MemberExcluded,
    "member_included": MemberIncluded,
    "member_tier_changed": MemberTierChanged,
    "discount_code_used": DiscountCodeUsed,
    "discount_code_voided": DiscountCodeVoided,
    "referral_claimed": ReferralClaimed,
    "referral_completed": ReferralCompleted,
    "referral_cancelled": ReferralCancelled,
    "review_approved": ReviewApproved,
    "google_review_approved": GoogleReviewApproved,
}


def event_type_of(payload: Payload) -> str:
    for name, cls in EVENT_PAYLOADS.items():
        if type(payload) is cls:
            return name
    raise LookupError(f"{type(payload).__name__} is not a registered event payload")


def envelope_class(payload_cls: type[PayloadT]) -> type[Envelope[PayloadT]]:
    """`Envelope[payload_cls]`: the envelope model of one event type."""
    # pydantic builds (and caches) the parametrized model at runtime, but mypy
    # cannot subscript a class with a variable: ask the class for it directly
    # (what `Envelope[...]` does) and state the type pydantic cannot.
    return cast("type[Envelope[PayloadT]]", Envelope.__class_getitem__(payload_cls))


def make_event(
    source: str,
    shop_id: str,
    payload: PayloadT,
    occurred_at: datetime | None = None,
    correlation_id: str | None = None,
) -> Envelope[PayloadT]:
    fields: dict[str, Any] = {
        "type": event_type_of(payload),
        "shop_id": shop_id,
        "source": source,
        "payload": payload,
        "correlation_id": correlation_id,
    }
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    return envelope_class(type(payload))(**fields)


def parse_event(body: object) -> Envelope[Payload]:
    """Validate a wire body into its typed envelope; raises on anything off."""
    event_type = body.get("type") if isinstance(body, dict) else None
    payload_cls = EVENT_PAYLOADS.get(event_type) if isinstance(event_type, str) else None
    if payload_cls is None:
        raise ValueError(f"unknown event type {event_type if isinstance(body, dict) else body!r}")
    return envelope_class(payload_cls).model_validate(body)
