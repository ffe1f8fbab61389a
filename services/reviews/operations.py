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
    OverviewQuery,
    Review,
    ReviewsOverview,
    ReviewSubmission,
    ReviewTotals,
    StatusCounts,
)
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound
from shared.events import CustomerCreated, OrderPlaced, PointsAwarded
from shared.pagination import Page

log = logging.getLogger(__name__)

# The overview's newest rows per kind.
RECENT_ROWS = 5

# What each kind of item looks like to a caller.
OUTPUTS: dict[str, type[Review] | type[GoogleReview]] = {
    domain.REVIEW: Review,
    domain.GOOGLE_REVIEW: GoogleReview,
}


# --- submissions ------------------------------------------------------------------------


def submit_review(uow: UnitOfWork, submission: ReviewSubmission) -> Review:
    review = domain.new_review(now=uow.clock.now(), **submission.model_dump(mode="json"))
    repository.add_review(uow.session, review)
    return Review.model_validate(_named_row(uow, domain.REVIEW, review["shop_id"], review["id"]))


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
    return GoogleReview.model_validate(_named_row(uow, domain.GOOGLE_REVIEW, item["shop_id"], item["id"]))


def _named_row(uow: UnitOfWork, kind: str, shop_id: str, item_id: str):
    """An item this unit of work has just written or found, with its names."""
    return must_exist(repository.named_item(uow.session, kind, shop_id, item_id), f"{kind} {item_id}")


def _named(uow: UnitOfWork, kind: str, shop_id: str, item_id: str) -> Review | GoogleReview:
    return OUTPUTS[kind].model_validate(_named_row(uow, kind, shop_id, item_id))


# --- moderation -------------------------------------------------------------------------


def moderate(
    uow: UnitOfWork, kind: str, shop_id: str, item_id: str, decision: str, actor: str | None
) -> Review | GoogleReview:
    """Approve or reject under a row lock; approval publishes its event in
    the same transaction. Repeating a decision returns the item as it is."""
    item = _existing(uow, kind, shop_id, item_id, for_update=True)
    moderation = domain.moderate(kind, item.status, decision, actor, uow.clock.now())
    if moderation is not None:
        item = repository.record_moderation(uow.session, kind, shop_id, item_id, moderation, item.status)
        if moderation.status == domain.APPROVED:
            uow.publish(shop_id, domain.approval_event(kind, item))
    return _named(uow, kind, shop_id, item_id)


# --- queries ----------------------------------------------------------------------------


def get_item(uow: UnitOfWork, kind: str, shop_id: str, item_id: str) -> Review | GoogleReview:
    _existing(uow, kind, shop_id, item_id)
    return _named(uow, kind, shop_id, item_id)


def list_items(uow: UnitOfWork, kind: str, query: ActivityQuery) -> Page[Review | GoogleReview]:
    found = repository.items_page(uow.session, kind, query)
    return {
        "items": [OUTPUTS[kind].model_validate(row) for row in found["items"]],
        "next_cursor": found["next_cursor"],
    }


def reviews_overview(uow: UnitOfWork, query: OverviewQuery) -> ReviewsOverview:
    """The range's totals from the daily roll-ups, and its newest items of each kind."""
    sums = repository.totals_between(uow.session, query.shop_id, query.first, query.last)
    from_, to = query.window()
    newest = ActivityQuery.model_validate(
        {"shop_id": query.shop_id, "from": from_, "to": to, "limit": RECENT_ROWS}
    )

    def counts(kind: str) -> StatusCounts:
        return StatusCounts(
            pending=getattr(sums, f"{kind}_pending"),
            approved=getattr(sums, f"{kind}_approved"),
            rejected=getattr(sums, f"{kind}_rejected"),
        )

    return ReviewsOverview(
        totals=ReviewTotals(
            reviews=counts(domain.REVIEW),
            review_points_rewarded=sums.review_points,
            google_reviews=counts(domain.GOOGLE_REVIEW),
            reviews_average_rating=domain.average_rating(
                sums.review_rating_sum, sums.review_pending + sums.review_approved + sums.review_rejected
            ),
        ),
        recent_reviews=[
            Review.model_validate(row)
            for row in repository.items_page(uow.session, domain.REVIEW, newest)["items"]
        ],
        recent_google_reviews=[
            GoogleReview.model_validate(row)
            for row in repository.items_page(uow.session, domain.GOOGLE_REVIEW, newest)["items"]
        ],
    )


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


# --- the customers and products the shop's events tell of ---------------------------


def remember_customer(uow: UnitOfWork, shop_id: str, customer: CustomerCreated) -> None:
    repository.remember_customer(
        uow.session, shop_id, customer.customer_id, customer.email, customer.first_name, customer.last_name
    )


def remember_order(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    """The order's customer and the titles of the products it holds."""
    if order.customer_id is not None:
        repository.remember_customer(
            uow.session, shop_id, order.customer_id, order.email, order.first_name, order.last_name
        )
    for item in order.line_items:
        if item.product_id is not None:
            repository.remember_product(uow.session, shop_id, item.product_id, item.title)
