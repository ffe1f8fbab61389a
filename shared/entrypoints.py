"""nameko glue: the `Database` dependency (a unit of work per worker plus the
outbox relay) and `reliable_event_handler` (validated envelopes, inbox
idempotency, bounded retries with backoff, dead letters).

Services import these instead of nameko's EventDispatcher/event_handler."""
import logging
import random
import traceback
from pathlib import Path

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import get_producer
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled, deserialize_to_instance
from nameko.extensions import DependencyProvider

from shared import config, errors
from shared.clock import SystemClock
from shared.db import DuplicateEvent, UnitOfWork, is_transient_conflict, make_engine
from shared.events import parse_event
from shared.migrations import upgrade_to_head
from shared.outbox import make_event_publisher, relay_pending_events
from shared.topology import (
    ATTEMPTS_HEADER, ERROR_HEADER, ORIGIN_HEADER, HandlerQueue, dead_queue_name,
    declare_handler_queue, retry_queue_name,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

TRANSACTION_ATTEMPTS = 5

# Our errors cross RPC as themselves (status and details intact).
for _error in errors.ALL_ERRORS:
    deserialize_to_instance(_error)


class Database(DependencyProvider):
    """Per-service database: applies the service's Alembic migrations on
    start, hands each worker a unit-of-work factory, and runs the outbox
    relay (woken right after a commit that published, and every
    LOYALTY_RELAY_INTERVAL seconds as the backstop for crashes)."""

    def __init__(self, metadata, migrations_dir: Path, clock=None):
        self.metadata = metadata
        self.migrations_dir = Path(migrations_dir)
        self.clock = clock or SystemClock()

    def setup(self):
        service = self.container.service_name
        self.url = self.container.config.get("DATABASE_URL") or config.database_url(service)
        upgrade_to_head(self.migrations_dir, self.url)
        self.engine = make_engine(self.url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.publisher = make_event_publisher(self.container.config["AMQP_URI"])
        self._wakeups = LightQueue()
        self._relay_thread = None

    def start(self):
        self._relay_thread = self.container.spawn_managed_thread(self._relay_forever)

    def stop(self):
        if self._relay_thread is not None:
            self._relay_thread.kill()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def wake_relay(self):
        self._wakeups.put(None)

    def relay_once(self) -> int:
        return relay_pending_events(self.engine, self.metadata, self.publisher, now=self.clock.now)

    def _relay_forever(self):
        interval = config.relay_interval_seconds()
        while True:
            try:
                self._wakeups.get(timeout=interval)
            except Empty:
                pass
            while not self._wakeups.empty():
                self._wakeups.get_nowait()
            try:
                while self.relay_once():
                    pass
            except Exception:
                log.exception("outbox relay failed; retrying in %ss", interval)
                eventlet.sleep(interval)

    def unit_of_work(self, worker_ctx=None) -> UnitOfWork:
        inbox_key = None
        if worker_ctx is not None and isinstance(worker_ctx.entrypoint, ReliableEventHandler):
            event = worker_ctx.args[0]
            inbox_key = (str(event.event_id),
                         f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}")
        return UnitOfWork(self.session_factory, self.metadata, self.container.service_name,
                          clock=self.clock, inbox_key=inbox_key,
                          on_events_committed=self.wake_relay)

    def get_dependency(self, worker_ctx):
        return _WorkerDatabase(self, worker_ctx)


class _WorkerDatabase:
    def __init__(self, provider: Database, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self.clock = provider.clock

    def unit_of_work(self) -> UnitOfWork:
        """The first unit of work of an event handler's worker carries the
        inbox record; later ones in the same worker do not."""
        worker_ctx, self._worker_ctx = self._worker_ctx, None
        return self._provider.unit_of_work(worker_ctx)

    def transaction(self, work):
        """`work(uow)` committed, for an RPC command: run again in a fresh
        transaction (a few times, after a short random pause) when the
        database says it lost a race (deadlock, serialization failure,
        SQLite busy), so the caller never sees one. Event handlers have
        their own retries (the retry queues) and do not use this."""
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                with self.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except DBAPIError as exc:
                if attempt == TRANSACTION_ATTEMPTS or not is_transient_conflict(exc):
                    raise
                log.warning("transaction lost a race (%s); running it again", exc.orig)
                eventlet.sleep(random.uniform(0.01, 0.05) * attempt)


class ReliableEventHandler(EventHandler):
    """An event handler with effects exactly once and no lost messages.

    The handler method receives the validated `Envelope`. A body that does
    not validate is dead-lettered at once. A handler that raises is retried
    after each delay of LOYALTY_RETRY_DELAYS_MS, then dead-lettered. A
    DuplicateEvent (the inbox already has this event) counts as success."""

    def __init__(self, source_service: str, event_type: str, **kwargs):
        kwargs.setdefault("expected_exceptions", (DuplicateEvent,))
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        self.delays_ms = config.retry_delays_ms()
        self.amqp_uri = self.container.config["AMQP_URI"]
        from kombu import Connection
        with Connection(self.amqp_uri) as conn:
            declare_handler_queue(conn.channel(), HandlerQueue(
                self.queue.name, self.source_service, self.event_type), self.delays_ms)

    def handle_message(self, body, message):
        try:
            event = parse_event(body)
        except Exception as exc:
            self._park(message, f"invalid event: {exc}", attempts=0)
            return
        try:
            self.container.spawn_worker(
                self, (event,), {}, context_data=self.unpack_message_headers(message),
                handle_result=lambda worker_ctx, result=None, exc_info=None:
                    self.handle_result(message, worker_ctx, result, exc_info))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None or isinstance(exc_info[1], DuplicateEvent):
            self.queue_consumer.ack_message(message)
            return result, exc_info
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if attempts <= len(self.delays_ms):
            delay = self.delays_ms[attempts - 1]
            log.warning("%s failed on %s (attempt %s), retrying in %sms: %s",
                        self.method_name, message.properties.get("message_id"), attempts, delay, error)
            self._forward(message, retry_queue_name(self.queue.name, delay), attempts, error)
        else:
            self._park(message, error, attempts, exc_info)
        return result, exc_info

    def _park(self, message, error, attempts, exc_info=None):
        log.error("dead-lettering %s from %s after %s attempts: %s",
                  message.properties.get("message_id"), self.queue.name, attempts, error)
        if exc_info is not None:
            error = error + "\n" + "".join(traceback.format_tb(exc_info[2]))[-4000:]
        self._forward(message, dead_queue_name(self.queue.name), attempts, error)

    def _forward(self, message, queue_name, attempts, error):
        """Publish a copy (confirmed) to `queue_name`, then ack the original;
        if the broker won't take the copy, requeue the original instead."""
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ORIGIN_HEADER: self.queue.name,
                        ERROR_HEADER: error[:8000]})
        try:
            with get_producer(self.amqp_uri, confirms=True) as producer:
                producer.publish(
                    message.body, exchange="", routing_key=queue_name,
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    message_id=message.properties.get("message_id"),
                    type=message.properties.get("type"), headers=headers, delivery_mode=2,
                    retry=True, retry_policy={"max_retries": 3})
        except Exception:
            log.exception("could not forward %s to %s; requeueing", message.properties.get("message_id"), queue_name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


reliable_event_handler = ReliableEventHandler.decorator
