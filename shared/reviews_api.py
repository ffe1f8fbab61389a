"""What the reviews service answers over RPC (dumped with
`model_dump(mode="json")`), and so what the gateway answers over HTTP: the
OpenAPI document describes these models (services/gateway/openapi.py)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["pending", "approved", "rejected"]


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
