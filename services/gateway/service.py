"""The gateway: the platform's HTTP surface. It authenticates shops, turns
verified shop webhooks into events (through its own outbox) and answers
the admin API and the storefront by asking points, referrals and reviews
over RPC. It keeps no business data of its own."""
import functools
import time
from pathlib import Path

import eventlet
from kombu import Connection
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from sqlalchemy import text
from werkzeug.wrappers import Response

from services.gateway import webhooks
from services.gateway.credentials import customer_token_matches, webhook_signature_matches
from services.gateway.models import metadata
from services.gateway.repository import record_webhook_delivery
from services.gateway.schemas import (
    GoogleReviewRequest, PointActivityQuery, ReferralActivityQuery, ReferralClaimRequest,
    ReviewActivityQuery, ReviewRequest, SignedCustomer,
)
from services.gateway.shops import Shop, authenticate_admin, find_shop_by_domain
from services.gateway.web import json_body, json_http, parse_body, query_params, raw_body
from shared.entrypoints import Database
from shared.errors import BadRequest, NotFound, ServiceUnavailable, Unauthorized, error_body
from shared.pagination import PageQuery, parse_query

MIGRATIONS = Path(__file__).parent / "migrations"
DASHBOARD = Path(__file__).parent / "dashboard"
DASHBOARD_ASSETS = {"app.css": "text/css", "app.js": "text/javascript"}

RPC_TIMEOUT_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 2.0
BACKENDS = ("points", "referrals", "reviews")


def results(*replies, timeout: float = RPC_TIMEOUT_SECONDS) -> list:
    """The results of RPCs started with `call_async` (so they run in
    parallel), waiting at most `timeout` seconds for all of them."""
    with eventlet.Timeout(timeout, ServiceUnavailable("a service did not answer in time")):
        return [reply.result() for reply in replies]


def ask(method, **kwargs):
    """One RPC, bounded like `results`."""
    return results(method.call_async(**kwargs))[0]


def feed_window(query: PageQuery) -> dict:
    return {"from_": query.from_.isoformat(), "to": query.to.isoformat(),
            "cursor": query.cursor, "limit": query.limit}


def admin_route(route):
    """An /api route: resolves the shop from the bearer key once, before the
    route runs, and passes it on as `caller`. The key, never the request,
    decides which shop's data a route touches."""
    @functools.wraps(route)
    def authenticated(self, request, **path):
        with self.db.unit_of_work() as uow:
            caller = authenticate_admin(uow.session, request.headers.get("Authorization"))
        return route(self, request, caller, **path)
    return authenticated


def storefront_route(route):
    """A /storefront/{shop} route: `shop` (a domain in the path) becomes the
    Shop; an unknown one is a 404."""
    @functools.wraps(route)
    def with_shop(self, request, shop, **path):
        with self.db.unit_of_work() as uow:
            found = find_shop_by_domain(uow.session, shop)
        if found is None:
            raise NotFound("no such shop", {"shop": shop})
        return route(self, request, found, **path)
    return with_shop


def require_signed_customer(shop: Shop, signed: SignedCustomer) -> None:
    if not customer_token_matches(shop.webhook_secret, shop.domain, signed.customer_id, signed.customer_token):
        raise Unauthorized("customer_token does not match this customer")


