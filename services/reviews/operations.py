"""The work of each reviews command, event and query, inside the unit of
work it is given (the service commits it). Reviews and Google-review
submissions are moderated, read and listed alike, so those operations take
the kind of item (domain.REVIEW or domain.GOOGLE_REVIEW)."""

import logging

from services.reviews import domain, repository
from services.reviews.schemas import (
    ActivityQuery,
    CustomerReviews,
    CustomerReviewsQuery,
    GoogleReview,
    GoogleReviewSubmission,
    Review,
    ReviewSubmission,
)
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound
from shared.events import PointsAwarded
from shared.pagination import Page

log = logging.getLogger(__name__)

# What each kind of item looks like to a caller.
OUTPUTS: dict[str, type[Review] | type[GoogleReview]] = {
    domain.REVIEW: Review,
    domain.GOOGLE_REVIEW: GoogleReview,
}


# --- submissions ------------------------------------------------------------------------


def submit_review(uow: UnitOfWork, submission: ReviewSubmission) -> Review:
    review = domain.new_review(now=uow.clock.now(), **submission.model_dump(mode="json"))
    repository.add_item(uow.session, domain.REVIEW, review)
    return Review.model_validate(review)


def submit_google_review(uow: UnitOfWork, submission: GoogleReviewSubmission) -> GoogleReview:
    """A customer's Google review, once: the same review again (however its
    address is spelt: domain.normalize_review_url) is a 409."""
    item = domain.new_google_review(now=uow.clock.now(), **submission.model_dump(mode="json"))
    if not repository.add_google_review(uow.session, item):
        earlier = must_exist(
            repository.google_review_by_key(
                uow.session, item["shop_id"], item["customer_id"], item["review_url_key"]
            ),
            "the submission that holds this review's key",
        )
        raise Conflict(
            "this Google review has already been submitted",
            {"submission_id": earlier.id, "status": earlier.status},
        )
    return GoogleReview.model_validate(item)


# --- moderation -------------------------------------------------------------------------


def moderate(
    uow: UnitOfWork, kind: str, shop_id: str, item_id: str, decision: str, actor: str | None
) -> Review | GoogleReview:
    """Approve or reject under a row lock; approval publishes its event in
    the same transaction. Repeating a decision returns the item as it is."""
    item = _existing(uow, kind, shop_id, item_id, for_update=True)
    moderation = domain.moderate(kind, item.status, decision, actor, uow.clock.now())
    if moderation is not None:
        item = repository.record_moderation(uow.session, kind, shop_id, item_id, moderation)
        if moderation.status == domain.APPROVED:
            uow.publish(shop_id, domain.approval_event(kind, item))
    return OUTPUTS[kind].model_validate(item)


# --- queries ----------------------------------------------------------------------------


def get_item(uow: UnitOfWork, kind: str, shop_id: str, item_id: str) -> Review | GoogleReview:
    return OUTPUTS[kind].model_validate(_existing(uow, kind, shop_id, item_id))


def list_items(uow: UnitOfWork, kind: str, query: ActivityQuery) -> Page[Review | GoogleReview]:
    found = repository.items_page(uow.session, kind, query)
    return {
        "items": [OUTPUTS[kind].model_validate(row) for row in found["items"]],
        "next_cursor": found["next_cursor"],
    }


def list_customer_reviews(uow: UnitOfWork, query: CustomerReviewsQuery) -> CustomerReviews:
    return CustomerReviews.model_validate(
        {
            "reviews": repository.items_of_customer(uow.session, domain.REVIEW, query),
            "google_reviews": repository.items_of_customer(uow.session, domain.GOOGLE_REVIEW, query),
        }
    )


def _existing(uow: UnitOfWork, kind: str, shop_id: str, item_id: str, for_update: bool = False):
    item = repository.item(uow.session, kind, shop_id, item_id, for_update=for_update)
    if item is None:
        raise NotFound(f"no such {domain.LABELS[kind]}", {"id": item_id})
    return item


# --- rewards reported by points ---------------------------------------------------------


def record_review_reward(uow: UnitOfWork, shop_id: str, award: PointsAwarded) -> None:
    rewarded = domain.rewarded_item(award)
    if rewarded is None or award.reference is None:
        # The handler hears only of rewards (domain.rewarded_item is its filter).
        raise ValueError(f"points_awarded (activity {award.activity_id}) is not a review's reward")
    kind, column = rewarded
    if not repository.record_reward(uow.session, kind, shop_id, award.reference, award.points, column):
        log.warning(
            "points_awarded (activity %s) names unknown %s %s of shop %s",
            award.activity_id,
            kind,
            award.reference,
            shop_id,
        )
