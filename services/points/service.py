"""The points service's nameko entrypoints: members and their points ledger
(events in, timers for expiry and birthdays), the merchant's actions and
queries (RPC), program settings, rewards and the discount codes the program
issues."""

import os
from pathlib import Path

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.points.models import metadata
from services.points.operations import (
    codes,
    commands,
    earning,
    imports,
    ledger,
    overview,
    program,
    timeline,
    views,
)

# Imported by name (and looked up when a handler runs) so a test can replace
# one operation, e.g. to make a handler fail.
from services.points.operations.codes import void_referral_codes
from services.points.operations.earning import (
    award_google_review_points,
    award_points_for_order,
    award_referrer,
    award_review_points,
    register_customer,
    take_back_points_for_refund,
)
from services.points.schemas import (
    ActivitiesQuery,
    Adjustment,
    AuditQuery,
    CodeRef,
    CustomerRef,
    CustomersQuery,
    EmailLookup,
    ExportQuery,
    ImportRef,
    ImportStart,
    OrderRef,
    OverviewQuery,
    ProfileUpdate,
    ProgramUpdate,
    Redemption,
    ReferralRef,
    Reversal,
    RewardCreation,
    ShopRef,
    StagedRows,
    StatusChange,
    UploadFinished,
    WelcomeCodeRequest,
)
from shared.database import Database
from shared.entrypoints import reliable_event_handler
from shared.pagination import parse_query
from shared.service_calls import UnitOfWorkCalls, page_json, provided
from shared.telemetry import Telemetry
from shared.timeline import timeline_query

MIGRATIONS = Path(__file__).parent / "migrations"
# Expiry and birthdays are day-grained; hourly runs keep them within the hour.
# The demo seeder, whose clock (shared.clock.FileClock) moves a day in a
# second, runs them every second instead.
TIMER_INTERVAL_SECONDS = float(os.environ.get("LOYALTY_POINTS_TIMER_INTERVAL", "3600"))
# A finished upload starts applying within a second.
IMPORT_INTERVAL_SECONDS = 1.0


