"""What the referrals service answers over RPC (dumped with
`model_dump(mode="json")`), and so what the gateway answers over HTTP: the
OpenAPI document describes these models (services/gateway/openapi.py)."""

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict

from shared.customer_copies import full_name

Status = Literal["pending", "completed", "cancelled"]
Role = Literal["referrer", "referee"]


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
    def of(cls, row: Any) -> Self:
        """From a query's row (or a mapping of its columns)."""
        fields = row._asdict() if hasattr(row, "_asdict") else dict(row)
        name = full_name(fields.get("customer_first_name"), fields.get("customer_last_name"))
        return cls.model_validate(dict(fields, steps=Steps.model_validate(fields), customer_name=name))


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
    points their referrers earned: what their feed rows add up to; and the
    clicks on the shop's referral links in those days (the funnel's top)."""

    referrals: StatusCounts
    referral_points_rewarded: int
    referral_link_clicks: int


class ReferralsOverview(_Output):
    totals: ReferralTotals
    recent: list[Referral]
