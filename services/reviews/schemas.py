"""RPC inputs (validated: a client mistake is a 422 naming the field) and
outputs (dumped with `model_dump(mode="json")`)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

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


class CustomerReviewsQuery(_Input):
    shop_id: ShopId
    customer_id: PlatformId
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Review(_Output):
    id: str
    customer_id: str
    product_id: str
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


class GoogleReview(_Output):
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
