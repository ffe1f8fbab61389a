"""What the webhooks service answers over RPC, and the admin API's request
bodies for outbound webhook subscriptions: the gateway's HTTP contract too
(docs/webhooks.md). The gateway checks a body with these models (early,
clear 422s); the webhooks service checks it again, with the URL's address
rules, as the owner of subscriptions."""

from datetime import datetime
from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# SPEC §7's topics, in its order.
Topic = Literal[
    "points.earned",
    "points.redeemed",
    "points.adjusted",
    "points.refunded",
    "points.expired",
    "member.tier_changed",
    "member.excluded",
    "member.included",
    "referral.claimed",
    "referral.completed",
    "referral.cancelled",
    "review.approved",
    "google_review.approved",
]
TOPICS: tuple[str, ...] = get_args(Topic)
# The topic of a test delivery (POST …/{id}/test); no subscription lists it.
TEST_TOPIC = "test"

SubscriptionStatus = Literal["active", "paused", "disabled"]
DeliveryOutcome = Literal["delivered", "retrying", "failed"]

URL_MAX_LENGTH = 2048


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NewSubscription(BaseModel):
    """POST /api/webhook-subscriptions."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=URL_MAX_LENGTH)
    topics: list[Topic] = Field(min_length=1, max_length=len(TOPICS))

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, url: str) -> str:
        # The scheme and address rules (https only, no private hosts) are
        # the webhooks service's (services/webhooks/domain.py); here only
        # what any URL must be.
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute https:// URL")
        return url.strip()

    @field_validator("topics")
    @classmethod
    def _distinct(cls, topics: list[str]) -> list[str]:
        return list(dict.fromkeys(topics))


class SubscriptionStatusChange(BaseModel):
    """PATCH /api/webhook-subscriptions/{id}: pause or resume (a disabled
    subscription is resumed the same way)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused"]


class Subscription(_Output):
    id: str
    url: str
    topics: list[str]
    status: SubscriptionStatus
    # Why it was disabled (null unless status is "disabled").
    disabled_reason: str | None
    # When its deliveries began failing without a success since (null: not failing).
    failing_since: datetime | None
    created_at: datetime


class CreatedSubscription(Subscription):
    # Shown once, at creation: only an encrypted copy is kept.
    signing_secret: str


class SubscriptionList(BaseModel):
    items: list[Subscription]


class Deleted(BaseModel):
    id: str
    deleted: bool


class TestDelivery(_Output):
    """The delivery a test request scheduled (sent within a second or so)."""

    id: int
    subscription_id: str
    topic: str
    event_id: str
    created_at: datetime


class DeliveryAttempt(_Output):
    """One POST to a subscription's URL (or the refusal to make it)."""

    id: int
    delivery_id: int
    topic: str
    event_id: str
    attempt: int
    attempted_at: datetime
    outcome: DeliveryOutcome
    status_code: int | None  # null: no answer (timeout, refused address, connection error)
    duration_ms: int
    error: str | None
    next_retry_at: datetime | None  # null unless outcome is "retrying"
