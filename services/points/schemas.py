"""RPC inputs and outputs of the points service (docs/architecture.md, "points")."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator, model_validator,
)

from shared.pagination import CursorQuery, PageQuery

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


class ExportQuery(ActivitiesQuery):
    """One page of the CSV export: larger pages, fewer round trips."""

    limit: int = Field(default=1000, ge=1, le=2000)


class Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)


CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Points = Field(ge=0, le=1_000_000)


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


class AdminCommand(Input):
    """Every admin action names the shop and who acts."""

    shop_id: str = ShopId
    actor: str = Field(min_length=1, max_length=200)


class IdempotentCommand(AdminCommand):
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class Adjustment(IdempotentCommand):
    customer_id: CustomerId
    points: int = Field(ge=-1_000_000, le=1_000_000)
    reason: Reason

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value):
        if value == 0:
            raise ValueError("must not be 0: an adjustment adds or takes away points")
        return value


class Redemption(IdempotentCommand):
    customer_id: CustomerId
    reward_id: int = Field(ge=1)


class Reversal(AdminCommand):
    activity_id: int = Field(ge=1)
    reason: Reason | None = None


class StatusChange(AdminCommand):
    customer_id: CustomerId
    reason: Reason | None = None


class ProfileChanges(Input):
    """Only the keys given change; null clears (for vip_tier: back to automatic)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = Field(default=None, max_length=400)
    birthday: date | None = None
    vip_tier: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("birthday")
    @classmethod
    def _plausible(cls, value):
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("must be a date between 1900-01-01 and today")
        return value


class ProfileUpdate(AdminCommand):
    customer_id: CustomerId
    changes: ProfileChanges

    @field_validator("changes")
    @classmethod
    def _something(cls, value):
        if not value.model_fields_set:
            raise ValueError("give at least one of name, birthday, vip_tier")
        return value


class VipTierRule(Input):
    name: str = Field(min_length=1, max_length=64)
    threshold: int = Field(ge=0, le=1_000_000_000)


class RefereeCoupon(Input):
    type: Literal["fixed", "percentage"] = "fixed"
    value: Decimal = Field(default=Decimal("5"), gt=0, max_digits=12, decimal_places=2)

    @model_validator(mode="after")
    def _percent(self):
        if self.type == "percentage" and self.value > 100:
            raise ValueError("a percentage coupon cannot exceed 100")
        return self


class ProgramRules(Input):
    """The program settings document (docs/points.md); omitted fields take
    the defaults."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    points_per_currency_unit: Decimal = Field(default=Decimal("1"), gt=0, le=1000, max_digits=12,
                                              decimal_places=4)
    rounding: Literal["floor", "round", "ceil"] = "floor"
    pending_days: int = Field(default=0, ge=0, le=365)
    expiry_days: int | None = Field(default=None, ge=1, le=3650)
    signup_points: int = Field(default=0, ge=0, le=1_000_000)
    birthday_points: int = Field(default=0, ge=0, le=1_000_000)
    review_points: int = Field(default=50, ge=0, le=1_000_000)
    photo_review_bonus_points: int = Field(default=0, ge=0, le=1_000_000)
    google_review_points: int = Field(default=100, ge=0, le=1_000_000)
    referrer_reward_points: int = Field(default=500, ge=0, le=1_000_000)
    referee_coupon: RefereeCoupon = Field(default_factory=RefereeCoupon)
    vip_tiers: list[VipTierRule] = Field(default_factory=list, max_length=20)

    @field_validator("vip_tiers")
    @classmethod
    def _distinct_tiers(cls, tiers):
        names = [tier.name.lower() for tier in tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        thresholds = [tier.threshold for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("tier thresholds must be unique")
        return sorted(tiers, key=lambda tier: tier.threshold)

    @model_validator(mode="after")
    def _window_within_expiry(self):
        if self.expiry_days is not None and self.pending_days >= self.expiry_days:
            raise ValueError("pending_days must be shorter than expiry_days, or points would "
                             "expire before they could be spent")
        return self


class ProgramUpdate(AdminCommand):
    settings: ProgramRules


class NewReward(Input):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["fixed_amount", "percentage", "free_shipping"]
    value: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)
    points_cost: int = Field(ge=1, le=10_000_000)
    active: bool = True

    @model_validator(mode="after")
    def _value_fits_kind(self):
        if self.kind == "free_shipping":
            if self.value is not None:
                raise ValueError("value: a free-shipping reward has no value")
        elif self.value is None:
            raise ValueError(f"value: required for a {self.kind} reward")
        elif self.kind == "percentage" and self.value > 100:
            raise ValueError("value: a percentage cannot exceed 100")
        return self


class RewardCreation(AdminCommand):
    reward: NewReward


class EmailLookup(Input):
    shop_id: str = ShopId
    email: str = Field(min_length=1, max_length=320)


class CodeRef(Input):
    shop_id: str = ShopId
    code: str = Field(min_length=1, max_length=64)


class WelcomeCodeRequest(Input):
    shop_id: str = ShopId
    referral_id: str = Field(min_length=1, max_length=64)
    referee_email: EmailStr


# --- outputs ------------------------------------------------------------------------

class Output(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Activity(Output):
    id: int
    customer_id: str
    customer_email: str | None
    type: str
    action: str
    points: int
    balance_after: int
    uncollected_points: int
    actor: str
    occurred_at: datetime
    pending_until: datetime | None
    reverses_activity_id: int | None


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
