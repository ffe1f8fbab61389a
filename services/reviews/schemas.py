"""RPC inputs (validated: a client mistake is a 422 naming the field) and
outputs (dumped with `model_dump(mode="json")`)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from shared.day_range import DayRange
from shared.pagination import MAX_LIMIT, PageQuery

ShopId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# The shop platform's own ids (Shopify's are numbers; we keep them as text).
PlatformId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ItemId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Status = Literal["pending", "approved", "rejected"]


class _Input(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)


class ReviewSubmission(_Input):
    shop_id: ShopId
    customer_id: PlatformId
    product_id: PlatformId
    rating: int = Field(ge=1, le=5)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=5000)
    media_urls: list[HttpUrl] = Field(default_factory=list, max_length=10)


class GoogleReviewSubmission(_Input):
    shop_id: ShopId
    customer_id: PlatformId
    review_url: HttpUrl


class ReviewRef(_Input):
    shop_id: ShopId
    review_id: ItemId


class ReviewModeration(ReviewRef):
    actor: Actor | None = None


class GoogleReviewRef(_Input):
    shop_id: ShopId
    submission_id: ItemId


class GoogleReviewModeration(GoogleReviewRef):
    actor: Actor | None = None


class ActivityQuery(PageQuery):
    shop_id: ShopId
    status: Status | None = None


class OverviewQuery(DayRange):
    shop_id: ShopId


class CustomerReviewsQuery(_Input):
    shop_id: ShopId
    customer_id: PlatformId
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Named(_Output):
    """An item naming its customer, from the customers copy (null where no
    event has told of them yet)."""

    customer_email: str | None = None
    customer_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _full_name(cls, data):
        if hasattr(data, "_asdict"):
            data = data._asdict()
        if isinstance(data, dict) and "customer_name" not in data:
            parts = (data.get("customer_first_name"), data.get("customer_last_name"))
            data = dict(data, customer_name=" ".join(part for part in parts if part) or None)
        return data


class Review(_Named):
    id: str
    customer_id: str
    product_id: str
    # From the orders' line items seen; null until an order with it arrives.
    product_title: str | None = None
    rating: int
    title: str
    body: str
    media_urls: list[str]
    status: Status
    reward_points: int | None
    photo_bonus_points: int | None
    occurred_at: datetime
    moderated_at: datetime | None
    moderated_by: str | None


class GoogleReview(_Named):
    id: str
    customer_id: str
    review_url: str
    status: Status
    reward_points: int | None
    occurred_at: datetime
    moderated_at: datetime | None
    moderated_by: str | None


class CustomerReviews(_Output):
    """A customer's newest reviews and Google-review submissions."""

    reviews: list[Review]
    google_reviews: list[GoogleReview]


class StatusCounts(_Output):
    pending: int
    approved: int
    rejected: int


class ReviewTotals(_Output):
    """The items submitted in a range of days, by status now, and the
    points reviews earned (rewards and photo bonuses): what their feed rows
    add up to."""

    reviews: StatusCounts
    review_points_rewarded: int
    google_reviews: StatusCounts


class ReviewsOverview(_Output):
    totals: ReviewTotals
    recent_reviews: list[Review]
    recent_google_reviews: list[GoogleReview]
