"""What the gateway accepts over HTTP: query strings, the storefront's
request bodies and the Shopify webhook bodies it reads. Unknown fields are
ignored; the fields we use are validated (a client mistake is a 422 naming
the field). The admin API's points bodies are the contract both the gateway
and the points service validate with: shared/points_api.py."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints

from shared.pagination import CursorQuery, PageQuery


def _number_as_text(value):
    # Shopify ids are JSON numbers; every service keeps them as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


PlatformId = Annotated[
    str,
    BeforeValidator(_number_as_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
]
CustomerToken = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-fA-F]{64}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


# --- query strings (all values arrive as text) ------------------------------


class PointActivityQuery(PageQuery):
    type: Literal["all", "earned", "redeemed", "refunded", "expired", "adjusted"] = "all"
    q: ShortText | None = None


class ReferralActivityQuery(PageQuery):
    status: Literal["pending", "completed", "cancelled"] | None = None


class ReviewActivityQuery(PageQuery):
    status: Literal["pending", "approved", "rejected"] | None = None


class CustomerQuery(CursorQuery):
    q: ShortText | None = None


class AuditLogQuery(PageQuery):
    customer_id: PlatformId | None = None


class IdempotencyHeader(BaseModel):
    """`Idempotency-Key`: a retry with the same key and body returns the
    first result instead of acting twice."""

    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        Field(default=None, alias="Idempotency-Key")
    )


# --- storefront request bodies (JSON: types as sent, no coercion) ------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class SignedCustomer(_Body):
    """A customer-bound call: the shop's page signs the customer id."""

    customer_id: PlatformId
    customer_token: CustomerToken


class ReferralClaimRequest(_Body):
    email: Annotated[EmailStr, StringConstraints(max_length=254)]


class ReviewFields(_Body):
    """A product review as a customer writes it (through the app proxy,
    where Shopify says who they are, this is the whole body)."""

    product_id: PlatformId
    rating: int = Field(ge=1, le=5)
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    body: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    media_urls: list[Annotated[str, StringConstraints(max_length=2048)]] = Field(
        default_factory=list, max_length=10
    )


class ReviewRequest(SignedCustomer, ReviewFields):
    pass


class GoogleReviewFields(_Body):
    review_url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]


class GoogleReviewRequest(SignedCustomer, GoogleReviewFields):
    pass


# --- Shopify webhook bodies ---------------------------------------------------


class _Shopify(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ShopifyCustomerRef(_Shopify):
    id: PlatformId
    email: str | None = None


class ShopifyDiscountCode(_Shopify):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


Money = Annotated[Decimal, Field(ge=0)]


class ShopifyOrder(_Shopify):
    id: PlatformId
    name: str | None = None
    order_number: int | None = None
    email: str | None = None
    customer: ShopifyCustomerRef | None = None
    financial_status: str | None = None
    subtotal_price: Money | None = None
    total_price: Money | None = None
    currency: str | None = None
    discount_codes: list[ShopifyDiscountCode] = []
    created_at: datetime | None = None


class ShopifyRefundLineItem(_Shopify):
    subtotal: Money = Decimal(0)


class ShopifyTransaction(_Shopify):
    amount: Money
    kind: str | None = None
    status: str | None = None
    currency: str | None = None


class ShopifyRefund(_Shopify):
    id: PlatformId
    order_id: PlatformId
    customer: ShopifyCustomerRef | None = None
    refund_line_items: list[ShopifyRefundLineItem] = []
    transactions: list[ShopifyTransaction] = []
    created_at: datetime | None = None


class ShopifyCustomer(_Shopify):
    id: PlatformId
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
