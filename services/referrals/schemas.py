"""RPC inputs (validated: a client mistake is a 422 naming the field) and
outputs (dumped with `model_dump(mode="json")`)."""

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.referrals.domain import normalize_code
from shared.day_range import DayRange
from shared.pagination import MAX_LIMIT, PageQuery
from shared.referrals_api import Claim as Claim
from shared.referrals_api import CustomerReferral as CustomerReferral
from shared.referrals_api import LinkClicks as LinkClicks
from shared.referrals_api import Referral as Referral
from shared.referrals_api import ReferralLink as ReferralLink
from shared.referrals_api import ReferralsOverview as ReferralsOverview
from shared.referrals_api import ReferralTotals as ReferralTotals
from shared.referrals_api import Role as Role
from shared.referrals_api import Status as Status  # the answers are the gateway's contract too
from shared.referrals_api import StatusCounts as StatusCounts
from shared.referrals_api import Steps as Steps

ShopId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# The shop platform's own customer ids (Shopify's are numbers; we keep them as text).
PlatformId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(normalize_code)
]
ClientIp = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
ReferralId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


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
