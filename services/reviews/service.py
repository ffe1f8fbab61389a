"""The reviews service's nameko entrypoints: product reviews and
Google-review submissions, their moderation, and the reward the points
service reports for them. The work of each is in operations."""

from pathlib import Path

from nameko.rpc import rpc
from sqlalchemy import text

from services.reviews import domain, operations, timeline
from services.reviews.models import metadata
from services.reviews.schemas import (
    ActivityQuery,
    CustomerReviewsQuery,
    GoogleReviewModeration,
    GoogleReviewRef,
    GoogleReviewSubmission,
    OverviewQuery,
    ReviewModeration,
    ReviewRef,
    ReviewSubmission,
)
from shared.database import Database
from shared.entrypoints import reliable_event_handler
from shared.pagination import parse_query
from shared.service_calls import UnitOfWorkCalls, page_json, provided
from shared.telemetry import Telemetry
from shared.timeline import timeline_query

MIGRATIONS = Path(__file__).parent / "migrations"


class ReviewsService(UnitOfWorkCalls):
    name = "reviews"
    db = Database(metadata, MIGRATIONS)
    telemetry = Telemetry()

    # --- product reviews -----------------------------------------------------

    @rpc
    def submit_review(
        self, shop_id, customer_id=None, product_id=None, rating=None, title=None, body=None, media_urls=None
    ):
        submission = parse_query(
            ReviewSubmission,
            provided(
                shop_id=shop_id,
                customer_id=customer_id,
                product_id=product_id,
                rating=rating,
                title=title,
                body=body,
                media_urls=media_urls,
            ),
        )
        return self._command(operations.submit_review, submission).model_dump(mode="json")

    @rpc
    def approve_review(self, shop_id, review_id, actor=None):
        ref = parse_query(ReviewModeration, provided(shop_id=shop_id, review_id=review_id, actor=actor))
        return self._command(
            operations.moderate, domain.REVIEW, ref.shop_id, ref.review_id, domain.APPROVED, ref.actor
        ).model_dump(mode="json")

    @rpc
    def reject_review(self, shop_id, review_id, actor=None):
        ref = parse_query(ReviewModeration, provided(shop_id=shop_id, review_id=review_id, actor=actor))
        return self._command(
            operations.moderate, domain.REVIEW, ref.shop_id, ref.review_id, domain.REJECTED, ref.actor
        ).model_dump(mode="json")

    @rpc
    def get_review(self, shop_id, review_id):
        ref = parse_query(ReviewRef, provided(shop_id=shop_id, review_id=review_id))
        return self._read(operations.get_item, domain.REVIEW, ref.shop_id, ref.review_id).model_dump(
            mode="json"
        )

    @rpc
    def timeline(self, shop_id, from_, to, limit, after=None, customer_id=None, kind=None):
        """Review and Google-review submissions and moderations after
        `after` (shared.timeline)."""
        query = timeline_query(
            shop_id=shop_id, customer_id=customer_id, from_=from_, to=to, after=after, limit=limit, kind=kind
        )
        return self._read(timeline.timeline, query)

    @rpc
    def list_activities(self, shop_id, status=None, from_=None, to=None, cursor=None, limit=None):
        query = parse_query(
            ActivityQuery,
            provided(shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit),
        )
        return page_json(self._read(operations.list_items, domain.REVIEW, query))

    # --- Google-review submissions -----------------------------------------

    @rpc
    def submit_google_review(self, shop_id, customer_id=None, review_url=None):
        submission = parse_query(
            GoogleReviewSubmission, provided(shop_id=shop_id, customer_id=customer_id, review_url=review_url)
        )
        return self._command(operations.submit_google_review, submission).model_dump(mode="json")

    @rpc
    def approve_google_review(self, shop_id, submission_id, actor=None):
        ref = parse_query(
            GoogleReviewModeration, provided(shop_id=shop_id, submission_id=submission_id, actor=actor)
        )
        return self._command(
            operations.moderate,
            domain.GOOGLE_REVIEW,
            ref.shop_id,
            ref.submission_id,
            domain.APPROVED,
            ref.actor,
        ).model_dump(mode="json")

    @rpc
    def reject_google_review(self, shop_id, submission_id, actor=None):
        ref = parse_query(
            GoogleReviewModeration, provided(shop_id=shop_id, submission_id=submission_id, actor=actor)
        )
        return self._command(
            operations.moderate,
            domain.GOOGLE_REVIEW,
            ref.shop_id,
            ref.submission_id,
            domain.REJECTED,
            ref.actor,
        ).model_dump(mode="json")

    @rpc
    def get_google_review(self, shop_id, submission_id):
        ref = parse_query(GoogleReviewRef, provided(shop_id=shop_id, submission_id=submission_id))
        return self._read(
            operations.get_item, domain.GOOGLE_REVIEW, ref.shop_id, ref.submission_id
        ).model_dump(mode="json")

    @rpc
    def list_google_review_activities(
        self, shop_id, status=None, from_=None, to=None, cursor=None, limit=None
    ):
        query = parse_query(
            ActivityQuery,
            provided(shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit),
        )
        return page_json(self._read(operations.list_items, domain.GOOGLE_REVIEW, query))

    # --- the overview --------------------------------------------------------

    @rpc
    def overview(self, shop_id, from_=None, to=None):
        """Totals and the newest items of each kind for whole UTC days."""
        query = parse_query(OverviewQuery, provided(shop_id=shop_id, from_=from_, to=to))
        return self._read(operations.reviews_overview, query).model_dump(mode="json")

    # --- one customer's reviews and submissions ------------------------------

    @rpc
    def list_customer_reviews(self, shop_id, customer_id=None, limit=None):
        query = parse_query(
            CustomerReviewsQuery, provided(shop_id=shop_id, customer_id=customer_id, limit=limit)
        )
        return self._read(operations.list_customer_reviews, query).model_dump(mode="json")

    # --- rewards reported by points ------------------------------------------

    # Most awards (orders, signups, ...) are not ours: nothing to record.
    @reliable_event_handler("points", "points_awarded", when=domain.rewarded_item)
    def record_review_reward(self, uow, event):
        operations.record_review_reward(uow, event.shop_id, event.payload)

    # --- the customers and products the shop's events tell of -----------------

    @reliable_event_handler("gateway", "customer_created")
    def remember_customer(self, uow, event):
        operations.remember_customer(uow, event.shop_id, event.payload)

    @reliable_event_handler("gateway", "order_placed", when=domain.tells_of_customer_or_products)
    def remember_order(self, uow, event):
        operations.remember_order(uow, event.shop_id, event.payload)

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}
