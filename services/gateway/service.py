"""The gateway: the platform's HTTP surface. It authenticates shops, turns
verified shop webhooks into events (through its own outbox) and answers
the admin API and the storefront by asking points, referrals and reviews
over RPC. It keeps no business data of its own.

Each route reads its input, asks one thing (an RPC, or one of
operations) and answers."""

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.gateway import dashboard_files, operations
from services.gateway.auth import admin_route, require_signed_customer, storefront_route
from services.gateway.csv_export import export_filters, point_activities_csv
from services.gateway.models import metadata
from services.gateway.readiness import readiness
from services.gateway.rpc import ask, feed_window
from services.gateway.schemas import (
    AuditLogQuery,
    CustomerQuery,
    GoogleReviewRequest,
    PointActivityQuery,
    ReferralActivityQuery,
    ReferralClaimRequest,
    ReviewActivityQuery,
    ReviewRequest,
    SignedCustomer,
)
from services.gateway.web import (
    activity_id_from_path,
    idempotency_key,
    json_http,
    optional_body,
    parse_body,
    query_params,
    webhook_delivery,
)
from shared.entrypoints import Database
from shared.pagination import CursorQuery, parse_query
from shared.points_api import (
    NewReward,
    PointsAdjustment,
    ProfileChanges,
    ProgramRules,
    ReasonBody,
    RewardRedemption,
)


