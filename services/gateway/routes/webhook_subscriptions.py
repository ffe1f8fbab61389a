"""The admin API's outbound webhook subscriptions: the webhooks service
owns them (docs/webhooks.md); the gateway checks the body early, names the
caller's shop and its domain (every delivery carries it), and asks."""

from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.schemas import IdempotencyHeader
from services.gateway.web import idempotency_key, json_http, parse_body, query_params
from shared.pagination import CursorQuery, Page, parse_query
from shared.webhooks_api import (
    CreatedSubscription,
    Deleted,
    DeliveryAttempt,
    NewSubscription,
    Subscription,
    SubscriptionList,
    SubscriptionStatusChange,
    TestDelivery,
)

SUBSCRIPTION = "/api/webhook-subscriptions/<subscription_id>"


class WebhookSubscriptionRoutes(Routes):
    @json_http("GET", "/api/webhook-subscriptions", admin(SubscriptionList))
    @admin_route
    def webhook_subscriptions(self, request, caller):
        return ask(self.webhooks.list_subscriptions, shop_id=caller.shop_id)

    @json_http(
        "POST",
        "/api/webhook-subscriptions",
        admin(
            CreatedSubscription, status=201, body=NewSubscription, headers=IdempotencyHeader, errors=(409,)
        ),
    )
    @admin_route
    def create_webhook_subscription(self, request, caller):
        """The signing secret is in this answer only, and in a retry's with
        the same Idempotency-Key and body (the same subscription, not a
        second one). The key with another body is 409, as is a retry after
        the subscription was deleted."""
        key = idempotency_key(request)
        new = parse_body(request, NewSubscription)
        return 201, ask(
            self.webhooks.create_subscription,
            shop_id=caller.shop_id,
            shop_domain=caller.shop_domain,
            url=new.url,
            topics=new.topics,
            idempotency_key=key,
        )

    @json_http("DELETE", SUBSCRIPTION, admin(Deleted))
    @admin_route
    def delete_webhook_subscription(self, request, caller, subscription_id):
        return ask(self.webhooks.delete_subscription, shop_id=caller.shop_id, subscription_id=subscription_id)

    @json_http("PATCH", SUBSCRIPTION, admin(Subscription, body=SubscriptionStatusChange))
    @admin_route
    def change_webhook_subscription(self, request, caller, subscription_id):
        """Pause (`paused`) or resume (`active`, also after it was disabled)."""
        change = parse_body(request, SubscriptionStatusChange)
        return ask(
            self.webhooks.set_subscription_status,
            shop_id=caller.shop_id,
            subscription_id=subscription_id,
            status=change.status,
        )

    @json_http(
        "POST",
        SUBSCRIPTION + "/test",
        admin(TestDelivery, status=202, headers=IdempotencyHeader, errors=(409,)),
    )
    @admin_route
    def test_webhook_subscription(self, request, caller, subscription_id):
        """Schedules a delivery of topic `test`; its attempts show in the
        deliveries. 409 unless the subscription is active. A retry with the
        same Idempotency-Key gets the first answer and schedules nothing;
        the key used for another subscription is 409."""
        return 202, ask(
            self.webhooks.send_test,
            shop_id=caller.shop_id,
            subscription_id=subscription_id,
            idempotency_key=idempotency_key(request),
        )

    @json_http("GET", SUBSCRIPTION + "/deliveries", admin(Page[DeliveryAttempt], query=CursorQuery))
    @admin_route
    def webhook_deliveries(self, request, caller, subscription_id):
        """Every attempt, newest first."""
        query = parse_query(CursorQuery, query_params(request))
        return ask(
            self.webhooks.list_attempts,
            shop_id=caller.shop_id,
            subscription_id=subscription_id,
            cursor=query.cursor,
            limit=query.limit,
        )
