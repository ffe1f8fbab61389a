"""The points rules, as plain Python: what an order earns, what a refund takes
back, how a ledger entry moves a member's totals, and the discount-code
vocabulary. No nameko and no database here; time and randomness come in as
arguments."""
import base64
import math
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal

from shared.errors import Unprocessable

ACTIVITY_TYPES = ("earned", "redeemed", "refunded", "expired", "adjusted")
SYSTEM_ACTOR = "system"

MEMBER_ACTIVE = "active"
MEMBER_EXCLUDED = "excluded"

CODE_ACTIVE = "active"
CODE_USED = "used"
CODE_VOIDED = "voided"
REFERRAL_WELCOME = "referral_welcome"
WELCOME_CODE_PREFIX = "WELCOME"


@dataclass(frozen=True)
class ProgramSettings:
    """A shop's earning rules; these defaults apply until the shop sets its own."""

    points_per_currency_unit: Decimal = Decimal("1")
    signup_points: int = 0
    review_points: int = 50
    google_review_points: int = 100
    referrer_reward_points: int = 500
    referee_coupon_type: str = "fixed"          # or "percentage"
    referee_coupon_value: Decimal = Decimal("5")


# --- earning and refunding ------------------------------------------------------

def can_earn(member_status: str) -> bool:
    """Excluded members earn nothing; re-including them does not back-fill."""
    return member_status == MEMBER_ACTIVE


def points_for_order(subtotal: Decimal, rate: Decimal) -> int:
    """floor(subtotal × points per currency unit); nothing for a non-positive subtotal."""
    if subtotal <= 0 or rate <= 0:
        return 0
    return math.floor(Decimal(subtotal) * Decimal(rate))


def points_to_take_back(order_points: int, subtotal: Decimal, refunded_before: Decimal,
                        points_taken_before: int, amount: Decimal) -> int:
    """Points a refund of `amount` takes back from an order that earned
    `order_points` on `subtotal`, given what earlier refunds of that order
    already refunded and took back.

    Computed on the cumulative refunded amount (not refund by refund) so that
    rounding never drifts: refunding the whole subtotal, in any number of
    parts, takes back exactly what the order earned and never more."""
    if order_points <= 0 or amount <= 0:
        return 0
    refunded_total = Decimal(refunded_before) + Decimal(amount)
    if subtotal <= 0 or refunded_total >= subtotal:
        due_total = order_points
    else:
        due_total = math.floor(Decimal(order_points) * refunded_total / Decimal(subtotal))
    return max(0, due_total - points_taken_before)


# --- the ledger -------------------------------------------------------------------

@dataclass(frozen=True)
class MemberTotals:
    balance: int = 0
    lifetime_earned: int = 0
    lifetime_redeemed: int = 0


@dataclass(frozen=True)
class Posting:
    """One ledger entry as applied: the signed change to the balance, the
    part of a take-back that could not be collected, and the totals after."""

    points: int
    uncollected_points: int
    totals: MemberTotals

    @property
    def balance_after(self) -> int:
        return self.totals.balance


def post(totals: MemberTotals, activity_type: str, points: int) -> Posting:
    """Apply one movement of `points` (signed) to a member's totals.

    The balance never goes below zero: a refund takes back only what is
    there and records the rest as uncollected; any other movement that would
    overdraw the balance is refused."""
    if activity_type not in ACTIVITY_TYPES:
        raise ValueError(f"unknown activity type {activity_type!r}")
    uncollected = 0
    if activity_type == "refunded":
        due = -points
        if due < 0:
            raise ValueError("a refund takes points back; give a negative amount")
        collected = min(due, totals.balance)
        uncollected = due - collected
        points = -collected
    elif totals.balance + points < 0:
        raise Unprocessable("not enough points: the balance cannot go below zero",
                            [{"field": "points", "message": f"the balance is {totals.balance}"}])

    lifetime_earned, lifetime_redeemed = totals.lifetime_earned, totals.lifetime_redeemed
    if activity_type == "earned":
        lifetime_earned += points
    elif activity_type == "refunded":
        # Refunded points were never really earned, collected or not.
        lifetime_earned = max(0, lifetime_earned - (-points + uncollected))
    elif activity_type == "redeemed":
        lifetime_redeemed += -points
    return Posting(points, uncollected, replace(
        totals, balance=totals.balance + points,
        lifetime_earned=lifetime_earned, lifetime_redeemed=lifetime_redeemed))


def reference(kind: str, ident: str) -> str:
    """The ledger reference of a business fact, e.g. "order:123"."""
    return f"{kind}:{ident}"


def order_label(order_id: str, order_name: str | None) -> str:
    return order_name or f"#{order_id}"


def placed_order_action(label: str) -> str:
    return f"Placed order {label}"


def refunded_order_action(label: str) -> str:
    return f"Order {label} refunded"


SIGNUP_ACTION = "Signed up"
REVIEW_ACTION = "Wrote a review"
GOOGLE_REVIEW_ACTION = "Google review"
REFERRAL_ACTION = "Referred a friend"


# --- members ----------------------------------------------------------------------

def normalize_email(email: str | None) -> str | None:
    email = (email or "").strip()
    return email.lower() or None


def display_name(first_name: str | None, last_name: str | None) -> str | None:
    return " ".join(part for part in (first_name, last_name) if part) or None


def missing_profile_fields(current: dict, given: dict) -> dict:
    """The profile fields the platform told us that we did not know yet.
    Known values are kept: later edits (by an admin) win over a late event."""
    return {field: value for field, value in given.items()
            if value is not None and current.get(field) is None}


# --- discount codes ---------------------------------------------------------------

def normalize_code(code: str) -> str:
    """Codes are matched case-insensitively, as checkouts do."""
    return code.strip().upper()


def new_discount_code(prefix: str, random_bytes=secrets.token_bytes) -> str:
    """prefix + 8 base32 characters (40 random bits): unguessable in practice."""
    return f"{prefix}-{base64.b32encode(random_bytes(5)).decode()}"


def code_validity(status: str | None) -> tuple[bool, str | None]:
    """(valid, reason) at checkout for a code of this status (None: no such code)."""
    if status is None:
        return False, "unknown"
    if status == CODE_ACTIVE:
        return True, None
    return False, status
