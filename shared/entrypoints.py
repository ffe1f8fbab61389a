"""nameko glue for consuming events: `reliable_event_handler` (validated
envelopes, inbox idempotency, bounded retries with backoff, dead letters),
and consumers that reconnect quickly when the broker comes back. The
`Database` dependency is in shared.database.

Services use these instead of nameko's EventDispatcher/event_handler."""

import contextlib
import functools
import inspect
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Protocol, TypeAlias, TypeVar

from amqp import Connection as AmqpConnection
from kombu import Connection
from kombu.message import Message
from nameko.amqp.publish import get_producer
from nameko.containers import WorkerContext
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from shared import config, metrics
from shared.db import DuplicateEvent, UnitOfWork
from shared.events import Envelope, PayloadT, parse_event
from shared.topology import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    ORIGIN_HEADER,
    HandlerQueue,
    dead_queue_name,
    declare_handler_queue,
    handler_queue_name,
    retry_queue_name,
)

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

# What nameko hands a result handler when the worker raised.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType]

TRANSACTION_ATTEMPTS = 5

# What a dead broker connection raises when a message is acked, requeued or
# forwarded on it (nameko itself only catches amqp's own ConnectionError,
# not the socket errors underneath).
BROKER_CONNECTION_ERRORS = tuple(
    set(AmqpConnection.connection_errors) | set(AmqpConnection.recoverable_connection_errors)
)

# How often a consumer tries to reach a broker that went away: after 1 s,
# then every 2 s (a connection attempt costs the broker next to nothing).
RECONNECT_INTERVALS = {"interval_start": 1, "interval_step": 1, "interval_max": 2}


@contextlib.contextmanager
def _establish_connection(self: QueueConsumer) -> Iterator[Connection]:
    with self.create_connection() as conn:
        conn.ensure_connection(self.on_connection_error, self.connect_max_retries, **RECONNECT_INTERVALS)
        yield conn


# Every nameko consumer in a service (RPC, event handlers, RPC replies)
# shares one QueueConsumer. kombu's default retries a lost connection after
# 2, 4, 6 ... up to 30 s, so a service could stay deaf for half a minute
# after the broker is back; kombu takes the intervals only as arguments of
# this one call, hence the override.
QueueConsumer.establish_connection = _establish_connection


class ReliableEventHandler(EventHandler):
    """An event handler with effects exactly once and no lost messages.

    The service method receives the validated `Envelope`. A body that does
    not validate is dead-lettered at once. A handler that raises is retried
    after each delay of LOYALTY_RETRY_DELAYS_MS, then dead-lettered. A
    DuplicateEvent (the inbox already has this event) counts as success.

    A message is acked, forwarded or requeued only after its worker ended;
    when the broker connection died meanwhile, that is logged and left to
    the broker, which hands the unacked message out again on reconnect (the
    inbox makes the second delivery harmless). Nothing here ever raises
    into the container, which would stop the whole service."""

    def __init__(
        self, source_service: str, event_type: str, when: Callable[[Any], object] | None = None, **kwargs: Any
    ) -> None:
        self.when = when
        kwargs.setdefault("expected_exceptions", (DuplicateEvent,))
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )

    def setup(self) -> None:
        super().setup()
        self.delays_ms = config.retry_delays_ms()
        self.amqp_uri = self.container.config["AMQP_URI"]
        with Connection(self.amqp_uri) as conn:
            declare_handler_queue(conn.channel(), self.handler_queue, self.delays_ms)

    @property
    def handler_queue(self) -> HandlerQueue:
        return HandlerQueue(self.queue.name, self.source_service, self.event_type)

    def handle_message(self, body: object, message: Message) -> None:
        try:
            event = parse_event(body)
        except Exception as exc:
            self._count("invalid")
            self._park(message, f"invalid event: {exc}", attempts=0)
            return
        try:
            wanted = self.when is None or self.when(event.payload)
        except Exception as exc:  # never into the container, which would stop the service
            self._count("invalid")
            self._park(message, f"{self.method_name} cannot tell whether it wants this event: {exc!r}", 0)
            return
        if not wanted:
            # Not for this handler: acked here, without a worker (no
            # dependencies set up, no unit of work, no inbox row).
            self._count("skipped")
            self._settle(message, "ack")
            return
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data={**self.unpack_message_headers(message), "correlation_id": event.correlation_id},
                handle_result=functools.partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self._settle(message, "requeue")

    def handle_result(
        self,
        message: Message,
        worker_ctx: WorkerContext,
        result: object = None,
        exc_info: ExcInfo | None = None,
    ) -> tuple[object, ExcInfo | None]:
        if exc_info is None or isinstance(exc_info[1], DuplicateEvent):
            if exc_info is not None:
                self._count("duplicate")
                metrics.INBOX_DUPLICATES.labels(self.container.service_name, self.method_name).inc()
            self._settle(message, "ack")
            return result, exc_info
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if attempts <= len(self.delays_ms):
            delay = self.delays_ms[attempts - 1]
            log.warning(
                "%s failed on %s (attempt %s), retrying in %sms: %s",
                self.method_name,
                message.properties.get("message_id"),
                attempts,
                delay,
                error,
            )
            self._count("retried")
            self._forward(message, retry_queue_name(self.queue.name, delay), attempts, error)
        else:
            self._count("dead_lettered")
            self._park(message, error, attempts, exc_info)
        return result, exc_info

    def _count(self, outcome: str) -> None:
        metrics.EVENTS.labels(self.container.service_name, self.method_name, outcome).inc()

    def _settle(self, message: Message, action: str) -> None:
        """Ack or requeue `message` on the channel it came on; if that channel
        died with its connection, the broker has already taken the message
        back and will deliver it again."""
        try:
            if message.channel.connection:
                getattr(message, action)()
        except BROKER_CONNECTION_ERRORS as exc:
            log.warning(
                "broker connection lost before %s of %s on %s (%r); the broker will deliver it again",
                action,
                message.properties.get("message_id"),
                self.queue.name,
                exc,
            )

    def _park(self, message: Message, error: str, attempts: int, exc_info: ExcInfo | None = None) -> None:
        log.error(
            "dead-lettering %s from %s after %s attempts: %s",
            message.properties.get("message_id"),
            self.queue.name,
            attempts,
            error,
        )
        if exc_info is not None:
            error = error + "\n" + "".join(traceback.format_tb(exc_info[2]))[-4000:]
        self._forward(message, dead_queue_name(self.queue.name), attempts, error)

    def _forward(self, message: Message, queue_name: str, attempts: int, error: str) -> None:
        """Publish a copy (confirmed) to `queue_name`, then ack the original;
        if the broker won't take the copy, requeue the original instead."""
        headers = dict(message.headers or {})
        headers.update(
            {ATTEMPTS_HEADER: attempts, ORIGIN_HEADER: self.queue.name, ERROR_HEADER: error[:8000]}
        )
        try:
            with get_producer(self.amqp_uri, confirms=True) as producer:
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=queue_name,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    message_id=message.properties.get("message_id"),
                    type=message.properties.get("type"),
                    headers=headers,
                    delivery_mode=2,
                    retry=True,
                    retry_policy={"max_retries": 3},
                )
        except Exception as exc:
            log.warning(
                "could not forward %s to %s (%r); requeueing it",
                message.properties.get("message_id"),
                queue_name,
                exc,
            )
            self._settle(message, "requeue")
            return
        self._settle(message, "ack")


