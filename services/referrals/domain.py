"""Referral rules, plain Python: link codes, the email key that sees through
dots and +tags, which claims are refused (and why), which paid order
completes which referral, and how a referral is cancelled. No nameko and no
database here; time and randomness come in as arguments."""

import base64
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Protocol, TypedDict, TypeVar

from shared.errors import Conflict, NotFound
from shared.events import (
    DiscountCodeUsed,
    DiscountCodeVoided,
    OrderPlaced,
    PointsAwarded,
    ReferralCancelled,
    ReferralClaimed,
    ReferralCompleted,
)

PENDING: Final = "pending"
COMPLETED: Final = "completed"
CANCELLED: Final = "cancelled"
STATUSES = (PENDING, COMPLETED, CANCELLED)
Status = Literal["pending", "completed", "cancelled"]
# What a referral can be cancelled from.
OpenStatus = Literal["pending", "completed"]

MEMBER_ACTIVE = "active"

# The welcome code's status as points reports it (points owns the code).
CODE_USED = "used"
CODE_VOIDED = "voided"

# Fraud-signal kinds: one per reason a claim is refused.
SELF_REFERRAL = "self_referral"
EXISTING_CUSTOMER = "existing_customer"
ALREADY_REFERRED = "already_referred"
TOO_MANY_CLAIMS = "too_many_claims"

CLAIM_RATE_WINDOW = timedelta(days=7)
DEFAULT_MAX_CLAIMS_PER_IP_PER_WEEK = 10

# The points service's reason for a referrer's reward; its reference is our referral id.
REFERRAL_REWARD_REASON = "referral"

# A member's profile as the points service sends it (its `get_customer` JSON).
MemberProfile = dict[str, Any]


class StoredReferral(Protocol):
    """What these rules read of a referral as stored."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def referrer_customer_id(self) -> str: ...
    @property
    def referrer_email(self) -> str | None: ...
    @property
    def referee_email(self) -> str: ...


ReferralT = TypeVar("ReferralT", bound=StoredReferral)


# --- codes and emails ------------------------------------------------------------


def new_link_code(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """8 base32 characters (40 random bits): short enough to share, too many to guess."""
    return base64.b32encode(random_bytes(5)).decode()


def normalize_code(code: str) -> str:
    """Link and discount codes are matched case-insensitively (base32 and
    checkout codes are upper case)."""
    return code.strip().upper()


def email_key(email: str | None) -> str | None:
    """The identity of a mailbox for duplicate and self-referral checks:
    lower case, and in the local part dots removed and any +tag dropped, so
    Kate.Smith+friend@Example.com and katesmith@example.com are one person."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


# --- referrers and claims ------------------------------------------------------------


def ensure_active_referrer(member: MemberProfile | None, customer_id: str) -> MemberProfile:
    """The referrer's profile, or NotFound: an unknown member has no link and
    an excluded member's link stops working."""
    if member is None:
        raise NotFound(
            f"customer {customer_id} is not a member of this shop's program", {"customer_id": customer_id}
        )
    if member.get("status") != MEMBER_ACTIVE:
        raise NotFound(
            f"customer {customer_id} is excluded from this shop's program", {"customer_id": customer_id}
        )
    return member


@dataclass(frozen=True)
class Refusal:
    kind: str
    message: str


@dataclass(frozen=True)
class ClaimFacts:
    """What a claim is judged on, gathered before deciding."""

    referee_email_key: str
    referrer_email_key: str | None
    is_existing_customer: bool
    is_already_referred: bool
    recent_claims_from_ip: int


REFUSAL_MESSAGES = {
    SELF_REFERRAL: "you cannot claim your own referral (the email is the referrer's)",
    EXISTING_CUSTOMER: "this email already belongs to a customer; referrals are for new customers",
    ALREADY_REFERRED: "this email has already been referred",
    TOO_MANY_CLAIMS: "too many referral claims from this address this week; try again later",
}


def refusal(kind: str) -> Refusal:
    return Refusal(kind, REFUSAL_MESSAGES[kind])


def claim_refusal(facts: ClaimFacts, max_claims_per_ip_per_week: int) -> Refusal | None:
    """Why this claim is refused, or None when it may go ahead."""
    if facts.referrer_email_key is not None and facts.referee_email_key == facts.referrer_email_key:
        return refusal(SELF_REFERRAL)
    if facts.is_existing_customer:
        return refusal(EXISTING_CUSTOMER)
    if facts.is_already_referred:
        return refusal(ALREADY_REFERRED)
    if facts.recent_claims_from_ip >= max_claims_per_ip_per_week:
        return refusal(TOO_MANY_CLAIMS)
    return None


def claim_window_start(now: datetime) -> datetime:
    return now - CLAIM_RATE_WINDOW


class NewReferral(TypedDict):
    """A referral's row as first stored."""

    id: str
    shop_id: str
    code: str
    referrer_customer_id: str
    referrer_email: str | None
    referee_email: str
    referee_email_key: str | None
    status: Status
    discount_code: str
    link_clicked_at: datetime | None
    email_entered_at: datetime
    coupon_issued_at: datetime
    order_placed_at: datetime | None
    order_id: str | None
    referee_customer_id: str | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    referrer_reward_points: int | None
    client_ip: str | None
    occurred_at: datetime


