"""The merchant's points commands as JSON bodies: the one contract the
gateway validates requests with and the points service validates its RPC
arguments with, so the two can never disagree on what is valid.

Types are strict (as sent in JSON, no coercion: `"10"` is not a number of
points), except where JSON has no type of its own: amounts may be decimal
strings or numbers, and dates are "YYYY-MM-DD" strings."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.clock import utcnow


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


MAX_ADJUSTMENT = 1_000_000
MAX_PROGRAM_POINTS = 1_000_000
MAX_POINTS_COST = 10_000_000


def _blank_as_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _iso_date(value: object) -> date | None:
    # Lax pydantic would also take a unix timestamp or a datetime; a
    # birthday is a calendar day, written YYYY-MM-DD.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a real date") from None
    if value is None:
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _decimal_from_json(value: object) -> str | int | float | Decimal:
    # JSON numbers and decimal strings ("5", "12.50") are both amounts; a
    # boolean or anything else is a mistake.
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError('must be a decimal number, e.g. "5" or "12.50"')
    return value


def plausible_birthday(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= utcnow().date():
        raise ValueError("must be a past date from 1900 on")
    return value


AdminReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
OptionalReason = Annotated[AdminReason | None, BeforeValidator(_blank_as_none)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# Sent on as plain decimal text ("1000", not "1E+3"), as the services keep it.
PositiveDecimal = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_json),
    Field(strict=False, gt=0, allow_inf_nan=False, max_digits=12),
    PlainSerializer(lambda value: format(value.normalize(), "f"), return_type=str, when_used="json"),
]
Amount = Annotated[PositiveDecimal, Field(decimal_places=2)]
TierName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ProgramPoints = Annotated[int, Field(ge=0, le=MAX_PROGRAM_POINTS)]


class PointsAdjustment(_Body):
    points: int = Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT, json_schema_extra={"not": {"const": 0}})
    reason: AdminReason

    @field_validator("points")
    @classmethod
    def _moves_points(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0: a positive number adds points, a negative one takes them away")
        return value


class RewardRedemption(_Body):
    reward_id: int = Field(ge=1)


class ReasonBody(_Body):
    """An admin action whose reason is optional (the body may be left out)."""

    reason: OptionalReason = None


class ProfileChanges(_Body):
    """Only the fields sent change: `null` clears the name, the birthday or
    the tier set by hand (the tier then follows lifetime points again). An
    unknown field is a 422, not ignored: a misspelt one would otherwise
    change nothing while the merchant thinks it did."""

    # The JSON Schema says "at least one field" too (the OpenAPI document).
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"minProperties": 1})

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)] | None = None
    birthday: IsoDate | None = None
    vip_tier: TierName | None = None

    @field_validator("birthday")
    @classmethod
    def _plausible_birthday(cls, value: date | None) -> date | None:
        return plausible_birthday(value)

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, birthday, vip_tier")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as JSON."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class NewReward(_Body):
    # Its JSON Schema says what _value_fits_kind checks of the value's
    # presence: none for free shipping, one for the other kinds.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "free_shipping"}}},
            "then": {"properties": {"value": {"type": "null"}}},
            "else": {"required": ["value"], "properties": {"value": {"not": {"type": "null"}}}},
        }
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    kind: Literal["fixed_amount", "percentage", "free_shipping"]
    value: Amount | None = Field(default=None, validate_default=True)
    points_cost: int = Field(ge=1, le=MAX_POINTS_COST)
    active: bool = True

    @field_validator("value")
    @classmethod
    def _value_fits_kind(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        kind = info.data.get("kind")
        if kind == "free_shipping" and value is not None:
            raise ValueError("must be left out (or null) for a free_shipping reward")
        if kind in ("fixed_amount", "percentage") and value is None:
            raise ValueError(f"is required for a {kind} reward")
        if kind == "percentage" and value is not None and value > 100:
            raise ValueError("a percentage must be at most 100")
        return value


class RefereeCoupon(_Body):
    type: Literal["fixed", "percentage"] = "fixed"
    value: Amount = Decimal("5")

    @field_validator("value")
    @classmethod
    def _percentage_at_most_100(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("type") == "percentage" and value > 100:
            raise ValueError("a percentage must be at most 100")
        return value


class VipTier(_Body):
    name: TierName
    threshold: int = Field(ge=0, le=1_000_000_000)


class ProgramRules(_Body):
    """The whole program document (docs/points.md): it replaces the stored
    one, and fields left out take these defaults. An unknown field is a 422:
    a misspelt one would otherwise silently reset that rule to its default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    points_per_currency_unit: Annotated[PositiveDecimal, Field(le=1000, decimal_places=4)] = Decimal("1")
    rounding: Literal["floor", "round", "ceil"] = "floor"
    pending_days: int = Field(default=0, ge=0, le=365)
    expiry_days: int | None = Field(default=None, ge=1, le=3650)
    signup_points: ProgramPoints = 0
    birthday_points: ProgramPoints = 0
    review_points: ProgramPoints = 50
    photo_review_bonus_points: ProgramPoints = 0
    google_review_points: ProgramPoints = 100
    referrer_reward_points: ProgramPoints = 500
    referee_coupon: RefereeCoupon = Field(default_factory=RefereeCoupon)
    vip_tiers: list[VipTier] = Field(default_factory=list, max_length=20)

    @field_validator("expiry_days")
    @classmethod
    def _after_the_return_window(cls, value: int | None, info: ValidationInfo) -> int | None:
        pending_days = info.data.get("pending_days")
        if value is not None and pending_days is not None and value <= pending_days:
            raise ValueError(
                f"must be more than pending_days ({pending_days}): points would expire "
                "before they could be spent"
            )
        return value

    @field_validator("vip_tiers")
    @classmethod
    def _distinct_tiers(cls, tiers: list[VipTier]) -> list[VipTier]:
        names = [tier.name.casefold() for tier in tiers]
        thresholds = [tier.threshold for tier in tiers]
        if len(set(names)) < len(names):
            raise ValueError("tier names must be different from each other")
        if len(set(thresholds)) < len(thresholds):
            raise ValueError("tier thresholds must be different from each other")
        return sorted(tiers, key=lambda tier: tier.threshold)