# A reliable handler as written, `method(self, uow, event)`, and as nameko
# calls it, `handle(self, event)`; `self` is the service instance. Strings,
# because at runtime pydantic's Envelope[PayloadT] is plain Envelope, which
# leaves Callable no type variable to fill.
EventMethod: TypeAlias = "Callable[[Any, UnitOfWork, Envelope[PayloadT]], ResultT]"
EventHandlerMethod: TypeAlias = "Callable[[Any, Envelope[PayloadT]], ResultT | None]"


def reliable_event_handler(
    source_service: str, event_type: str, when: Callable[[PayloadT], object] | None = None
) -> "Callable[[EventMethod[PayloadT, ResultT]], EventHandlerMethod[PayloadT, ResultT]]":
    """Decorates `method(self, uow, event)` as the service's handler of
    `event_type` events from `source_service`.

    The handler is given a unit of work (of the service's `db`) that has
    already recorded the event in the inbox, does its work in it, and
    returns; the unit of work is committed then, effect and inbox row
    together, so a redelivered event finds the row and changes nothing.
    `when(payload)`: events it says no to are acked untouched as they
    arrive (no worker, no inbox row), for a handler that cares about a few
    events of a busy type."""

    def decorate(method: "EventMethod[PayloadT, ResultT]") -> "EventHandlerMethod[PayloadT, ResultT]":
        handler = method.__name__

        @functools.wraps(method)
        def handle(self: Any, event: Envelope[PayloadT]) -> ResultT | None:
            started = time.monotonic()
            with self.db.inbox_unit_of_work(str(event.event_id), f"{self.name}.{handler}") as uow:
                result = method(self, uow, event)
                uow.commit()
            took = time.monotonic() - started
            metrics.EVENTS.labels(self.name, handler, "handled").inc()
            metrics.EVENT_LATENCY.labels(self.name, handler).observe(took)
            # One line per event a service applied: an operator can follow
            # an event (and the order behind it) across the services' logs.
            log.info(
                "handled %s %s in %s.%s (%.1f ms)",
                event.type,
                event.event_id,
                self.name,
                handler,
                took * 1000,
            )
            return result

        # nameko's decorator registers the entrypoint on `handle` and returns it.
        ReliableEventHandler.decorator(source_service, event_type, when=when)(handle)
        return handle

    return decorate


class NamedService(Protocol):
    name: str  # nameko's service name


def handler_queues(service_cls: type[NamedService]) -> list[HandlerQueue]:
    """Every reliable event handler queue a service class consumes from."""
    queues = []
    for method_name, method in inspect.getmembers(service_cls, callable):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                queues.append(
                    HandlerQueue(
                        handler_queue_name(
                            entrypoint.source_service, entrypoint.event_type, service_cls.name, method_name
                        ),
                        entrypoint.source_service,
                        entrypoint.event_type,
                    )
                )
    return queues