class PointsService(UnitOfWorkCalls):
    name = "points"

    db = Database(metadata, MIGRATIONS)
    telemetry = Telemetry()

    # --- events -------------------------------------------------------------------

    @reliable_event_handler("gateway", "customer_created")
    def register_customer(self, uow, event):
        register_customer(uow, event.shop_id, event.payload)

    @reliable_event_handler("gateway", "order_placed")
    def award_points_for_order(self, uow, event):
        award_points_for_order(uow, event.shop_id, event.payload)

    @reliable_event_handler("gateway", "order_refunded")
    def take_back_points_for_refund(self, uow, event):
        take_back_points_for_refund(uow, event.shop_id, event.payload)

    @reliable_event_handler("reviews", "review_approved")
    def award_review_points(self, uow, event):
        award_review_points(uow, event.shop_id, event.payload)

    @reliable_event_handler("reviews", "google_review_approved")
    def award_google_review_points(self, uow, event):
        award_google_review_points(uow, event.shop_id, event.payload)

    @reliable_event_handler("referrals", "referral_completed")
    def award_referrer(self, uow, event):
        award_referrer(uow, event.shop_id, event.payload)

    @reliable_event_handler("referrals", "referral_cancelled")
    def void_referral_codes(self, uow, event):
        void_referral_codes(uow, event.shop_id, event.payload)

    # --- timers (each replica runs them; member locks and ledger references
    # make a second run in parallel a no-op) -------------------------------------

    @timer(interval=TIMER_INTERVAL_SECONDS)
    def expire_points(self):
        ledger.expire_points(self.db.unit_of_work)

    @timer(interval=TIMER_INTERVAL_SECONDS)
    def award_birthday_points(self):
        earning.award_birthday_points(self.db.unit_of_work)

    @timer(interval=IMPORT_INTERVAL_SECONDS)
    def apply_imports(self):
        imports.apply_imports(self.db.unit_of_work)

    # --- RPC: queries ---------------------------------------------------------------

    @rpc
    def list_activities(self, shop_id, type="all", q=None, from_=None, to=None, cursor=None, limit=50):
        query = parse_query(
            ActivitiesQuery,
            provided(shop_id=shop_id, type=type, q=q, from_=from_, to=to, cursor=cursor, limit=limit),
        )
        return self._read(views.list_activities, query).model_dump(mode="json")

    @rpc
    def overview(self, shop_id, from_=None, to=None):
        """Totals, a per-day series and the newest rows for whole UTC days."""
        query = parse_query(OverviewQuery, provided(shop_id=shop_id, from_=from_, to=to))
        return self._read(overview.points_overview, query).model_dump(mode="json")

    @rpc
    def timeline(self, shop_id, from_, to, limit, after=None, customer_id=None, kind=None):
        """The ledger and member actions after `after` (shared.timeline)."""
        query = timeline_query(
            shop_id=shop_id, customer_id=customer_id, from_=from_, to=to, after=after, limit=limit, kind=kind
        )
        return self._read(timeline.timeline, query)

    @rpc
    def export_activities(self, shop_id, type="all", q=None, from_=None, to=None, cursor=None, limit=1000):
        query = parse_query(
            ExportQuery,
            provided(shop_id=shop_id, type=type, q=q, from_=from_, to=to, cursor=cursor, limit=limit),
        )
        return self._read(views.list_activities, query).model_dump(mode="json")

    @rpc
    def list_customers(self, shop_id, q=None, cursor=None, limit=50):
        query = parse_query(CustomersQuery, provided(shop_id=shop_id, q=q, cursor=cursor, limit=limit))
        return page_json(self._read(views.list_customers, query))

    @rpc
    def get_customer(self, shop_id, customer_id):
        ref = parse_query(CustomerRef, {"shop_id": shop_id, "customer_id": customer_id})
        return self._read(views.get_customer, ref.shop_id, ref.customer_id).model_dump(mode="json")

    @rpc
    def get_order(self, shop_id, order_id):
        ref = parse_query(OrderRef, {"shop_id": shop_id, "order_id": order_id})
        return self._read(views.get_order, ref.shop_id, ref.order_id).model_dump(mode="json")

    @rpc
    def find_member_by_email(self, shop_id, email):
        lookup = parse_query(EmailLookup, {"shop_id": shop_id, "email": email})
        member = self._read(views.find_member_by_email, lookup.shop_id, lookup.email)
        return None if member is None else member.model_dump(mode="json")

    @rpc
    def get_program(self, shop_id):
        ref = parse_query(ShopRef, {"shop_id": shop_id})
        return self._read(program.get_program, ref.shop_id).model_dump(mode="json")

    @rpc
    def list_rewards(self, shop_id):
        ref = parse_query(ShopRef, {"shop_id": shop_id})
        return {
            "items": [
                reward.model_dump(mode="json") for reward in self._read(program.list_rewards, ref.shop_id)
            ]
        }

    @rpc
    def list_audit_log(self, shop_id, customer_id=None, from_=None, to=None, cursor=None, limit=50):
        query = parse_query(
            AuditQuery,
            provided(
                shop_id=shop_id, customer_id=customer_id, from_=from_, to=to, cursor=cursor, limit=limit
            ),
        )
        return page_json(self._read(views.list_audit_log, query))

    @rpc
    def get_discount_code(self, shop_id, code):
        ref = parse_query(CodeRef, {"shop_id": shop_id, "code": code})
        return self._read(codes.get_discount_code, ref.shop_id, ref.code).model_dump(mode="json")

    @rpc
    def check_discount_code(self, shop_id, code):
        ref = parse_query(CodeRef, {"shop_id": shop_id, "code": code})
        return self._read(codes.check_discount_code, ref.shop_id, ref.code).model_dump(mode="json")

    # --- RPC: commands (admin actions are audited by the operations) -----------------

    def _command(self, operation, *args):
        """A command's answer (a pydantic model) as JSON."""
        return super()._command(operation, *args).model_dump(mode="json")

    @rpc
    def adjust_points(self, shop_id, customer_id, points, reason, actor, idempotency_key=None):
        return self._command(
            commands.adjust_points,
            parse_query(
                Adjustment,
                provided(
                    shop_id=shop_id,
                    customer_id=customer_id,
                    points=points,
                    reason=reason,
                    actor=actor,
                    idempotency_key=idempotency_key,
                ),
            ),
        )

    @rpc
    def redeem_reward(self, shop_id, customer_id, reward_id, actor, idempotency_key=None):
        return self._command(
            commands.redeem_reward,
            parse_query(
                Redemption,
                provided(
                    shop_id=shop_id,
                    customer_id=customer_id,
                    reward_id=reward_id,
                    actor=actor,
                    idempotency_key=idempotency_key,
                ),
            ),
        )

    @rpc
    def reverse_activity(self, shop_id, activity_id, actor, reason=None):
        return self._command(
            commands.reverse_activity,
            parse_query(
                Reversal, provided(shop_id=shop_id, activity_id=activity_id, actor=actor, reason=reason)
            ),
        )

    @rpc
    def exclude_customer(self, shop_id, customer_id, actor, reason=None):
        return self._command(
            commands.set_exclusion,
            parse_query(
                StatusChange, provided(shop_id=shop_id, customer_id=customer_id, actor=actor, reason=reason)
            ),
            True,
        )

    @rpc
    def include_customer(self, shop_id, customer_id, actor, reason=None):
        return self._command(
            commands.set_exclusion,
            parse_query(
                StatusChange, provided(shop_id=shop_id, customer_id=customer_id, actor=actor, reason=reason)
            ),
            False,
        )

    @rpc
    def update_customer(self, shop_id, customer_id, changes, actor):
        return self._command(
            commands.update_customer,
            parse_query(
                ProfileUpdate,
                {"shop_id": shop_id, "customer_id": customer_id, "changes": changes, "actor": actor},
            ),
        )

    @rpc
    def update_program(self, shop_id, settings, actor):
        return self._command(
            program.update_program,
            parse_query(ProgramUpdate, {"shop_id": shop_id, "settings": settings, "actor": actor}),
        )

    @rpc
    def create_reward(self, shop_id, reward, actor):
        return self._command(
            program.create_reward,
            parse_query(RewardCreation, {"shop_id": shop_id, "reward": reward, "actor": actor}),
        )

    @rpc
    def issue_referral_welcome_code(self, shop_id, referral_id, referee_email):
        request = parse_query(
            WelcomeCodeRequest,
            {"shop_id": shop_id, "referral_id": referral_id, "referee_email": referee_email},
        )
        return self._command(
            codes.issue_referral_welcome_code, request.shop_id, request.referral_id, request.referee_email
        )

    @rpc
    def void_unclaimed_welcome_code(self, shop_id, referral_id):
        ref = parse_query(ReferralRef, {"shop_id": shop_id, "referral_id": referral_id})
        self.db.transaction(lambda uow: codes.void_unclaimed_welcome_code(uow, ref.shop_id, ref.referral_id))

    # --- RPC: imports of balances (operations/imports.py) ------------------------------

    @rpc
    def begin_import(self, shop_id, actor, file_name=None):
        start = parse_query(ImportStart, provided(shop_id=shop_id, actor=actor, file_name=file_name))
        return self._command(imports.begin_import, start)

    @rpc
    def stage_import_rows(self, shop_id, import_id, header, rows):
        staged = parse_query(
            StagedRows, {"shop_id": shop_id, "import_id": import_id, "header": header, "rows": rows}
        )
        self.db.transaction(lambda uow: imports.stage_rows(uow, staged))

    @rpc
    def finish_import_upload(self, shop_id, import_id, file_sha256):
        finished = parse_query(
            UploadFinished, {"shop_id": shop_id, "import_id": import_id, "file_sha256": file_sha256}
        )
        return self._command(imports.finish_upload, finished)

    @rpc
    def discard_import_upload(self, shop_id, import_id):
        ref = parse_query(ImportRef, {"shop_id": shop_id, "import_id": import_id})
        self.db.transaction(lambda uow: imports.discard_upload(uow, ref))

    @rpc
    def get_import(self, shop_id, import_id):
        ref = parse_query(ImportRef, {"shop_id": shop_id, "import_id": import_id})
        return self._read(imports.get_import, ref).model_dump(mode="json")

    @rpc
    def list_imports(self, shop_id):
        ref = parse_query(ShopRef, {"shop_id": shop_id})
        return self._read(imports.list_imports, ref).model_dump(mode="json")

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}
