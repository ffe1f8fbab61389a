"""The points rules, as plain Python: what an order earns, what a refund takes
back, which lots a spend or a take-back consumes, how a ledger entry moves a
member's totals, tiers, birthdays, and the discount-code vocabulary. No
nameko and no database here; time and randomness come in as arguments.

The program's rules are the merchant's program document itself
(`shared.points_api.ProgramRules`, its defaults applying until a shop sets
its own): one shape from the HTTP body to the stored row to these rules."""

import base64
import calendar
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final, Literal

from shared.errors import Unprocessable
from shared.points_api import ProgramRules, VipTier

ACTIVITY_TYPES = ("earned", "redeemed", "refunded", "expired", "adjusted")
SYSTEM_ACTOR = "system"

MEMBER_ACTIVE = "active"
MEMBER_EXCLUDED = "excluded"

CODE_ACTIVE: Final = "active"
CODE_USED: Final = "used"
CODE_VOIDED: Final = "voided"
# Why a code is not valid at checkout.
CodeRefusal = Literal["unknown", "used", "voided"]
REFERRAL_WELCOME = "referral_welcome"
REDEMPTION = "redemption"
WELCOME_CODE_PREFIX = "WELCOME"
REWARD_CODE_PREFIX = "REWARD"


# --- earning and refunding ------------------------------------------------------


def can_earn(member_status: str) -> bool:
    """Excluded members earn nothing; re-including them does not back-fill."""
    return member_status == MEMBER_ACTIVE


# Why an order earns nothing, ever (recorded with it: the merchant sees why,
# and no later event of the order changes it).
NoPointsReason = Literal["test_order", "voided", "refunded", "member_excluded"]
_FINAL_STATUSES: dict[str, NoPointsReason] = {"voided": "voided", "refunded": "refunded"}


def no_points_reason(
    test: bool, financial_status: str | None, is_paid: bool, member_status: str
) -> NoPointsReason | None:
    """A test order, one voided or refunded before we heard of it, or (once
    paid) an excluded member's; None: it earns, or will once paid."""
    if test:
        return "test_order"
    if (status := (financial_status or "").lower()) in _FINAL_STATUSES:
        return _FINAL_STATUSES[status]
    return "member_excluded" if is_paid and not can_earn(member_status) else None


_ROUNDING = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}


def points_for_order(subtotal: Decimal, rate: Decimal, rounding: str = "floor") -> int:
    """subtotal × points per currency unit, rounded as the program says
    (floor by default); nothing for a non-positive subtotal."""
    if subtotal <= 0 or rate <= 0:
        return 0
    return int((Decimal(subtotal) * Decimal(rate)).to_integral_value(rounding=_ROUNDING[rounding]))


def points_to_take_back(
    order_points: int, subtotal: Decimal, refunded_before: Decimal, points_taken_before: int, amount: Decimal
) -> int:
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


# --- lots: where a member's points came from, and when they can be spent -----------


@dataclass(frozen=True)
class Lot:
    """The points one credit added and what is left of them. A member's lots'
    `remaining` add up to their balance."""

    id: int
    remaining: int
    earned_at: datetime
    available_at: datetime  # end of the return window
    expires_at: datetime | None = None

    def is_pending(self, now: datetime) -> bool:
        return self.remaining > 0 and self.available_at > now

    def is_expired(self, now: datetime) -> bool:
        return self.remaining > 0 and self.expires_at is not None and self.expires_at <= now

    def is_spendable(self, now: datetime) -> bool:
        return self.remaining > 0 and not self.is_pending(now) and not self.is_expired(now)


def lot_dates(earned_at: datetime, settings: ProgramRules, pending: bool) -> tuple[datetime, datetime | None]:
    """(available_at, expires_at) of a new lot under today's rules: only
    order points wait out the return window; expiry counts from earning."""
    available_at = earned_at + timedelta(days=settings.pending_days) if pending else earned_at
    expires_at = earned_at + timedelta(days=settings.expiry_days) if settings.expiry_days else None
    return available_at, expires_at


