"""The services by name, for the command line, the launcher and tests.
Importing this module imports no service (nor nameko): `loyalty serve`
monkey-patches first."""

import importlib
from collections.abc import Iterable

SERVICES = {
    "points": "services.points.service:PointsService",
    "referrals": "services.referrals.service:ReferralsService",
    "reviews": "services.reviews.service:ReviewsService",
    "webhooks": "services.webhooks.service:WebhooksService",
    "gateway": "services.gateway.service:GatewayService",
}


def service_class(name: str):
    module_name, class_name = SERVICES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def all_service_classes() -> list:
    return [service_class(name) for name in SERVICES]


def all_handler_queues(names: Iterable[str] = SERVICES) -> list:
    """Every consumer queue of every service, or of those `names`
    (shared.topology.HandlerQueue)."""
    from shared.entrypoints import handler_queues

    return [queue for name in names for queue in handler_queues(service_class(name))]
