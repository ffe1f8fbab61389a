"""The points service's nameko entrypoints: members and their points ledger,
program settings and the discount codes the program issues."""
from pathlib import Path

from nameko.rpc import rpc
from sqlalchemy import text

from shared.entrypoints import Database, reliable_event_handler
from shared.pagination import parse_query

from services.points import operations
from services.points.models import metadata
# Imported by name (and looked up when a handler runs) so a test can replace
# one operation, e.g. to make a handler fail.
from services.points.operations import (
    award_google_review_points, award_points_for_order, award_referrer, award_review_points,
    register_customer, take_back_points_for_refund, void_referral_codes,
)
from services.points.schemas import (
    ActivitiesQuery, CodeRef, CustomerRef, EmailLookup, WelcomeCodeRequest,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def _given(**kwargs) -> dict:
    """RPC kwargs left as None mean "the default"."""
    return {name: value for name, value in kwargs.items() if value is not None}


class PointsService:
    name = "points"

    db = Database(metadata, MIGRATIONS)

    def _apply(self, operation, event) -> None:
        with self.db.unit_of_work() as uow:
            operation(uow, event.shop_id, event.payload)
            uow.commit()

    # --- events -------------------------------------------------------------------

    @reliable_event_handler("gateway", "customer_created")
    def register_customer(self, event):
        self._apply(register_customer, event)

    @reliable_event_handler("gateway", "order_placed")
    def award_points_for_order(self, event):
        self._apply(award_points_for_order, event)

    @reliable_event_handler("gateway", "order_refunded")
    def take_back_points_for_refund(self, event):
        self._apply(take_back_points_for_refund, event)

    @reliable_event_handler("reviews", "review_approved")
    def award_review_points(self, event):
        self._apply(award_review_points, event)

    @reliable_event_handler("reviews", "google_review_approved")
    def award_google_review_points(self, event):
        self._apply(award_google_review_points, event)

    @reliable_event_handler("referrals", "referral_completed")
    def award_referrer(self, event):
        self._apply(award_referrer, event)

    @reliable_event_handler("referrals", "referral_cancelled")
    def void_referral_codes(self, event):
        self._apply(void_referral_codes, event)

    # --- RPC ----------------------------------------------------------------------

    @rpc
    def list_activities(self, shop_id, type="all", q=None, from_=None, to=None, cursor=None, limit=50):
        query = parse_query(ActivitiesQuery, _given(
            shop_id=shop_id, type=type, q=q, from_=from_, to=to, cursor=cursor, limit=limit))
        with self.db.unit_of_work() as uow:
            result = operations.list_activities(uow, query)
        return {"items": [item.model_dump(mode="json") for item in result["items"]],
                "next_cursor": result["next_cursor"]}

    @rpc
    def get_customer(self, shop_id, customer_id):
        ref = parse_query(CustomerRef, {"shop_id": shop_id, "customer_id": customer_id})
        with self.db.unit_of_work() as uow:
            return operations.get_customer(uow, ref.shop_id, ref.customer_id).model_dump(mode="json")

    @rpc
    def find_member_by_email(self, shop_id, email):
        lookup = parse_query(EmailLookup, {"shop_id": shop_id, "email": email})
        with self.db.unit_of_work() as uow:
            member = operations.find_member_by_email(uow, lookup.shop_id, lookup.email)
        return None if member is None else member.model_dump(mode="json")

    @rpc
    def get_discount_code(self, shop_id, code):
        ref = parse_query(CodeRef, {"shop_id": shop_id, "code": code})
        with self.db.unit_of_work() as uow:
            return operations.get_discount_code(uow, ref.shop_id, ref.code).model_dump(mode="json")

    @rpc
    def check_discount_code(self, shop_id, code):
        ref = parse_query(CodeRef, {"shop_id": shop_id, "code": code})
        with self.db.unit_of_work() as uow:
            return operations.check_discount_code(uow, ref.shop_id, ref.code).model_dump(mode="json")

    @rpc
    def issue_referral_welcome_code(self, shop_id, referral_id, referee_email):
        request = parse_query(WelcomeCodeRequest, {
            "shop_id": shop_id, "referral_id": referral_id, "referee_email": referee_email})
        with self.db.unit_of_work() as uow:
            code = operations.issue_referral_welcome_code(
                uow, request.shop_id, request.referral_id, request.referee_email)
            uow.commit()
        return code.model_dump(mode="json")

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}
