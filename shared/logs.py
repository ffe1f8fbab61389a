"""Logs: one JSON object per line (or readable text with
LOYALTY_LOG_FORMAT=text), every line carrying the service, the level, the
event (the message) and — inside the work of one request, RPC or event —
the shop and the correlation id that ties one order's path together across
the services' logs.

The correlation id comes from the HTTP request (`X-Request-Id`, or a shop
webhook's `X-Shopify-Webhook-Id`), travels in nameko's RPC context and in
each event's envelope, and is bound here for the duration of the work
(contextvars: each green thread has its own)."""

import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog

# What may be taken from a client as a correlation id: an opaque token, short.
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# Libraries whose INFO lines say nothing an operator needs at every start
# (shared.migrations says itself when a migration ran).
_QUIET_LOGGERS = ("alembic",)


def correlation_id_from(*candidates: str | None) -> str:
    """The first candidate that is a usable id, else a new one."""
    for candidate in candidates:
        if candidate and _CORRELATION_ID.match(candidate):
            return candidate
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """These fields (e.g. correlation_id, shop_id) on every line logged
    inside the block, in this green thread."""
    given = {name: value for name, value in fields.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**given):
        yield


def _add_service(service: str) -> structlog.types.Processor:
    def add(_logger: Any, _method: str, event: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"service": service, **event}

    return add


def configure(service: str, fmt: str | None = None, level: int = logging.INFO) -> None:
    """Route every logger of the process (ours and the libraries') through
    one formatter: JSON lines, or text for humans (LOYALTY_LOG_FORMAT=text)."""
    fmt = fmt or os.environ.get("LOYALTY_LOG_FORMAT", "json")
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
    ]
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "text"
        else structlog.processors.JSONRenderer(sort_keys=False)
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
