"""The gateway: the platform's HTTP surface. It authenticates shops, turns
verified shop webhooks into events (through its own outbox) and answers
the admin API and the storefront by asking points, referrals and reviews
over RPC (and webhooks, for the merchants' outbound webhook subscriptions).
It keeps no business data of its own.

The routes live in `routes/`, one module per audience or area; each route
reads its input, asks one thing (an RPC, or one of operations) and answers."""

from nameko.dependency_providers import Config

from services.gateway import operations
from services.gateway.models import metadata
from services.gateway.routes.customers import CustomerRoutes
from services.gateway.routes.feeds import FeedRoutes
from services.gateway.routes.imports import ImportRoutes
from services.gateway.routes.moderation import ModerationRoutes
from services.gateway.routes.ops import OpsRoutes
from services.gateway.routes.orders import OrderRoutes
from services.gateway.routes.overview import OverviewRoutes
from services.gateway.routes.program import ProgramRoutes
from services.gateway.routes.proxy import ProxyRoutes
from services.gateway.routes.session import SessionRoutes
from services.gateway.routes.storefront import StorefrontRoutes
from services.gateway.routes.webhook_subscriptions import WebhookSubscriptionRoutes
from services.gateway.routes.webhooks import WebhookRoutes
from services.gateway.rpc import bounded_rpc_proxy
from shared.database import Database
from shared.telemetry import Telemetry


class GatewayService(
    OpsRoutes,
    WebhookRoutes,
    FeedRoutes,
    OverviewRoutes,
    CustomerRoutes,
    OrderRoutes,
    ProgramRoutes,
    ModerationRoutes,
    StorefrontRoutes,
    ProxyRoutes,
    SessionRoutes,
    WebhookSubscriptionRoutes,
    ImportRoutes,
):
    name = "gateway"

    db = Database(metadata, operations.MIGRATIONS)
    telemetry = Telemetry()
    config = Config()
    points = bounded_rpc_proxy("points")
    referrals = bounded_rpc_proxy("referrals")
    reviews = bounded_rpc_proxy("reviews")
    webhooks = bounded_rpc_proxy("webhooks")
