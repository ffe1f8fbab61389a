"""The gateway: the platform's HTTP surface. It authenticates shops, turns
verified shop webhooks into events (through its own outbox) and answers
the admin API and the storefront by asking points, referrals and reviews
over RPC. It keeps no business data of its own."""
import csv
import functools
import io
import logging
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
    AuditLogQuery, CustomerQuery, GoogleReviewRequest, IdempotencyHeader, PointActivityQuery,
    ReferralActivityQuery, ReferralClaimRequest, ReviewActivityQuery, ReviewRequest, SignedCustomer,
)
from services.gateway.shops import Shop, authenticate_admin, find_shop_by_domain
from services.gateway.web import UNAVAILABLE, json_body, json_http, parse_body, query_params, raw_body
from shared.entrypoints import Database
from shared.errors import BadRequest, NotFound, ServiceUnavailable, Unauthorized, error_body
from shared.pagination import CursorQuery, PageQuery, parse_query
from shared.points_api import NewReward, PointsAdjustment, ProfileChanges, ProgramRules, ReasonBody, RewardRedemption

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
DASHBOARD = Path(__file__).parent / "dashboard"
DASHBOARD_ASSETS = {"app.css": "text/css", "app.js": "text/javascript"}

RPC_TIMEOUT_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 2.0
BACKENDS = ("points", "referrals", "reviews")

EXPORT_PAGE_SIZE = 1000
CSV_COLUMNS = ("occurred_at", "customer_id", "customer_email", "type", "action", "points",
               "balance_after", "uncollected_points", "actor", "activity_id")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def results(*replies, timeout: float = RPC_TIMEOUT_SECONDS) -> list:
    """The results of RPCs started with `call_async` (so they run in
    parallel), waiting at most `timeout` seconds for all of them."""
    with eventlet.Timeout(timeout, ServiceUnavailable("a service did not answer in time")):
        return [reply.result() for reply in replies]


def ask(method, **kwargs):
    """One RPC, bounded like `results`."""
    return results(method.call_async(**kwargs))[0]


def optional_call(method, **kwargs):
    """Start an RPC whose answer the page can do without: None (logged)
    if the service cannot even be asked."""
    try:
        return method.call_async(**kwargs)
    except UNAVAILABLE as exc:
        log.warning("%s could not be asked: %r", method, exc)
        return None


def optional_result(reply, deadline: float):
    """The answer of `optional_call`, or None (logged) if there is none by
    `deadline` (time.monotonic()) or the service failed."""
    if reply is None:
        return None
    try:
        return results(reply, timeout=max(0.0, deadline - time.monotonic()))[0]
    except (ServiceUnavailable,) + UNAVAILABLE as exc:
        log.warning("a section of the customer detail is unavailable: %r", exc)
        return None


def feed_window(query: PageQuery) -> dict:
    return {"from_": query.from_.isoformat(), "to": query.to.isoformat(),
            "cursor": query.cursor, "limit": query.limit}


def idempotency_key(request) -> str | None:
    sent = request.headers.get("Idempotency-Key")
    return None if sent is None else parse_query(IdempotencyHeader, {"Idempotency-Key": sent}).key


def optional_body(request, model):
    """A body the client may leave out altogether (then every field takes
    its default)."""
    return parse_body(request, model) if raw_body(request).strip() else model()


def activity_id_from_path(value: str) -> int:
    # Ledger ids are numbers: anything else names no activity.
    if not value.isdigit():
        raise NotFound("no such activity", {"activity_id": value})
    return int(value)


