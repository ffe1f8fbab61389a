"""RPC inputs (validated: a client mistake is a 422 naming the field) and
outputs (dumped with `model_dump(mode="json")`)."""

from datetime import datetime
from typing import Annotated, Literal, Self

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.referrals.domain import normalize_code
from shared.day_range import DayRange
from shared.pagination import MAX_LIMIT, PageQuery

ShopId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# The shop platform's own customer ids (Shopify's are numbers; we keep them as text).
PlatformId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(normalize_code)
]
ClientIp = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
ReferralId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Status = Literal["pending", "completed", "cancelled"]
Role = Literal["referrer", "referee"]


def _valid_email(value: str) -> str:
    """Syntax only: whether the mailbox exists is the shop's business, and a
    DNS lookup per claim would make the storefront slow and flaky."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_valid_email)]


class _Input(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)


class LinkRequest(_Input):
    shop_id: ShopId
    customer_id: PlatformId


class ClickRequest(_Input):
    shop_id: ShopId
    code: Code
    client_ip: ClientIp | None = None


class ClaimRequest(_Input):
    shop_id: ShopId
    code: Code
    email: Email
    client_ip: ClientIp | None = None


class ReferralRef(_Input):
    shop_id: ShopId
    referral_id: ReferralId


class CancelRequest(ReferralRef):
    actor: Actor | None = None


class ActivityQuery(PageQuery):
    shop_id: ShopId
    status: Status | None = None


class OverviewQuery(DayRange):
    shop_id: ShopId


class CustomerReferralsQuery(_Input):
    shop_id: ShopId
    customer_id: PlatformId
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReferralLink(_Output):
    code: str
    customer_id: str
    clicks: int
    created_at: datetime


class LinkClicks(_Output):
    code: str
    clicks: int


class Claim(_Output):
    referral_id: str
    discount_code: str
    status: Status


class Steps(_Output):
    link_clicked_at: datetime | None
    email_entered_at: datetime
    coupon_issued_at: datetime
    order_placed_at: datetime | None


class Referral(_Output):
    """A referral as the dashboard shows it: the contract's activity fields,
    plus the link code, the completing order and who cancelled it."""

    id: str
    code: str
    referrer_customer_id: str
    referrer_email: str | None
    # The referrer, the customer the row is about, by email and name.
    customer_email: str | None = None
    customer_name: str | None = None
    referee_email: str
    referee_customer_id: str | None
    status: Status
    steps: Steps
    discount_code: str
    discount_code_status: Literal["active", "used", "voided"]
    order_id: str | None
    referrer_reward_points: int | None
    occurred_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None

    @classmethod
    def of(cls, row) -> Self:
        fields = row._asdict() if hasattr(row, "_asdict") else dict(row)
        name = " ".join(
            part for part in (fields.get("customer_first_name"), fields.get("customer_last_name")) if part
        )
        return cls.model_validate(
            dict(fields, steps=Steps.model_validate(fields), customer_name=name or None)
        )


class CustomerReferral(Referral):
    """A referral on a customer's detail: whether they referred (`referrer`)
    or were referred and completed it with their order (`referee`)."""

    role: Role


class StatusCounts(_Output):
    pending: int
    completed: int
    cancelled: int


class ReferralTotals(_Output):
    """The referrals claimed in a range of days, by status now, and the
    points their referrers earned: what their feed rows add up to."""

    referrals: StatusCounts
    referral_points_rewarded: int


class ReferralsOverview(_Output):
    totals: ReferralTotals
    recent: list[Referral]