class GatewayService:
    name = "gateway"

    db = Database(metadata, MIGRATIONS)
    config = Config()
    points = RpcProxy("points")
    referrals = RpcProxy("referrals")
    reviews = RpcProxy("reviews")

    # --- operations ------------------------------------------------------------

    @json_http("GET", "/health")
    def health(self, request):
        return {"status": "ok"}

    @json_http("GET", "/ready")
    def ready(self, request):
        """Ready when the broker, our database and every service answer."""
        report = {"broker": "ok" if self._broker_reachable() else "unreachable",
                  "database": self._database_status(), "services": {}}
        if report["broker"] == "ok":
            report["services"] = self._backend_health()
        failed = [name for name in ("broker", "database") if report[name] != "ok"]
        failed += [name for name in BACKENDS if report["services"].get(name) != "ok"]
        if failed:
            return 503, error_body("service_unavailable", "not ready: " + ", ".join(failed), report)
        return {"status": "ready", **report}

    def _broker_reachable(self) -> bool:
        try:
            with Connection(self.config["AMQP_URI"], connect_timeout=READY_TIMEOUT_SECONDS) as conn:
                conn.connect()
            return True
        except Exception:
            return False

    def _database_status(self) -> str:
        try:
            with self.db.unit_of_work() as uow:
                uow.session.execute(text("SELECT 1"))
            return "ok"
        except Exception:
            return "unavailable"

    def _backend_health(self) -> dict:
        statuses, replies = {}, {}
        for name in BACKENDS:
            try:
                replies[name] = getattr(self, name).health.call_async()
            except Exception:
                statuses[name] = "unavailable"
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        for name, reply in replies.items():
            try:
                with eventlet.Timeout(max(0.0, deadline - time.monotonic())):
                    reply.result()
                statuses[name] = "ok"
            except eventlet.Timeout:
                statuses[name] = "timeout"
            except Exception:
                statuses[name] = "unavailable"
        return statuses

    @json_http("GET", "/")
    def dashboard(self, request):
        return Response((DASHBOARD / "index.html").read_bytes(), mimetype="text/html")

    @json_http("GET", "/dashboard/<asset>")
    def dashboard_asset(self, request, asset):
        if asset not in DASHBOARD_ASSETS:
            raise NotFound("no such file", {"file": asset})
        return Response((DASHBOARD / asset).read_bytes(), mimetype=DASHBOARD_ASSETS[asset])

    # --- shop webhooks -----------------------------------------------------------

    @json_http("POST", "/webhooks/shopify")
    def shopify_webhook(self, request):
        """Verify, dedupe and record as an event; the outbox relay publishes
        it, so the shop gets its 200 without waiting on the broker."""
        body = raw_body(request)
        with self.db.unit_of_work() as uow:
            shop = find_shop_by_domain(uow.session, request.headers.get("X-Shopify-Shop-Domain"))
        # An unknown shop and a bad signature look the same from outside.
        if shop is None or not webhook_signature_matches(
                shop.webhook_secret, body, request.headers.get("X-Shopify-Hmac-Sha256")):
            raise Unauthorized("webhook signature is missing or not valid")
        topic = request.headers.get("X-Shopify-Topic")
        if not webhooks.is_supported(topic):
            return {"status": "ignored", "topic": topic}
        webhook_id = (request.headers.get("X-Shopify-Webhook-Id") or "").strip()
        if not webhook_id or len(webhook_id) > 255:
            raise BadRequest("the X-Shopify-Webhook-Id header is required", {"header": "X-Shopify-Webhook-Id"})
        payload = webhooks.event_for_webhook(topic, json_body(request))
        with self.db.unit_of_work() as uow:
            event = uow.publish(shop.id, payload)
            if not record_webhook_delivery(uow.session, shop.id, webhook_id, topic,
                                           str(event.event_id), self.db.clock.now()):
                return {"status": "duplicate"}
            uow.commit()
        return {"status": "accepted", "event_id": str(event.event_id)}

    # --- admin API: activity feeds -------------------------------------------------

    @json_http("GET", "/api/activities/points")
    @admin_route
    def point_activities(self, request, caller):
        query = parse_query(PointActivityQuery, query_params(request))
        return ask(self.points.list_activities, shop_id=caller.shop_id, type=query.type, q=query.q,
                   **feed_window(query))

    @json_http("GET", "/api/activities/referrals")
    @admin_route
    def referral_activities(self, request, caller):
        query = parse_query(ReferralActivityQuery, query_params(request))
        return ask(self.referrals.list_activities, shop_id=caller.shop_id, status=query.status,
                   **feed_window(query))

    @json_http("GET", "/api/activities/reviews")
    @admin_route
    def review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(self.reviews.list_activities, shop_id=caller.shop_id, status=query.status,
                   **feed_window(query))

    @json_http("GET", "/api/activities/google-reviews")
    @admin_route
    def google_review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(self.reviews.list_google_review_activities, shop_id=caller.shop_id,
                   status=query.status, **feed_window(query))

    # --- admin API: customers, codes, referrals, moderation ------------------------

    @json_http("GET", "/api/customers/<customer_id>")
    @admin_route
    def customer(self, request, caller, customer_id):
        # One section per service, asked in parallel; referrals and reviews
        # add theirs here once they answer per-customer queries.
        sections = {
            "customer": self.points.get_customer.call_async(shop_id=caller.shop_id, customer_id=customer_id),
        }
        return dict(zip(sections, results(*sections.values())))

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
        return ask(self.referrals.cancel_referral, shop_id=caller.shop_id, referral_id=referral_id,
                   actor=caller.actor)

    @json_http("POST", "/api/reviews/<review_id>/<any(approve, reject):decision>")
    @admin_route
    def moderate_review(self, request, caller, review_id, decision):
        return ask(getattr(self.reviews, f"{decision}_review"), shop_id=caller.shop_id,
                   review_id=review_id, actor=caller.actor)

    @json_http("POST", "/api/google-reviews/<submission_id>/<any(approve, reject):decision>")
    @admin_route
    def moderate_google_review(self, request, caller, submission_id, decision):
        return ask(getattr(self.reviews, f"{decision}_google_review"), shop_id=caller.shop_id,
                   submission_id=submission_id, actor=caller.actor)

    # --- storefront -------------------------------------------------------------------

    @json_http("POST", "/storefront/<shop>/referral-links")
    @storefront_route
    def create_referral_link(self, request, shop):
        signed = parse_body(request, SignedCustomer)
        require_signed_customer(shop, signed)
        link = ask(self.referrals.create_referral_link, shop_id=shop.id, customer_id=signed.customer_id)
        return 201, {"code": link["code"], "url": f"https://{shop.domain}/?ref={link['code']}"}

    @json_http("POST", "/storefront/<shop>/referrals/<code>/clicks")
    @storefront_route
    def record_referral_click(self, request, shop, code):
        return 201, ask(self.referrals.record_click, shop_id=shop.id, code=code,
                        client_ip=request.remote_addr)

    @json_http("POST", "/storefront/<shop>/referrals/<code>/claims")
    @storefront_route
    def claim_referral(self, request, shop, code):
        claim = parse_body(request, ReferralClaimRequest)
        return 201, ask(self.referrals.claim_referral, shop_id=shop.id, code=code, email=claim.email,
                        client_ip=request.remote_addr)

    @json_http("POST", "/storefront/<shop>/reviews")
    @storefront_route
    def submit_review(self, request, shop):
        review = parse_body(request, ReviewRequest)
        require_signed_customer(shop, review)
        return 201, ask(self.reviews.submit_review, shop_id=shop.id, customer_id=review.customer_id,
                        product_id=review.product_id, rating=review.rating, title=review.title,
                        body=review.body, media_urls=review.media_urls)

    @json_http("POST", "/storefront/<shop>/google-reviews")
    @storefront_route
    def submit_google_review(self, request, shop):
        submission = parse_body(request, GoogleReviewRequest)
        require_signed_customer(shop, submission)
        return 201, ask(self.reviews.submit_google_review, shop_id=shop.id,
                        customer_id=submission.customer_id, review_url=submission.review_url)

    @json_http("GET", "/storefront/<shop>/discount-codes/<code>")
    @storefront_route
    def check_discount_code(self, request, shop, code):
        return ask(self.points.check_discount_code, shop_id=shop.id, code=code)
