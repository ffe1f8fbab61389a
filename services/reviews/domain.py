"""Review rules, plain Python: what a new submission looks like, how
moderation moves (pending → approved | rejected, final; the same decision
again is a no-op), which events approval causes, and which point awards are
a review's reward."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, Protocol, TypedDict, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shared.errors import Conflict
from shared.events import GoogleReviewApproved, OrderPlaced, PointsAwarded, ReviewApproved

PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
Status = Literal["pending", "approved", "rejected"]

# The two kinds of moderated item; also the `reason` of their points award.
REVIEW = "review"
GOOGLE_REVIEW = "google_review"
LABELS = {REVIEW: "review", GOOGLE_REVIEW: "Google review"}
# The extra award points gives a review with photos or video.
PHOTO_REVIEW = "photo_review"


class StoredItem(Protocol):
    """What these rules read of a stored review or Google-review submission."""

    @property
    def id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...


class StoredReview(StoredItem, Protocol):
    @property
    def product_id(self) -> str: ...
    @property
    def rating(self) -> int: ...
    @property
    def media_urls(self) -> list[str]: ...


@dataclass(frozen=True)
class Moderation:
    status: str
    moderated_at: datetime
    moderated_by: str | None


def moderate(
    kind: str, current_status: str, decision: str, actor: str | None, now: datetime
) -> Moderation | None:
    """The moderation to record, or None when the item already has that
    decision (a retried click changes nothing and publishes nothing).
    A decision is final: the opposite one is a Conflict."""
    if current_status == decision:
        return None
    if current_status != PENDING:
        raise Conflict(f"this {LABELS[kind]} is already {current_status}", {"status": current_status})
    return Moderation(status=decision, moderated_at=now, moderated_by=actor)


class NewItem(TypedDict):
    """A review's or a submission's row as first stored."""

    id: str
    shop_id: str
    customer_id: str
    status: Status
    reward_points: int | None
    occurred_at: datetime
    moderated_at: datetime | None
    moderated_by: str | None


class NewReview(NewItem):
    product_id: str
    rating: int
    title: str
    body: str
    media_urls: list[str]
    photo_bonus_points: int | None


class NewGoogleReview(NewItem):
    review_url: str
    review_url_key: str


def average_rating(rating_sum: int, reviews: int) -> float | None:
    """The reviews' mean stars to two decimals (4.67); None without any."""
    return round(rating_sum / reviews, 2) if reviews else None


def new_review(
    shop_id: str,
    customer_id: str,
    product_id: str,
    rating: int,
    title: str,
    body: str,
    media_urls: list[str],
    now: datetime,
) -> NewReview:
    return {
        "id": str(uuid.uuid4()),
        "shop_id": shop_id,
        "customer_id": customer_id,
        "product_id": product_id,
        "rating": rating,
        "title": title,
        "body": body,
        "media_urls": list(media_urls),
        "status": PENDING,
        "reward_points": None,
        "photo_bonus_points": None,
        "occurred_at": now,
        "moderated_at": None,
        "moderated_by": None,
    }


# Query parameters that say where a link was shared or clicked, not which
# review it is.
TRACKING_PARAMETERS = frozenset(
    {"gclid", "gclsrc", "dclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga", "_gl"}
    | {"entry", "g_ep", "g_st", "ved", "ei"}  # Google's own, on Maps and Search links
)


def normalize_review_url(url: str) -> str:
    """The one spelling of a review's address: https, lower-case host, no
    default port, no trailing slash, no fragment, and no tracking
    parameters (utm_* and the click ids above); the rest sorted."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80, 443) else None
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
    )
    netloc = f"{host}:{port}" if port else host
    return urlunsplit(("https", netloc, parts.path.rstrip("/"), urlencode(query), ""))


def review_url_key(url: str) -> str:
    """What makes two submissions the same review: its normalized address,
    hashed to fit a unique index (an address may be 2 KB long)."""
    return hashlib.sha256(normalize_review_url(url).encode()).hexdigest()


def new_google_review(shop_id: str, customer_id: str, review_url: str, now: datetime) -> NewGoogleReview:
    return {
        "id": str(uuid.uuid4()),
        "shop_id": shop_id,
        "customer_id": customer_id,
        "review_url": review_url,
        "review_url_key": review_url_key(review_url),
        "status": PENDING,
        "reward_points": None,
        "occurred_at": now,
        "moderated_at": None,
        "moderated_by": None,
    }


def review_approved(review: StoredReview) -> ReviewApproved:
    # Points may pay more for a review with photos or video.
    return ReviewApproved(
        review_id=review.id,
        customer_id=review.customer_id,
        product_id=review.product_id,
        rating=review.rating,
        has_media=bool(review.media_urls),
    )


def google_review_approved(submission: StoredItem) -> GoogleReviewApproved:
    return GoogleReviewApproved(submission_id=submission.id, customer_id=submission.customer_id)


def approval_event(kind: str, item: StoredItem) -> ReviewApproved | GoogleReviewApproved:
    # `kind` says which table the item came from: a review's has its fields.
    return review_approved(cast(StoredReview, item)) if kind == REVIEW else google_review_approved(item)


# Which award is which part of an item's reward: (kind of item, column).
REWARDS = {
    REVIEW: (REVIEW, "reward_points"),
    PHOTO_REVIEW: (REVIEW, "photo_bonus_points"),
    GOOGLE_REVIEW: (GOOGLE_REVIEW, "reward_points"),
}


def rewarded_item(award: PointsAwarded) -> tuple[str, str] | None:
    """(kind of item, the column its points go in) when this award is a
    reward for one of ours (its id is the award's reference), else None."""
    if award.reference and award.reason in REWARDS:
        return REWARDS[award.reason]
    return None


def tells_of_customer_or_products(order: OrderPlaced) -> bool:
    """Whether an order names its customer or products (the copies' filter)."""
    return order.customer_id is not None or bool(order.line_items)
