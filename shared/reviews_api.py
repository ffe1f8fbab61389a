"""What the reviews service answers over RPC (dumped with
`model_dump(mode="json")`), and so what the gateway answers over HTTP: the
OpenAPI document describes these models (services/gateway/openapi.py)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from shared.customer_copies import full_name

Status = Literal["pending", "approved", "rejected"]


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Named(_Output):
    """An item naming its customer, from the customers copy (null where no
    event has told of them yet)."""

    customer_email: str | None = None
    customer_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _full_name(cls, data: Any) -> Any:
        if hasattr(data, "_asdict"):
            data = data._asdict()
        if isinstance(data, dict) and "customer_name" not in data:
            name = full_name(data.get("customer_first_name"), data.get("customer_last_name"))
            data = dict(data, customer_name=name)
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
    """The items submitted in a range of days, by status now, the points
    reviews earned (rewards and photo bonuses) and the reviews' average
    rating (null without reviews): what their feed rows add up to."""

    reviews: StatusCounts
    review_points_rewarded: int
    google_reviews: StatusCounts
    reviews_average_rating: float | None


class ReviewsOverview(_Output):
    totals: ReviewTotals
    recent_reviews: list[Review]
    recent_google_reviews: list[GoogleReview]
