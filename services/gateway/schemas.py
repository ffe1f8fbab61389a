"""What the gateway accepts over HTTP: query strings, the storefront's
request bodies and the Shopify webhook bodies it reads. Unknown fields are
ignored; the fields we use are validated (a client mistake is a 422 naming
the field). The admin API's points bodies are the contract both the gateway
and the points service validate with: shared/points_api.py."""

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from shared.pagination import CursorQuery, PageQuery, WindowQuery
from shared.points_api import CustomerDetail, Reward
from shared.referrals_api import CustomerReferral
from shared.reviews_api import GoogleReview, Review


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


class PointFilters(WindowQuery):
    """The point feed's filters: the CSV export's whole query (it pages
    through everything itself)."""

    type: Literal["all", "earned", "redeemed", "refunded", "expired", "adjusted"] = "all"
    q: ShortText | None = None


class PointActivityQuery(PageQuery, PointFilters):
    pass


class ReferralActivityQuery(PageQuery):
    status: Literal["pending", "completed", "cancelled"] | None = None


class ReviewActivityQuery(PageQuery):
    status: Literal["pending", "approved", "rejected"] | None = None


class TimelineFilter(PageQuery):
    """The merged timeline's query: a feed's, and one `kind` of item or all."""

    kind: Literal["points", "admin", "referral", "review", "google_review"] | None = None


class CustomerQuery(CursorQuery):
    q: ShortText | None = None


class AuditLogQuery(PageQuery):
    customer_id: PlatformId | None = None


class ProxyQuery(BaseModel):
    """What Shopify's app proxy adds to each request it forwards
    (proxy_signature.py checks them)."""

    shop: str
    logged_in_customer_id: str = ""
    path_prefix: str | None = None
    timestamp: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]


class ShopifyWebhookHeaders(BaseModel):
    """The headers of a Shopify webhook (shopify_webhooks.WebhookDelivery)."""

    topic: str = Field(alias="X-Shopify-Topic")
    shop_domain: str = Field(alias="X-Shopify-Shop-Domain")
    webhook_id: str = Field(alias="X-Shopify-Webhook-Id")
    signature: str = Field(alias="X-Shopify-Hmac-Sha256", description="base64 HMAC-SHA256 of the raw body")


class IdempotencyHeader(BaseModel):
    """`Idempotency-Key`: a retry with the same key and body returns the
    first result instead of acting twice."""

    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        Field(default=None, alias="Idempotency-Key")
    )


# --- storefront and sign-in request bodies (JSON: types as sent, no coercion) --


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class CustomerTokenQuery(_Body):
    """`?customer_token=`: the storefront customer's proof, in a GET."""

    customer_token: CustomerToken


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


class SignInRequest(_Body):
    """The admin API key typed into the dashboard's sign-in form."""

    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --- Shopify webhook bodies ---------------------------------------------------
#
# Checked for everything the services behind us will store or compute with,
# so that a webhook we take in can always be applied: one that cannot (an
# amount out of range, a name longer than its column, a NUL character,
# which PostgreSQL refuses in text) is refused here, never left to fail
# in a consumer and end in a dead-letter queue.

MAX_AMOUNT = Decimal(10) ** 12
_AMOUNT_TEXT = re.compile(r"\d{1,13}(\.\d{1,3})?")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def _amount(value):
    """An amount as Shopify writes it: decimal text ("12.50") or a JSON
    number; not "1e30", "NaN", "12,50" or "$12"."""
    if isinstance(value, bool):
        raise ValueError("must be an amount such as 12.50")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite amount")
        return Decimal(repr(value))
    if isinstance(value, str) and _AMOUNT_TEXT.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise ValueError('must be an amount written like "12.50"')


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _aware(value: datetime) -> datetime:
    # Shopify writes offsets; a time without one is taken as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Money = Annotated[
    Decimal, BeforeValidator(_amount), Field(ge=0, le=MAX_AMOUNT, max_digits=16, decimal_places=3)
]
ShopifyId = Annotated[PlatformId, AfterValidator(_no_nul)]
Currency = Annotated[str, StringConstraints(pattern=_CURRENCY.pattern), AfterValidator(str.upper)]
Timestamp = Annotated[datetime, AfterValidator(_aware)]


