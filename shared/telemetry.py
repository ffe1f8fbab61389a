"""The `Telemetry` dependency every service declares: for each worker (an
RPC, an event, a timer, an HTTP request) it binds the correlation id and the
shop to every log line the work writes, and counts and times RPC requests;
at start it serves the process's metrics on METRICS_PORT (when set)."""

import time
from typing import Any

import structlog
from nameko.containers import WorkerContext
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from shared import metrics
from shared.errors import LoyaltyError
from shared.events import Envelope
from shared.logs import correlation_id_from


def _shop_of(worker_ctx: WorkerContext) -> str | None:
    """The shop a worker acts for: an event's, or an RPC's `shop_id` argument."""
    for value in (*worker_ctx.args, *worker_ctx.kwargs.values()):
        if isinstance(value, Envelope):
            return value.shop_id
    shop_id = worker_ctx.kwargs.get("shop_id")
    if shop_id is None and worker_ctx.args and isinstance(worker_ctx.entrypoint, Rpc):
        shop_id = worker_ctx.args[0]
    return shop_id if isinstance(shop_id, str) else None


class Telemetry(DependencyProvider):
    def setup(self) -> None:
        metrics.serve_from_environment()
        self._started: dict[WorkerContext, float] = {}

    def worker_setup(self, worker_ctx: WorkerContext) -> None:
        # Runs in the worker's own green thread, which has its own context.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=correlation_id_from(worker_ctx.data.get("correlation_id")),
            **({"shop_id": shop} if (shop := _shop_of(worker_ctx)) else {}),
        )
        self._started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx: WorkerContext, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None or not isinstance(worker_ctx.entrypoint, Rpc):
            return
        service, method = self.container.service_name, worker_ctx.entrypoint.method_name
        error = exc_info[1] if exc_info else None
        outcome = "ok" if error is None else error.code if isinstance(error, LoyaltyError) else "error"
        metrics.RPC_CALLS.labels(service, method, outcome).inc()
        metrics.RPC_LATENCY.labels(service, method).observe(time.monotonic() - started)

    def worker_teardown(self, worker_ctx: WorkerContext) -> None:
        self._started.pop(worker_ctx, None)
        structlog.contextvars.clear_contextvars()
