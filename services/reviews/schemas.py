"""RPC inputs (validated: a client mistake is a 422 naming the field) and
outputs (dumped with `model_dump(mode="json")`)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from shared.day_range import DayRange
from shared.pagination import MAX_LIMIT, PageQuery
from shared.reviews_api import CustomerReviews as CustomerReviews
from shared.reviews_api import GoogleReview as GoogleReview
from shared.reviews_api import Review as Review
from shared.reviews_api import ReviewsOverview as ReviewsOverview
from shared.reviews_api import ReviewTotals as ReviewTotals
from shared.reviews_api import Status as Status  # the answers are the gateway's contract too
from shared.reviews_api import StatusCounts as StatusCounts

ShopId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# The shop platform's own ids (Shopify's are numbers; we keep them as text).
PlatformId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ItemId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


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