def _fifo(lots: Iterable[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (lot.earned_at, lot.id))


def available_points(lots: Iterable[Lot], now: datetime) -> int:
    return sum(lot.remaining for lot in lots if lot.is_spendable(now))


def pending_points(lots: Iterable[Lot], now: datetime) -> int:
    return sum(lot.remaining for lot in lots if lot.is_pending(now))


def expired_points(lots: Iterable[Lot], now: datetime) -> list[Lot]:
    return [lot for lot in _fifo(lots) if lot.is_expired(now)]


def next_expiry(lots: Iterable[Lot], now: datetime) -> tuple[int, date] | None:
    """(points, day) of the next points to expire: every unexpired lot
    expiring on that same day counts."""
    upcoming = [
        (lot.remaining, lot.expires_at)
        for lot in lots
        if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at > now
    ]
    if not upcoming:
        return None
    day = min(expires_at for _, expires_at in upcoming).date()
    return sum(points for points, expires_at in upcoming if expires_at.date() == day), day


def plan_spending(
    lots: Iterable[Lot], amount: int, now: datetime, field: str = "points"
) -> list[tuple[Lot, int]]:
    """(lot, points to take) that spend `amount` from the oldest spendable
    points first. Refused (422, naming the request's `field`) when not
    enough points are spendable."""
    spendable = [lot for lot in _fifo(lots) if lot.is_spendable(now)]
    available = sum(lot.remaining for lot in spendable)
    if amount > available:
        pending = pending_points(lots, now)
        why = f"{available} points are available" + (f" ({pending} more are pending)" if pending else "")
        raise Unprocessable(
            f"not enough points: {amount} needed, {why}",
            [{"field": field, "message": f"{amount} needed, {why}"}],
        )
    return _take(spendable, amount)


def plan_take_back(
    lots: Iterable[Lot], amount: int, now: datetime, own_lot_id: int | None = None
) -> tuple[list[tuple[Lot, int]], int]:
    """What a refund or a reversal takes back: from the credit's own lot
    first (pending or not: a refund inside the return window cancels the
    pending points), then the oldest spendable points. Never more than there
    is: ([(lot, take)], the part that could not be collected)."""
    ordered = _fifo(lots)
    own = [lot for lot in ordered if lot.id == own_lot_id and lot.remaining > 0]
    others = [lot for lot in ordered if lot.id != own_lot_id and lot.is_spendable(now)]
    plan = _take(own + others, amount)
    return plan, amount - sum(take for _, take in plan)


def _take(lots: list[Lot], amount: int) -> list[tuple[Lot, int]]:
    plan = []
    for lot in lots:
        if amount <= 0:
            break
        take = min(lot.remaining, amount)
        plan.append((lot, take))
        amount -= take
    return plan


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


def post(
    totals: MemberTotals, activity_type: str, points: int, uncollected: int = 0, reverses: str | None = None
) -> Posting:
    """Apply one movement of `points` (signed, what was actually collected) to
    a member's totals. `uncollected`: what a refund could not take back.
    `reverses`: the type of the entry a reversal undoes, whose lifetime
    total it corrects.

    Callers work out what can be taken from the member's lots first; a
    balance below zero here is a bug, not a customer's mistake."""
    if activity_type not in ACTIVITY_TYPES:
        raise ValueError(f"unknown activity type {activity_type!r}")
    if totals.balance + points < 0:
        raise ValueError(f"a posting of {points} would take a balance of {totals.balance} below zero")
    earned, redeemed = totals.lifetime_earned, totals.lifetime_redeemed
    if activity_type == "earned":
        earned += points
    elif activity_type == "refunded":
        # Refunded points were never really earned, collected or not.
        earned = max(0, earned + points - uncollected)
    elif activity_type == "redeemed":
        redeemed -= points
    elif reverses == "earned":
        earned = max(0, earned + points)
    elif reverses == "refunded":
        earned += points
    elif reverses == "redeemed":
        redeemed = max(0, redeemed - points)
    return Posting(
        points,
        uncollected,
        replace(totals, balance=totals.balance + points, lifetime_earned=earned, lifetime_redeemed=redeemed),
    )


def reversal_refusal(
    activity_type: str, points: int, reverses_activity_id: int | None, already_reversed: bool
) -> str | None:
    """Why this ledger entry cannot be reversed (409), or None."""
    if reverses_activity_id is not None:
        return "this entry is itself a reversal; make an adjustment instead"
    if already_reversed:
        return "this entry has already been reversed"
    if points == 0:
        return "this entry moved no points; there is nothing to reverse"
    return None


def reference(kind: str, ident: str | int) -> str:
    """The ledger reference of a business fact, e.g. "order:123"."""
    return f"{kind}:{ident}"


def order_label(order_id: str, order_name: str | None) -> str:
    return order_name or f"#{order_id}"


def placed_order_action(label: str) -> str:
    return f"Placed order {label}"


def refunded_order_action(label: str) -> str:
    return f"Order {label} refunded"


def adjustment_action(reason: str) -> str:
    return f"Adjusted by admin: {reason}"


def redemption_action(reward_name: str) -> str:
    return f"Redeemed {reward_name}"


def reversal_action(original_action: str) -> str:
    return f"Reversed: {original_action}"


SIGNUP_ACTION = "Signed up"
BIRTHDAY_ACTION = "Birthday"
REVIEW_ACTION = "Wrote a review"
PHOTO_REVIEW_ACTION = "Photo review bonus"
GOOGLE_REVIEW_ACTION = "Google review"
REFERRAL_ACTION = "Referred a friend"
EXPIRED_ACTION = "Points expired"


# --- tiers and birthdays ------------------------------------------------------------


def tier_for(lifetime_earned: int, tiers: Iterable[VipTier]) -> str | None:
    """The highest tier whose threshold the member's lifetime points reach."""
    reached = [tier for tier in tiers if tier.threshold <= lifetime_earned]
    return max(reached, key=lambda tier: tier.threshold).name if reached else None


def vip_tier(manual_tier: str | None, lifetime_earned: int, tiers: Iterable[VipTier]) -> str | None:
    """An admin's choice stays until they clear it; otherwise lifetime points decide."""
    return manual_tier if manual_tier is not None else tier_for(lifetime_earned, tiers)


def birthday_key(birthday: date | None) -> str | None:
    """ "MM-DD": what the birthday timer looks members up by."""
    return birthday.strftime("%m-%d") if birthday else None


def birthday_keys_on(day: date) -> list[str]:
    """The birthdays celebrated on `day`: 29 February ones on 28 February
    when the year has no 29th."""
    keys = [day.strftime("%m-%d")]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        keys.append("02-29")
    return keys


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """An admin's "Mary Ann Smith" as (first "Mary Ann", last "Smith")."""
    parts = (name or "").split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


# --- members ----------------------------------------------------------------------


def normalize_email(email: str | None) -> str | None:
    email = (email or "").strip()
    return email.lower() or None


def display_name(first_name: str | None, last_name: str | None) -> str | None:
    return " ".join(part for part in (first_name, last_name) if part) or None


def name_key(first_name: str | None, last_name: str | None) -> str | None:
    """The lower-case full name the customers search matches against."""
    name = display_name(first_name, last_name)
    return name.lower() if name else None


def missing_profile_fields(current: Mapping[str, object], given: Mapping[str, object]) -> dict[str, object]:
    """The profile fields the platform told us that we did not know yet.
    Known values are kept: later edits (by an admin) win over a late event."""
    return {
        field: value for field, value in given.items() if value is not None and current.get(field) is None
    }


# --- discount codes ---------------------------------------------------------------


def normalize_code(code: str) -> str:
    """Codes are matched case-insensitively, as checkouts do."""
    return code.strip().upper()


def new_discount_code(prefix: str, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """prefix + 8 base32 characters (40 random bits): unguessable in practice."""
    return f"{prefix}-{base64.b32encode(random_bytes(5)).decode()}"


def code_validity(status: str | None) -> tuple[bool, CodeRefusal | None]:
    """(valid, reason) at checkout for a code of this status (None: no such code)."""
    if status is None:
        return False, "unknown"
    if status == CODE_ACTIVE:
        return True, None
    if status == CODE_USED:
        return False, CODE_USED
    if status == CODE_VOIDED:
        return False, CODE_VOIDED
    raise ValueError(f"a discount code cannot be {status!r}")
