"""RPC inputs and outputs of the points service (docs/architecture.md, "points")."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from shared.day_range import DayRange
from shared.pagination import CursorQuery, PageQuery
from shared.points_api import (
    NewReward,
    PointsAdjustment,
    ProfileChanges,
    ProgramRules,
    ReasonBody,
    RewardRedemption,
)

ShopId = Field(min_length=1, max_length=64)


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
    return value or None


# --- inputs -------------------------------------------------------------------------


class ActivitiesQuery(PageQuery):
    """`q` is a case-insensitive *prefix* of the member's email ("jane" finds
    jane.doe@example.com, not mary.jane@...): a prefix can use an index, a
    substring would scan every member of the shop."""

    shop_id: str = ShopId
    type: Literal["all", "earned", "redeemed", "refunded", "expired", "adjusted"] = "all"
    q: str | None = Field(default=None, max_length=320)

    @field_validator("q")
    @classmethod
    def _email_prefix(cls, value):
        value = _blank_to_none(value)
        return value.lower() if value else None


class OverviewQuery(DayRange):
    shop_id: str = ShopId


class ExportQuery(ActivitiesQuery):
    """One page of the CSV export: larger pages, fewer round trips."""

    limit: int = Field(default=1000, ge=1, le=2000)


class Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)


CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ShopRef(Input):
    shop_id: str = ShopId


class CustomerRef(Input):
    shop_id: str = ShopId
    customer_id: CustomerId


class CustomersQuery(CursorQuery):
    """`q`: the start of an email, of a full name or of a last name."""

    shop_id: str = ShopId
    q: str | None = Field(default=None, max_length=320)

    @field_validator("q")
    @classmethod
    def _prefix(cls, value):
        value = _blank_to_none(value)
        return value.lower() if value else None


class CustomerActivitiesQuery(CursorQuery):
    shop_id: str = ShopId
    customer_id: CustomerId


class AuditQuery(PageQuery):
    shop_id: str = ShopId
    customer_id: CustomerId | None = None


class EmailLookup(Input):
    shop_id: str = ShopId
    email: str = Field(min_length=1, max_length=320)


class CodeRef(Input):
    shop_id: str = ShopId
    code: str = Field(min_length=1, max_length=64)


class OrderRef(Input):
    shop_id: str = ShopId
    order_id: CustomerId


class ReferralRef(Input):
    shop_id: str = ShopId
    referral_id: str = Field(min_length=1, max_length=64)


class WelcomeCodeRequest(Input):
    shop_id: str = ShopId
    referral_id: str = Field(min_length=1, max_length=64)
    referee_email: EmailStr


class AdminCommand(Input):
    """Every admin action names the shop and who acts; the rest of each
    command is the merchant's request body (shared/points_api.py)."""

    shop_id: str = ShopId
    actor: str = Field(min_length=1, max_length=200)


class IdempotentCommand(AdminCommand):
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class Adjustment(IdempotentCommand, PointsAdjustment):
    customer_id: CustomerId


class Redemption(IdempotentCommand, RewardRedemption):
    customer_id: CustomerId


class Reversal(AdminCommand, ReasonBody):
    activity_id: int = Field(ge=1)


class StatusChange(AdminCommand, ReasonBody):
    customer_id: CustomerId


class ProfileUpdate(AdminCommand):
    customer_id: CustomerId
    changes: ProfileChanges


class ProgramUpdate(AdminCommand):
    settings: ProgramRules


class RewardCreation(AdminCommand):
    reward: NewReward


# --- outputs ------------------------------------------------------------------------


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
    actor: str
    action: str
    reason: str | None
    before: dict | None
    after: dict | None
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