# Text as long as the column it ends up in.
OrderName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_nul)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_no_nul)]
PersonName = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Word = Annotated[str, StringConstraints(max_length=32), AfterValidator(_no_nul)]


class _Shopify(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ShopifyCustomerRef(_Shopify):
    id: ShopifyId
    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None


ProductTitle = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_nul)]


class ShopifyLineItem(_Shopify):
    product_id: ShopifyId | None = None  # null for a custom item
    title: ProductTitle | None = None


class ShopifyDiscountCode(_Shopify):
    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(_no_nul)
    ]


class ShopifyOrder(_Shopify):
    id: ShopifyId
    name: OrderName | None = None
    order_number: int | None = Field(default=None, ge=0, le=2**63 - 1)
    email: Email | None = None
    customer: ShopifyCustomerRef | None = None
    financial_status: Word | None = None
    subtotal_price: Money | None = None
    total_price: Money | None = None
    currency: Currency | None = None
    discount_codes: list[ShopifyDiscountCode] = Field(default=[], max_length=100)
    line_items: list[ShopifyLineItem] = Field(default=[], max_length=1000)
    created_at: Timestamp | None = None
    # Placed with Shopify's test gateway: earns nothing.
    test: bool = False


class ShopifyRefundLineItem(_Shopify):
    subtotal: Money = Decimal(0)


class ShopifyTransaction(_Shopify):
    amount: Money
    kind: Word | None = None
    status: Word | None = None
    currency: Currency | None = None


class ShopifyRefund(_Shopify):
    id: ShopifyId
    order_id: ShopifyId
    customer: ShopifyCustomerRef | None = None
    refund_line_items: list[ShopifyRefundLineItem] = Field(default=[], max_length=1000)
    transactions: list[ShopifyTransaction] = Field(default=[], max_length=100)
    created_at: Timestamp | None = None


class ShopifyCustomer(_Shopify):
    id: ShopifyId
    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None


ShopifyWebhookBody = ShopifyOrder | ShopifyRefund | ShopifyCustomer


# --- what the gateway answers itself (the services' answers pass through) ------
#
# The OpenAPI document's description of these bodies; the schemathesis
# test (tests/operability/test_openapi.py) checks every answer against it.


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    broker: str
    database: str
    services: dict[str, str]


class WebhookReceipt(BaseModel):
    """`accepted` (recorded as an event), `duplicate` (a repeated webhook
    id), `ignored` (a topic we do not use) or `refused` (one that can
    never be applied, with its reason: answered 200 so Shopify stops)."""

    status: Literal["accepted", "duplicate", "ignored", "refused"]
    event_id: str | None = None
    topic: str | None = None
    reason: str | None = None
    details: object = None


class ReferralLinkView(BaseModel):
    code: str
    url: str


class StorefrontReward(BaseModel):
    id: int
    name: str
    points_cost: int
    redeemable: bool


class StorefrontExpiry(BaseModel):
    points: int
    on: str


class StorefrontCustomerView(BaseModel):
    """SPEC §7 "Storefront customer"; `unavailable` names a service that
    did not answer (its part is then null)."""

    customer_id: str
    points_balance: int
    pending_points: int
    vip_tier: str | None
    next_expiry: StorefrontExpiry | None
    referral_link: ReferralLinkView | None
    rewards: list[StorefrontReward]
    unavailable: list[str]


class ShopRef(BaseModel):
    id: str
    domain: str
    # ISO 4217 (`loyalty shops create --currency`): the shop's money.
    currency: str


class SignedIn(BaseModel):
    shop: ShopRef
    actor: str
    csrf_token: str | None


class SignedOut(BaseModel):
    signed_in: Literal[False]


class RewardCatalog(BaseModel):
    items: list[Reward]


class CustomerOverview(BaseModel):
    """The admin's customer detail (operations.customer_detail): a section
    whose service did not answer is null and named in `unavailable`."""

    customer: CustomerDetail
    referrals: list[CustomerReferral] | None
    reviews: list[Review] | None
    google_reviews: list[GoogleReview] | None
    unavailable: list[str]


class ImportUpload(BaseModel):
    """The name of the file posted to /api/imports/points, shown in the list of imports."""

    file_name: str | None = Field(default=None, max_length=255)