def new_referral(
    *,
    referral_id: str,
    shop_id: str,
    code: str,
    referrer: MemberProfile,
    referee_email: str,
    discount_code: str,
    link_clicked_at: datetime | None,
    client_ip: str | None,
    now: datetime,
) -> NewReferral:
    """A claimed referral: the email was entered and the welcome coupon issued now."""
    return {
        "id": referral_id,
        "shop_id": shop_id,
        "code": code,
        "referrer_customer_id": referrer["customer_id"],
        "referrer_email": referrer.get("email"),
        "referee_email": referee_email,
        "referee_email_key": email_key(referee_email),
        "status": PENDING,
        "discount_code": normalize_code(discount_code),
        "link_clicked_at": link_clicked_at,
        "email_entered_at": now,
        "coupon_issued_at": now,
        "order_placed_at": None,
        "order_id": None,
        "referee_customer_id": None,
        "completed_at": None,
        "cancelled_at": None,
        "cancelled_by": None,
        "referrer_reward_points": None,
        "client_ip": client_ip,
        "occurred_at": now,
    }


def referral_claimed(referral: NewReferral) -> ReferralClaimed:
    return ReferralClaimed(
        referral_id=referral["id"],
        referrer_customer_id=referral["referrer_customer_id"],
        referee_email=referral["referee_email"],
        discount_code=referral["discount_code"],
    )


# --- completion by a paid order --------------------------------------------------------


def order_code_keys(order: OrderPlaced) -> list[str]:
    return sorted({normalize_code(code) for code in order.discount_codes if code and code.strip()})


def is_referrers_own_order(referral: StoredReferral, order: OrderPlaced) -> bool:
    if order.customer_id is not None and order.customer_id == referral.referrer_customer_id:
        return True
    order_key = email_key(order.email)
    return order_key is not None and order_key == email_key(referral.referrer_email)


def may_complete_referrals(order: OrderPlaced) -> bool:
    """Only a paid order that names a code or an email can complete a
    referral; a test order earns the referrer nothing either."""
    return order.is_paid and not order.test and bool(order_code_keys(order) or email_key(order.email))


def referral_completed_by(order: OrderPlaced, candidates: Iterable[ReferralT]) -> ReferralT | None:
    """Of the referrals the order might complete (those whose coupon it used
    first, then the one claimed with its email), the one it does complete:
    still pending, and never by the referrer's own order. None if none."""
    for referral in candidates:
        if referral.status == PENDING and not is_referrers_own_order(referral, order):
            return referral
    return None


@dataclass(frozen=True)
class Completion:
    order_id: str
    referee_customer_id: str | None
    order_placed_at: datetime
    completed_at: datetime


def completion(order: OrderPlaced, order_event_at: datetime, now: datetime) -> Completion:
    return Completion(
        order_id=order.order_id,
        referee_customer_id=order.customer_id,
        order_placed_at=order.created_at or order_event_at,
        completed_at=now,
    )


def referral_completed(referral: StoredReferral, done: Completion) -> ReferralCompleted:
    return ReferralCompleted(
        referral_id=referral.id,
        referrer_customer_id=referral.referrer_customer_id,
        referee_email=referral.referee_email,
        referee_customer_id=done.referee_customer_id,
        order_id=done.order_id,
    )


# --- the welcome code's status ------------------------------------------------------------


def is_welcome_code(change: DiscountCodeUsed | DiscountCodeVoided) -> bool:
    """Whether points' news of a code is about a referee's welcome code
    (points names the referral of those only)."""
    return change.referral_id is not None


# --- cancellation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cancellation:
    previous_status: OpenStatus
    cancelled_at: datetime
    cancelled_by: str | None


def cancel(current_status: str, actor: str | None, now: datetime) -> Cancellation:
    """Pending or completed → cancelled. Cancelling is final, so a second
    cancel is a Conflict rather than a silent success."""
    previous_status: OpenStatus
    if current_status == PENDING:
        previous_status = PENDING
    elif current_status == COMPLETED:
        previous_status = COMPLETED
    elif current_status == CANCELLED:
        raise Conflict("this referral is already cancelled", {"status": current_status})
    else:
        raise ValueError(f"a referral cannot be {current_status!r}")
    return Cancellation(previous_status=previous_status, cancelled_at=now, cancelled_by=actor)


def referral_cancelled(referral: StoredReferral, previous_status: OpenStatus) -> ReferralCancelled:
    return ReferralCancelled(
        referral_id=referral.id,
        referrer_customer_id=referral.referrer_customer_id,
        referee_email=referral.referee_email,
        previous_status=previous_status,
    )


# --- the referrer's reward ---------------------------------------------------------------


def rewarded_referral(award: PointsAwarded) -> str | None:
    """The id of our referral this award rewards, or None for other awards."""
    if award.reason == REFERRAL_REWARD_REASON and award.reference:
        return award.reference
    return None


def names_a_customer(order: OrderPlaced) -> bool:
    """Whether an order tells who its customer is (the customers copy's filter)."""
    return order.customer_id is not None
