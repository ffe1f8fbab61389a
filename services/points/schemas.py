"""RPC inputs and outputs of the points service (docs/architecture.md, "points")."""
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.pagination import PageQuery

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


class Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)


class CustomerRef(Input):
    shop_id: str = ShopId
    customer_id: str = Field(min_length=1, max_length=64)


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
    occurred_at: datetime


class MemberProfile(Output):
    customer_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    name: str | None
    birthday: date | None
    vip_tier: str | None
    status: Literal["active", "excluded"]
    balance: int
    pending_points: int
    lifetime_earned: int
    lifetime_redeemed: int
    member_since: datetime


class CustomerDetail(MemberProfile):
    recent_activities: list[Activity]


class DiscountCode(Output):
    code: str
    kind: Literal["redemption", "referral_welcome"]
    customer_id: str | None
    customer_email: str | None
    referral_id: str | None
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