# --- answers (the points service dumps them; the gateway documents them: openapi.py) ---


class Output(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Activity(Output):
    id: int
    customer_id: str
    customer_email: str | None
    customer_name: str | None
    type: str
    action: str
    points: int
    balance_after: int
    uncollected_points: int
    actor: str
    occurred_at: datetime
    pending_until: datetime | None
    reverses_activity_id: int | None


# An Activity as a compact row: its values in ACTIVITY_COLUMNS order.
ActivityRow = tuple[
    int, str, str | None, str | None, str, str, int, int, int, str, datetime, datetime | None, int | None
]
ACTIVITY_COLUMNS: tuple[str, ...] = tuple(Activity.model_fields)


class ActivityRows(Output):
    """A page of the point feed or of its CSV export as the points service
    answers it: each row an Activity's values in `columns` order (times as
    ISO strings), so a page of a thousand costs no model per row."""

    columns: list[str]
    rows: list[ActivityRow]
    next_cursor: str | None


class OrderAward(Output):
    """What an order earned, and if nothing, why (domain.NoPointsReason)."""

    order_id: str
    order_name: str | None
    customer_id: str
    subtotal: Decimal
    points: int
    no_points_reason: Literal["test_order", "voided", "refunded", "member_excluded"] | None
    refunded_amount: Decimal
    refunded_points: int
    activity_id: int | None
    created_at: datetime
    reversed_at: datetime | None


class NextExpiry(Output):
    points: int
    date: date


class MemberProfile(Output):
    customer_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    name: str | None
    birthday: date | None
    vip_tier: str | None
    vip_tier_manual: bool
    status: Literal["active", "excluded"]
    balance: int
    pending_points: int
    available_points: int
    lifetime_earned: int
    lifetime_redeemed: int
    member_since: datetime
    next_expiry: NextExpiry | None


class CustomerDetail(MemberProfile):
    recent_activities: list[Activity]


class Reward(Output):
    id: int
    name: str
    kind: Literal["fixed_amount", "percentage", "free_shipping"]
    value: Decimal | None
    points_cost: int
    active: bool
    created_at: datetime


class AdjustmentResult(Output):
    activity: Activity
    customer: MemberProfile


class AuditEntry(Output):
    id: int
    customer_id: str | None
    # The customer by email and name (SPEC §7 "People and products, not ids").
    customer_email: str | None
    customer_name: str | None
    actor: str
    action: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime


class DiscountCode(Output):
    code: str
    kind: Literal["redemption", "referral_welcome"]
    customer_id: str | None
    customer_email: str | None
    referral_id: str | None
    reward_id: int | None
    status: Literal["active", "used", "voided"]
    value_type: str
    value: Decimal
    created_at: datetime
    used_at: datetime | None
    voided_at: datetime | None
    order_id: str | None


class DiscountCodeCheck(Output):
    code: str
    valid: bool
    reason: Literal["unknown", "used", "voided"] | None
    value_type: str | None
    value: Decimal | None


class RedemptionResult(Output):
    code: str
    points_spent: int
    reward: Reward
    discount_code: DiscountCode
    activity: Activity
    customer: MemberProfile


class PointTotals(Output):
    """The overview's point totals for a range of days: what each type of
    ledger entry moved in it (redeemed, refunded and expired as positive
    amounts, adjustments signed), members who joined in it, and at the end
    of its last day the members not excluded and their balances."""

    points_earned: int
    points_redeemed: int
    points_refunded: int
    points_expired: int
    points_adjusted: int
    active_members: int
    new_members: int
    outstanding_points: int


class DayPoints(Output):
    date: date
    earned: int
    redeemed: int
    expired: int


class PointsOverview(Output):
    totals: PointTotals
    series: list[DayPoints]
    recent: list[Activity]
