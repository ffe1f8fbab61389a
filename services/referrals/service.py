"""The referrals service's nameko entrypoints: referral links and their
clicks, claims (with the fraud checks of SPEC §6 and the referee's welcome
code from points), completion by the referee's paid order, cancellation,
and what points reports of the referrer's reward and the welcome code.
The work of each is in operations."""

from pathlib import Path

from nameko.rpc import RpcProxy, rpc
from sqlalchemy import text

from services.referrals import domain, operations, timeline
from services.referrals.models import metadata
from services.referrals.schemas import (
    ActivityQuery,
    CancelRequest,
    ClaimRequest,
    ClickRequest,
    CustomerReferralsQuery,
    LinkRequest,
    OverviewQuery,
    ReferralRef,
)
from shared.database import Database
from shared.entrypoints import reliable_event_handler
from shared.pagination import parse_query
from shared.service_calls import UnitOfWorkCalls, page_json, provided
from shared.telemetry import Telemetry
from shared.timeline import timeline_query

MIGRATIONS = Path(__file__).parent / "migrations"


class ReferralsService(UnitOfWorkCalls):
    name = "referrals"
    db = Database(metadata, MIGRATIONS)
    telemetry = Telemetry()
    points = RpcProxy("points")

    # --- links and clicks -------------------------------------------------------------

    @rpc
    def create_referral_link(self, shop_id, customer_id=None):
        request = parse_query(LinkRequest, provided(shop_id=shop_id, customer_id=customer_id))
        return operations.create_referral_link(self.db, self.points, request).model_dump(mode="json")

    @rpc
    def get_referral_link(self, shop_id, customer_id=None):
        request = parse_query(LinkRequest, provided(shop_id=shop_id, customer_id=customer_id))
        link = self._read(operations.get_referral_link, request)
        return {"link": None if link is None else link.model_dump(mode="json")}

    @rpc
    def record_click(self, shop_id, code=None, client_ip=None):
        click = parse_query(ClickRequest, provided(shop_id=shop_id, code=code, client_ip=client_ip))
        return self._command(operations.record_click, click).model_dump(mode="json")

    # --- claims ---------------------------------------------------------------------------

    @rpc
    def claim_referral(self, shop_id, code=None, email=None, client_ip=None):
        claim = parse_query(
            ClaimRequest, provided(shop_id=shop_id, code=code, email=email, client_ip=client_ip)
        )
        return operations.claim_referral(self.db, self.points, claim).model_dump(mode="json")

    # --- referrals ------------------------------------------------------------------------

    @rpc
    def get_referral(self, shop_id, referral_id=None):
        ref = parse_query(ReferralRef, provided(shop_id=shop_id, referral_id=referral_id))
        return self._read(operations.get_referral, ref).model_dump(mode="json")

    @rpc
    def cancel_referral(self, shop_id, referral_id=None, actor=None):
        request = parse_query(CancelRequest, provided(shop_id=shop_id, referral_id=referral_id, actor=actor))
        return self._command(operations.cancel_referral, request).model_dump(mode="json")

    @rpc
    def list_activities(self, shop_id, status=None, from_=None, to=None, cursor=None, limit=None):
        query = parse_query(
            ActivityQuery,
            provided(shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit),
        )
        return page_json(self._read(operations.list_activities, query))

    @rpc
    def timeline(self, shop_id, from_, to, limit, after=None, customer_id=None, kind=None):
        """Referral steps after `after` (shared.timeline)."""
        query = timeline_query(
            shop_id=shop_id, customer_id=customer_id, from_=from_, to=to, after=after, limit=limit, kind=kind
        )
        return self._read(timeline.timeline, query)

    @rpc
    def overview(self, shop_id, from_=None, to=None):
        """Totals and the newest referrals for whole UTC days."""
        query = parse_query(OverviewQuery, provided(shop_id=shop_id, from_=from_, to=to))
        return self._read(operations.referrals_overview, query).model_dump(mode="json")

    @rpc
    def list_customer_referrals(self, shop_id, customer_id=None, limit=None):
        query = parse_query(
            CustomerReferralsQuery, provided(shop_id=shop_id, customer_id=customer_id, limit=limit)
        )
        return {
            "items": [
                referral.model_dump(mode="json")
                for referral in self._read(operations.list_customer_referrals, query)
            ]
        }

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}

    # --- events ---------------------------------------------------------------------------

    @reliable_event_handler("gateway", "order_placed", when=domain.may_complete_referrals)
    def complete_referral_for_order(self, uow, event):
        operations.complete_referral_for_order(uow, event.shop_id, event.payload, event.occurred_at)

    @reliable_event_handler("points", "discount_code_used", when=domain.is_welcome_code)
    def record_used_code(self, uow, event):
        operations.record_used_code(uow, event.shop_id, event.payload)

    @reliable_event_handler("points", "discount_code_voided", when=domain.is_welcome_code)
    def record_voided_code(self, uow, event):
        operations.record_voided_code(uow, event.shop_id, event.payload)

    # Most awards (orders, signups, reviews) are not ours: nothing to record.
    @reliable_event_handler("points", "points_awarded", when=domain.rewarded_referral)
    def record_referrer_reward(self, uow, event):
        operations.record_referrer_reward(uow, event.shop_id, event.payload)

    @reliable_event_handler("gateway", "customer_created")
    def remember_customer(self, uow, event):
        operations.remember_customer(uow, event.shop_id, event.payload)

    @reliable_event_handler("gateway", "order_placed", when=domain.names_a_customer)
    def remember_order_customer(self, uow, event):
        operations.remember_order_customer(uow, event.shop_id, event.payload)