class GatewayService:
    name = "gateway"

    db = Database(metadata, operations.MIGRATIONS)
    config = Config()
    points = RpcProxy("points")
    referrals = RpcProxy("referrals")
    reviews = RpcProxy("reviews")

    # --- health and the dashboard ------------------------------------------------

    @json_http("GET", "/health")
    def health(self, request):
        return {"status": "ok"}

    @json_http("GET", "/ready")
    def ready(self, request):
        """Ready when the broker, our database and every service answer."""
        return readiness(
            self.config["AMQP_URI"],
            self.db,
            points=self.points,
            referrals=self.referrals,
            reviews=self.reviews,
        )

    @json_http("GET", "/")
    def dashboard(self, request):
        return dashboard_files.page()

    @json_http("GET", "/dashboard/<asset>")
    def dashboard_asset(self, request, asset):
        return dashboard_files.asset(asset)

    # --- shop webhooks -----------------------------------------------------------

    @json_http("POST", "/webhooks/shopify")
    def shopify_webhook(self, request):
        """Verify, dedupe and record as an event (operations.accept_webhook)."""
        return operations.accept_webhook(self.db, webhook_delivery(request))

    # --- admin API: activity feeds -------------------------------------------------

    @json_http("GET", "/api/activities/points")
    @admin_route
    def point_activities(self, request, caller):
        query = parse_query(PointActivityQuery, query_params(request))
        return ask(
            self.points.list_activities,
            shop_id=caller.shop_id,
            type=query.type,
            q=query.q,
            **feed_window(query),
        )

    @json_http("GET", "/api/activities/points.csv")
    @admin_route
    def export_point_activities(self, request, caller):
        """The point feed's rows for the same filters, every page of them,
        as a CSV download (see csv_export)."""
        query = parse_query(PointActivityQuery, export_filters(query_params(request)))
        return point_activities_csv(self.points.export_activities, caller.shop_id, query)

    @json_http("GET", "/api/activities/referrals")
    @admin_route
    def referral_activities(self, request, caller):
        query = parse_query(ReferralActivityQuery, query_params(request))
        return ask(
            self.referrals.list_activities, shop_id=caller.shop_id, status=query.status, **feed_window(query)
        )

    @json_http("GET", "/api/activities/reviews")
    @admin_route
    def review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(
            self.reviews.list_activities, shop_id=caller.shop_id, status=query.status, **feed_window(query)
        )

    @json_http("GET", "/api/activities/google-reviews")
    @admin_route
    def google_review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(
            self.reviews.list_google_review_activities,
            shop_id=caller.shop_id,
            status=query.status,
            **feed_window(query),
        )

    # --- admin API: customers --------------------------------------------------------

    @json_http("GET", "/api/customers")
    @admin_route
    def customers(self, request, caller):
        query = parse_query(CustomerQuery, query_params(request))
        return ask(
            self.points.list_customers,
            shop_id=caller.shop_id,
            q=query.q,
            cursor=query.cursor,
            limit=query.limit,
        )

    @json_http("GET", "/api/customers/<customer_id>")
    @admin_route
    def customer(self, request, caller, customer_id):
        """The profile, with referrals and reviews when their services answer
        (operations.customer_detail)."""
        return operations.customer_detail(
            self.points, self.referrals, self.reviews, caller.shop_id, customer_id
        )

    @json_http("PATCH", "/api/customers/<customer_id>")
    @admin_route
    def update_customer(self, request, caller, customer_id):
        update = parse_body(request, ProfileChanges)
        return ask(
            self.points.update_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            changes=update.changes(),
            actor=caller.actor,
        )

    @json_http("GET", "/api/customers/<customer_id>/activities")
    @admin_route
    def customer_activities(self, request, caller, customer_id):
        query = parse_query(CursorQuery, query_params(request))
        return ask(
            self.points.list_customer_activities,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            cursor=query.cursor,
            limit=query.limit,
        )

    @json_http("POST", "/api/customers/<customer_id>/points-adjustments")
    @admin_route
    def adjust_points(self, request, caller, customer_id):
        key = idempotency_key(request)
        adjustment = parse_body(request, PointsAdjustment)
        return 201, ask(
            self.points.adjust_points,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            points=adjustment.points,
            reason=adjustment.reason,
            actor=caller.actor,
            idempotency_key=key,
        )

    @json_http("POST", "/api/customers/<customer_id>/redemptions")
    @admin_route
    def redeem_reward(self, request, caller, customer_id):
        key = idempotency_key(request)
        redemption = parse_body(request, RewardRedemption)
        return 201, ask(
            self.points.redeem_reward,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            reward_id=redemption.reward_id,
            actor=caller.actor,
            idempotency_key=key,
        )

    @json_http("PUT", "/api/customers/<customer_id>/exclusion")
    @admin_route
    def exclude_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(
            self.points.exclude_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            actor=caller.actor,
            reason=body.reason,
        )

    @json_http("DELETE", "/api/customers/<customer_id>/exclusion")
    @admin_route
    def include_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(
            self.points.include_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            actor=caller.actor,
            reason=body.reason,
        )

    @json_http("POST", "/api/point-activities/<activity_id>/reversal")
    @admin_route
    def reverse_activity(self, request, caller, activity_id):
        body = optional_body(request, ReasonBody)
        return 201, ask(
            self.points.reverse_activity,
            shop_id=caller.shop_id,
            activity_id=activity_id_from_path(activity_id),
            actor=caller.actor,
            reason=body.reason,
        )

    # --- admin API: the program -------------------------------------------------------

    @json_http("GET", "/api/rewards")
    @admin_route
    def rewards(self, request, caller):
        return ask(self.points.list_rewards, shop_id=caller.shop_id)

    @json_http("POST", "/api/rewards")
    @admin_route
    def create_reward(self, request, caller):
        reward = parse_body(request, NewReward)
        return 201, ask(
            self.points.create_reward,
            shop_id=caller.shop_id,
            reward=reward.model_dump(mode="json"),
            actor=caller.actor,
        )

    @json_http("GET", "/api/program")
    @admin_route
    def program(self, request, caller):
        return ask(self.points.get_program, shop_id=caller.shop_id)

    @json_http("PUT", "/api/program")
    @admin_route
    def update_program(self, request, caller):
        program = parse_body(request, ProgramRules)
        return ask(
            self.points.update_program,
            shop_id=caller.shop_id,
            settings=program.model_dump(mode="json"),
            actor=caller.actor,
        )

    @json_http("GET", "/api/audit-log")
    @admin_route
    def audit_log(self, request, caller):
        query = parse_query(AuditLogQuery, query_params(request))
        return ask(
            self.points.list_audit_log,
            shop_id=caller.shop_id,
            customer_id=query.customer_id,
            **feed_window(query),
        )

    # --- admin API: codes, referrals, moderation ---------------------------------------

    @json_http("GET", "/api/discount-codes/<code>")
    @admin_route
    def discount_code(self, request, caller, code):
        return ask(self.points.get_discount_code, shop_id=caller.shop_id, code=code)

    @json_http("GET", "/api/referrals/<referral_id>")
    @admin_route
    def referral(self, request, caller, referral_id):
        return ask(self.referrals.get_referral, shop_id=caller.shop_id, referral_id=referral_id)

    @json_http("POST", "/api/referrals/<referral_id>/cancel")
    @admin_route
    def cancel_referral(self, request, caller, referral_id):
        return ask(
            self.referrals.cancel_referral,
            shop_id=caller.shop_id,
            referral_id=referral_id,
            actor=caller.actor,
        )

    @json_http("POST", "/api/reviews/<review_id>/<any(approve, reject):decision>")
    @admin_route
    def moderate_review(self, request, caller, review_id, decision):
        return ask(
            getattr(self.reviews, f"{decision}_review"),
            shop_id=caller.shop_id,
            review_id=review_id,
            actor=caller.actor,
        )

    @json_http("POST", "/api/google-reviews/<submission_id>/<any(approve, reject):decision>")
    @admin_route
    def moderate_google_review(self, request, caller, submission_id, decision):
        return ask(
            getattr(self.reviews, f"{decision}_google_review"),
            shop_id=caller.shop_id,
            submission_id=submission_id,
            actor=caller.actor,
        )

    # --- storefront -------------------------------------------------------------------

    @json_http("POST", "/storefront/<shop>/referral-links")
    @storefront_route
    def create_referral_link(self, request, shop):
        signed = require_signed_customer(shop, parse_body(request, SignedCustomer))
        link = ask(self.referrals.create_referral_link, shop_id=shop.id, customer_id=signed.customer_id)
        return 201, {"code": link["code"], "url": f"https://{shop.domain}/?ref={link['code']}"}

    @json_http("POST", "/storefront/<shop>/referrals/<code>/clicks")
    @storefront_route
    def record_referral_click(self, request, shop, code):
        return 201, ask(
            self.referrals.record_click, shop_id=shop.id, code=code, client_ip=request.remote_addr
        )

    @json_http("POST", "/storefront/<shop>/referrals/<code>/claims")
    @storefront_route
    def claim_referral(self, request, shop, code):
        claim = parse_body(request, ReferralClaimRequest)
        return 201, ask(
            self.referrals.claim_referral,
            shop_id=shop.id,
            code=code,
            email=claim.email,
            client_ip=request.remote_addr,
        )

    @json_http("POST", "/storefront/<shop>/reviews")
    @storefront_route
    def submit_review(self, request, shop):
        review = require_signed_customer(shop, parse_body(request, ReviewRequest))
        return 201, ask(
            self.reviews.submit_review,
            shop_id=shop.id,
            customer_id=review.customer_id,
            product_id=review.product_id,
            rating=review.rating,
            title=review.title,
            body=review.body,
            media_urls=review.media_urls,
        )

    @json_http("POST", "/storefront/<shop>/google-reviews")
    @storefront_route
    def submit_google_review(self, request, shop):
        submission = require_signed_customer(shop, parse_body(request, GoogleReviewRequest))
        return 201, ask(
            self.reviews.submit_google_review,
            shop_id=shop.id,
            customer_id=submission.customer_id,
            review_url=submission.review_url,
        )

    @json_http("GET", "/storefront/<shop>/discount-codes/<code>")
    @storefront_route
    def check_discount_code(self, request, shop, code):
        return ask(self.points.check_discount_code, shop_id=shop.id, code=code)
