"""The reviews service: product reviews and Google-review submissions,
their moderation, and the reward the points service reports for them."""
import logging
from pathlib import Path

from nameko.rpc import rpc
from sqlalchemy import text

from services.reviews import domain
from services.reviews.models import metadata
from services.reviews.repository import ModeratedItems, google_review_items, review_items
from services.reviews.schemas import (
    ActivityQuery, CustomerReviewsQuery, GoogleReview, GoogleReviewModeration, GoogleReviewRef,
    GoogleReviewSubmission, Review, ReviewModeration, ReviewRef, ReviewSubmission,
)
from shared.entrypoints import Database, reliable_event_handler
from shared.errors import NotFound
from shared.pagination import parse_query

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

ITEMS = {domain.REVIEW: review_items, domain.GOOGLE_REVIEW: google_review_items}


def provided(**params) -> dict:
    """The arguments a caller actually gave: a None is "not given", so the
    schema's default applies or its "field required" names the field."""
    return {name: value for name, value in params.items() if value is not None}


class ReviewsService:
    name = "reviews"
    db = Database(metadata, MIGRATIONS)

    # --- product reviews -----------------------------------------------------

    @rpc
    def submit_review(self, shop_id, customer_id=None, product_id=None, rating=None,
                      title=None, body=None, media_urls=None):
        submission = parse_query(ReviewSubmission, provided(
            shop_id=shop_id, customer_id=customer_id, product_id=product_id, rating=rating,
            title=title, body=body, media_urls=media_urls))
        review = domain.new_review(now=self.db.clock.now(), **submission.model_dump(mode="json"))
        with self.db.unit_of_work() as uow:
            review_items.add(uow.session, review)
            uow.commit()
        return Review.model_validate(review).model_dump(mode="json")

    @rpc
    def approve_review(self, shop_id, review_id, actor=None):
        ref = parse_query(ReviewModeration, provided(shop_id=shop_id, review_id=review_id, actor=actor))
        review = self._moderate(domain.REVIEW, ref.shop_id, ref.review_id, domain.APPROVED, ref.actor)
        return Review.model_validate(review).model_dump(mode="json")

    @rpc
    def reject_review(self, shop_id, review_id, actor=None):
        ref = parse_query(ReviewModeration, provided(shop_id=shop_id, review_id=review_id, actor=actor))
        review = self._moderate(domain.REVIEW, ref.shop_id, ref.review_id, domain.REJECTED, ref.actor)
        return Review.model_validate(review).model_dump(mode="json")

    @rpc
    def get_review(self, shop_id, review_id):
        ref = parse_query(ReviewRef, provided(shop_id=shop_id, review_id=review_id))
        with self.db.unit_of_work() as uow:
            review = _existing(review_items, uow.session, ref.shop_id, ref.review_id, domain.REVIEW)
        return Review.model_validate(review).model_dump(mode="json")

    @rpc
    def list_activities(self, shop_id, status=None, from_=None, to=None, cursor=None, limit=None):
        query = parse_query(ActivityQuery, provided(
            shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit))
        with self.db.unit_of_work() as uow:
            found = review_items.page(uow.session, query)
        return {"items": [Review.model_validate(row).model_dump(mode="json") for row in found["items"]],
                "next_cursor": found["next_cursor"]}

    # --- Google-review submissions -----------------------------------------

    @rpc
    def submit_google_review(self, shop_id, customer_id=None, review_url=None):
        submission = parse_query(GoogleReviewSubmission, provided(
            shop_id=shop_id, customer_id=customer_id, review_url=review_url))
        item = domain.new_google_review(now=self.db.clock.now(), **submission.model_dump(mode="json"))
        with self.db.unit_of_work() as uow:
            google_review_items.add(uow.session, item)
            uow.commit()
        return GoogleReview.model_validate(item).model_dump(mode="json")

    @rpc
    def approve_google_review(self, shop_id, submission_id, actor=None):
        ref = parse_query(GoogleReviewModeration,
                          provided(shop_id=shop_id, submission_id=submission_id, actor=actor))
        item = self._moderate(domain.GOOGLE_REVIEW, ref.shop_id, ref.submission_id, domain.APPROVED, ref.actor)
        return GoogleReview.model_validate(item).model_dump(mode="json")

    @rpc
    def reject_google_review(self, shop_id, submission_id, actor=None):
        ref = parse_query(GoogleReviewModeration,
                          provided(shop_id=shop_id, submission_id=submission_id, actor=actor))
        item = self._moderate(domain.GOOGLE_REVIEW, ref.shop_id, ref.submission_id, domain.REJECTED, ref.actor)
        return GoogleReview.model_validate(item).model_dump(mode="json")

    @rpc
    def get_google_review(self, shop_id, submission_id):
        ref = parse_query(GoogleReviewRef, provided(shop_id=shop_id, submission_id=submission_id))
        with self.db.unit_of_work() as uow:
            item = _existing(google_review_items, uow.session, ref.shop_id, ref.submission_id,
                             domain.GOOGLE_REVIEW)
        return GoogleReview.model_validate(item).model_dump(mode="json")

    @rpc
    def list_google_review_activities(self, shop_id, status=None, from_=None, to=None, cursor=None,
                                      limit=None):
        query = parse_query(ActivityQuery, provided(
            shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit))
        with self.db.unit_of_work() as uow:
            found = google_review_items.page(uow.session, query)
        return {"items": [GoogleReview.model_validate(row).model_dump(mode="json") for row in found["items"]],
                "next_cursor": found["next_cursor"]}

    # --- one customer's reviews and submissions ------------------------------

    @rpc
    def list_customer_reviews(self, shop_id, customer_id=None, limit=None):
        query = parse_query(CustomerReviewsQuery, provided(
            shop_id=shop_id, customer_id=customer_id, limit=limit))
        with self.db.unit_of_work() as uow:
            reviews = review_items.of_customer(uow.session, query)
            google_reviews = google_review_items.of_customer(uow.session, query)
        return {"reviews": [Review.model_validate(row).model_dump(mode="json") for row in reviews],
                "google_reviews": [GoogleReview.model_validate(row).model_dump(mode="json")
                                   for row in google_reviews]}

    # --- rewards reported by points ------------------------------------------

    # Most awards (orders, signups, ...) are not ours: nothing to record.
    @reliable_event_handler("points", "points_awarded", when=domain.rewarded_item)
    def record_review_reward(self, uow, event):
        kind, column = domain.rewarded_item(event.payload)
        if not ITEMS[kind].record_reward(uow.session, event.shop_id, event.payload.reference,
                                         event.payload.points, column):
            log.warning("points_awarded %s names unknown %s %s of shop %s",
                        event.event_id, kind, event.payload.reference, event.shop_id)

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}

    def _moderate(self, kind: str, shop_id: str, item_id: str, decision: str, actor: str | None):
        """Approve or reject under a row lock; approval publishes its event in
        the same transaction. Repeating a decision returns the item as it is."""
        items = ITEMS[kind]
        with self.db.unit_of_work() as uow:
            item = _existing(items, uow.session, shop_id, item_id, kind, for_update=True)
            moderation = domain.moderate(kind, item.status, decision, actor, self.db.clock.now())
            if moderation is None:
                return item
            item = items.record_moderation(uow.session, shop_id, item_id, moderation)
            if moderation.status == domain.APPROVED:
                uow.publish(shop_id, domain.approval_event(kind, item))
            uow.commit()
        return item


def _existing(items: ModeratedItems, session, shop_id: str, item_id: str, kind: str, for_update=False):
    item = items.get(session, shop_id, item_id, for_update=for_update)
    if item is None:
        raise NotFound(f"no such {domain.LABELS[kind]}", {"id": item_id})
    return item
