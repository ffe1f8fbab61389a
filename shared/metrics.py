"""Prometheus metrics of a service process (prometheus_client): the gateway
serves them at /metrics, every other service on its own METRICS_PORT.

Names and labels are the same in every service, so one dashboard reads the
fleet: `loyalty_http_*` (gateway), `loyalty_rpc_*` (the callee's view),
`loyalty_events_*` and `loyalty_inbox_duplicates_total` (consumers),
`loyalty_outbox_*` (publishers), `loyalty_webhook_*` (the webhooks
service's outbound deliveries); prometheus_client adds the process's
memory and CPU (`process_*`)."""

import logging
import os

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

# From a fast cache hit to a slow page or a handler waiting on a lock.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "loyalty_http_requests_total",
    "HTTP requests answered, by route and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "loyalty_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts)",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
RPC_CALLS = Counter(
    "loyalty_rpc_requests_total",
    "RPC requests served, by method and outcome",
    ["service", "method", "outcome"],
)
RPC_LATENCY = Histogram(
    "loyalty_rpc_request_duration_seconds",
    "Time to serve an RPC request",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
EVENTS = Counter(
    "loyalty_events_total",
    "Events delivered to a handler, by outcome: handled, duplicate, retried, dead_lettered, invalid, skipped",
    ["service", "handler", "outcome"],
)
EVENT_LATENCY = Histogram(
    "loyalty_event_handling_duration_seconds",
    "Time a handler took to apply an event",
    ["service", "handler"],
    buckets=LATENCY_BUCKETS,
)
INBOX_DUPLICATES = Counter(
    "loyalty_inbox_duplicates_total",
    "Events a handler had already applied (a redelivery; no second effect)",
    ["service", "handler"],
)
OUTBOX_BACKLOG = Gauge("loyalty_outbox_backlog_rows", "Committed events not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "loyalty_outbox_oldest_age_seconds", "Age of the oldest event not yet published (0 if none)", ["service"]
)
WEBHOOK_ATTEMPTS = Counter(
    "loyalty_webhook_attempts_total",
    "Outbound webhook POSTs, by outcome: delivered, retrying, failed (given up after 24 h)",
    ["outcome"],
)
WEBHOOK_LATENCY = Histogram(
    "loyalty_webhook_attempt_duration_seconds",
    "Time a subscriber's endpoint took to answer (or to time out)",
    buckets=LATENCY_BUCKETS,
)

_served_port: int | None = None


def serve_from_environment() -> None:
    """Serve this process's metrics on METRICS_PORT, once, if it is set."""
    global _served_port
    port = os.environ.get("METRICS_PORT")
    if not port or _served_port is not None:
        return
    _served_port = int(port)
    try:
        start_http_server(_served_port)
    except OSError as exc:
        # Metrics are for watching the service, not a reason to stop it.
        log.warning("cannot serve metrics on port %s (%s); going on without", port, exc)
        return
    log.info("metrics on :%s/metrics", _served_port)