def csv_cell(value):
    """A text value made safe to open in a spreadsheet: one that would run
    as a formula (an email like "=HYPERLINK(...)@x.com") gets a leading
    quote. Numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(activity: dict) -> list:
    return [csv_cell(activity.get(column if column != "activity_id" else "id")) for column in CSV_COLUMNS]


def csv_export(first_page: dict, next_page, shop_id: str):
    """The CSV body: the header, then each page's rows as one chunk, asking
    for the next page only once this one is sent, so memory holds one page
    however long the export. Runs after the route's worker has finished,
    while the server sends the body. A page that fails ends the stream
    without its closing chunk, so the client sees a broken download rather
    than a short file that looks complete."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    page, rows = first_page, 0
    while True:
        writer.writerows(csv_row(activity) for activity in page["items"])
        rows += len(page["items"])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if not page["next_cursor"]:
            return
        try:
            page = next_page(page["next_cursor"])
        except Exception:
            log.exception("CSV export of point activities for shop %s stopped after %d rows", shop_id, rows)
            raise


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

    @json_http("GET", "/api/activities/points.csv")
    @admin_route
    def export_point_activities(self, request, caller):
        """The point feed's rows for the same filters, every page of them,
        as a CSV download. The first page is asked for here, in the worker,
        so a refused query is still a JSON error; later pages are asked for
        while the body streams (through the container's RPC reply listener,
        which outlives this worker), each bounded by the RPC timeout."""
        # The export pages through everything itself.
        filters = {name: value for name, value in query_params(request).items() if name not in ("cursor", "limit")}
        query = parse_query(PointActivityQuery, filters)
        export_activities = self.points.export_activities

        def page(cursor):
            return ask(export_activities, shop_id=caller.shop_id, type=query.type, q=query.q,
                       from_=query.from_.isoformat(), to=query.to.isoformat(), cursor=cursor,
                       limit=EXPORT_PAGE_SIZE)

        filename = f"point-activities-{query.from_:%Y-%m-%d}-to-{query.to:%Y-%m-%d}.csv"
        return Response(csv_export(page(None), page, caller.shop_id), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

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

    # --- admin API: customers --------------------------------------------------------

    @json_http("GET", "/api/customers")
    @admin_route
    def customers(self, request, caller):
        query = parse_query(CustomerQuery, query_params(request))
        return ask(self.points.list_customers, shop_id=caller.shop_id, q=query.q, cursor=query.cursor,
                   limit=query.limit)

    @json_http("GET", "/api/customers/<customer_id>")
    @admin_route
    def customer(self, request, caller, customer_id):
        """The profile from points, their referrals and their reviews, asked
        in parallel. Points' answer decides (a customer it does not know is
        its 404); a section whose service is down comes back null and is
        named in `unavailable`, so the merchant can still see and act on the
        profile."""
        asked = {"shop_id": caller.shop_id, "customer_id": customer_id}
        profile = self.points.get_customer.call_async(**asked)
        referrals = optional_call(self.referrals.list_customer_referrals, **asked)
        reviews = optional_call(self.reviews.list_customer_reviews, **asked)
        deadline = time.monotonic() + RPC_TIMEOUT_SECONDS
        customer = results(profile)[0]
        referrals, reviews = (optional_result(reply, deadline) for reply in (referrals, reviews))
        return {"customer": customer,
                "referrals": referrals and referrals["items"],
                "reviews": reviews and reviews["reviews"],
                "google_reviews": reviews and reviews["google_reviews"],
                "unavailable": [name for name, section in (("referrals", referrals), ("reviews", reviews))
                                if section is None]}

    @json_http("PATCH", "/api/customers/<customer_id>")
    @admin_route
    def update_customer(self, request, caller, customer_id):
        update = parse_body(request, ProfileChanges)
        return ask(self.points.update_customer, shop_id=caller.shop_id, customer_id=customer_id,
                   changes=update.changes(), actor=caller.actor)

    @json_http("GET", "/api/customers/<customer_id>/activities")
    @admin_route
    def customer_activities(self, request, caller, customer_id):
        query = parse_query(CursorQuery, query_params(request))
        return ask(self.points.list_customer_activities, shop_id=caller.shop_id, customer_id=customer_id,
                   cursor=query.cursor, limit=query.limit)

    @json_http("POST", "/api/customers/<customer_id>/points-adjustments")
    @admin_route
    def adjust_points(self, request, caller, customer_id):
        key = idempotency_key(request)
        adjustment = parse_body(request, PointsAdjustment)
        return 201, ask(self.points.adjust_points, shop_id=caller.shop_id, customer_id=customer_id,
                        points=adjustment.points, reason=adjustment.reason, actor=caller.actor,
                        idempotency_key=key)

    @json_http("POST", "/api/customers/<customer_id>/redemptions")
    @admin_route
    def redeem_reward(self, request, caller, customer_id):
        key = idempotency_key(request)
        redemption = parse_body(request, RewardRedemption)
        return 201, ask(self.points.redeem_reward, shop_id=caller.shop_id, customer_id=customer_id,
                        reward_id=redemption.reward_id, actor=caller.actor, idempotency_key=key)

    @json_http("PUT", "/api/customers/<customer_id>/exclusion")
    @admin_route
    def exclude_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(self.points.exclude_customer, shop_id=caller.shop_id, customer_id=customer_id,
                   actor=caller.actor, reason=body.reason)

    @json_http("DELETE", "/api/customers/<customer_id>/exclusion")
    @admin_route
    def include_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(self.points.include_customer, shop_id=caller.shop_id, customer_id=customer_id,
                   actor=caller.actor, reason=body.reason)

    @json_http("POST", "/api/point-activities/<activity_id>/reversal")
    @admin_route
    def reverse_activity(self, request, caller, activity_id):
        body = optional_body(request, ReasonBody)
        return 201, ask(self.points.reverse_activity, shop_id=caller.shop_id,
                        activity_id=activity_id_from_path(activity_id), actor=caller.actor, reason=body.reason)

    # --- admin API: the program -------------------------------------------------------

    @json_http("GET", "/api/rewards")
    @admin_route
    def rewards(self, request, caller):
        return ask(self.points.list_rewards, shop_id=caller.shop_id)

    @json_http("POST", "/api/rewards")
    @admin_route
    def create_reward(self, request, caller):
        reward = parse_body(request, NewReward)
        return 201, ask(self.points.create_reward, shop_id=caller.shop_id, reward=reward.model_dump(mode="json"),
                        actor=caller.actor)

    @json_http("GET", "/api/program")
    @admin_route
    def program(self, request, caller):
        return ask(self.points.get_program, shop_id=caller.shop_id)

    @json_http("PUT", "/api/program")
    @admin_route
    def update_program(self, request, caller):
        program = parse_body(request, ProgramRules)
        return ask(self.points.update_program, shop_id=caller.shop_id, settings=program.model_dump(mode="json"),
                   actor=caller.actor)

    @json_http("GET", "/api/audit-log")
    @admin_route
    def audit_log(self, request, caller):
        query = parse_query(AuditLogQuery, query_params(request))
        return ask(self.points.list_audit_log, shop_id=caller.shop_id, customer_id=query.customer_id,
                   **feed_window(query))

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
