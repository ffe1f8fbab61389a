"""The webhooks service's nameko entrypoints: the merchants' outbound
webhook subscriptions (asked by the gateway over RPC), the events that
become deliveries, and the sender's timer. The work of each is in
operations (docs/webhooks.md)."""

from pathlib import Path

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.webhooks import operations
from services.webhooks.models import metadata
from services.webhooks.schemas import (
    AttemptsQuery,
    NewSubscriptionRequest,
    SendTestRequest,
    ShopRef,
    StatusRequest,
    SubscriptionRef,
)
from shared import config
from shared.database import Database
from shared.entrypoints import reliable_event_handler
from shared.pagination import parse_query
from shared.service_calls import UnitOfWorkCalls, provided
from shared.telemetry import Telemetry

MIGRATIONS = Path(__file__).parent / "migrations"

# How often the sender looks for due deliveries (a tick that finds some
# sends them before the next one starts).
SEND_INTERVAL_SECONDS = config.webhook_send_interval_seconds()


class WebhooksService(UnitOfWorkCalls):
    name = "webhooks"
    db = Database(metadata, MIGRATIONS)
    telemetry = Telemetry()

    # --- subscriptions (the gateway's admin API) -----------------------------------

    @rpc
    def create_subscription(self, shop_id, shop_domain=None, url=None, topics=None, idempotency_key=None):
        request = parse_query(
            NewSubscriptionRequest,
            provided(
                shop_id=shop_id,
                shop_domain=shop_domain,
                url=url,
                topics=topics,
                idempotency_key=idempotency_key,
            ),
        )
        return self._command(operations.create_subscription, request).model_dump(mode="json")

    @rpc
    def list_subscriptions(self, shop_id):
        ref = parse_query(ShopRef, {"shop_id": shop_id})
        return self._read(operations.list_subscriptions, ref.shop_id).model_dump(mode="json")

    @rpc
    def delete_subscription(self, shop_id, subscription_id):
        ref = parse_query(SubscriptionRef, {"shop_id": shop_id, "subscription_id": subscription_id})
        return self._command(operations.delete_subscription, ref.shop_id, ref.subscription_id)

    @rpc
    def set_subscription_status(self, shop_id, subscription_id, status=None):
        change = parse_query(
            StatusRequest, provided(shop_id=shop_id, subscription_id=subscription_id, status=status)
        )
        return self._command(
            operations.set_status, change.shop_id, change.subscription_id, change.status
        ).model_dump(mode="json")

    @rpc
    def send_test(self, shop_id, subscription_id, idempotency_key=None):
        request = parse_query(
            SendTestRequest,
            provided(shop_id=shop_id, subscription_id=subscription_id, idempotency_key=idempotency_key),
        )
        return self._command(operations.schedule_test, request).model_dump(mode="json")

    @rpc
    def list_attempts(self, shop_id, subscription_id, cursor=None, limit=None):
        query = parse_query(
            AttemptsQuery,
            provided(shop_id=shop_id, subscription_id=subscription_id, cursor=cursor, limit=limit),
        )
        page = self._read(operations.list_attempts, query)
        return {
            "items": [item.model_dump(mode="json") for item in page["items"]],
            "next_cursor": page["next_cursor"],
        }

    # --- events that become deliveries (domain.TOPIC_OF_EVENT) ---------------------

    @reliable_event_handler("points", "points_awarded")
    def deliver_points_awarded(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("points", "points_deducted")
    def deliver_points_deducted(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("points", "member_excluded")
    def deliver_member_excluded(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("points", "member_included")
    def deliver_member_included(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("points", "member_tier_changed")
    def deliver_member_tier_changed(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("referrals", "referral_claimed")
    def deliver_referral_claimed(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("referrals", "referral_completed")
    def deliver_referral_completed(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("referrals", "referral_cancelled")
    def deliver_referral_cancelled(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("reviews", "review_approved")
    def deliver_review_approved(self, uow, event):
        operations.schedule_deliveries(uow, event)

    @reliable_event_handler("reviews", "google_review_approved")
    def deliver_google_review_approved(self, uow, event):
        operations.schedule_deliveries(uow, event)

    # --- the sender ---------------------------------------------------------------

    @timer(interval=SEND_INTERVAL_SECONDS)
    def send_due_deliveries(self):
        operations.send_due_deliveries(self.db)

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}
