"""RPC inputs and outputs of the points service (docs/architecture.md, "points")."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from shared.day_range import DayRange
from shared.imports_api import MAX_IMPORT_COLUMNS
from shared.pagination import CursorQuery, PageQuery
from shared.points_api import ACTIVITY_COLUMNS as ACTIVITY_COLUMNS
from shared.points_api import Activity as Activity  # the answers are the gateway's contract too
from shared.points_api import ActivityRows as ActivityRows
from shared.points_api import AdjustmentResult as AdjustmentResult
from shared.points_api import AuditEntry as AuditEntry
from shared.points_api import CustomerDetail as CustomerDetail
from shared.points_api import DayPoints as DayPoints
from shared.points_api import DiscountCode as DiscountCode
from shared.points_api import DiscountCodeCheck as DiscountCodeCheck
from shared.points_api import MemberProfile as MemberProfile
from shared.points_api import (
    NewReward,
    PointsAdjustment,
    ProfileChanges,
    ProgramRules,
    ReasonBody,
    RewardRedemption,
)
from shared.points_api import NextExpiry as NextExpiry
from shared.points_api import OrderAward as OrderAward
from shared.points_api import PointsOverview as PointsOverview
from shared.points_api import PointTotals as PointTotals
from shared.points_api import RedemptionResult as RedemptionResult
from shared.points_api import Reward as Reward

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

    limit: int = Field(default=5000, ge=1, le=5000)


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


# --- imports of balances (operations/imports.py) --------------------------------------


class ImportStart(AdminCommand):
    file_name: str | None = Field(default=None, max_length=255)


class ImportRef(Input):
    shop_id: str = ShopId
    import_id: str = Field(min_length=1, max_length=200)  # an unknown id is a 404


class CsvRow(BaseModel):
    line: int = Field(ge=2)  # the header is line 1
    values: list[str] = Field(max_length=MAX_IMPORT_COLUMNS + 1)  # those past one extra are left out
    value_count: int | None = None  # how many the row had, when not all are sent


class StagedRows(ImportRef):
    """A batch of the file's data rows as read, checked here (ImportRow)."""

    header: list[str] = Field(min_length=1, max_length=MAX_IMPORT_COLUMNS)
    rows: list[CsvRow] = Field(max_length=5000)


class UploadFinished(ImportRef):
    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
