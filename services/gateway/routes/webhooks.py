"""Shop platform webhooks: verified, deduplicated, recorded as events."""

from services.gateway import operations
from services.gateway.api_doc import ApiDoc
from services.gateway.routes.base import Routes
from services.gateway.schemas import ShopifyWebhookBody, ShopifyWebhookHeaders, WebhookReceipt
from services.gateway.web import json_http, webhook_delivery


class WebhookRoutes(Routes):
    @json_http(
        "POST",
        "/webhooks/shopify",
        ApiDoc("webhook", WebhookReceipt, body=ShopifyWebhookBody, headers=ShopifyWebhookHeaders),
    )
    def shopify_webhook(self, request):
        """Verify, dedupe and record as an event (operations.accept_webhook)."""
        return operations.accept_webhook(self.db, webhook_delivery(request))
