"""The outbox relay: publishes committed outbox rows to RabbitMQ with
publisher confirms and `mandatory`, then marks them published.

Rows are leased (claimed_until) in a short transaction, published outside any
transaction, then marked in another, so no database lock is held across
network I/O. A batch goes out on one channel kept open across batches, and
its confirms are awaited together: the broker writes the batch to disk once
rather than once per message, and a row is marked only once its own confirm
has come; on PostgreSQL the claim uses SKIP LOCKED, so several instances of
a service share the work. A crash after publish and before marking means the
row is published again later: consumers are idempotent, so that is harmless."""

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kombu import Connection, Exchange, Producer
from nameko.constants import PERSISTENT
from sqlalchemy import MetaData, func, or_, select, update
from sqlalchemy.engine import Engine

from shared.clock import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)


def events_exchange(source_service: str) -> Exchange:
    """The exchange nameko's own event handlers bind to: `<service>.events`."""
    return Exchange(
        f"{source_service}.events", type="topic", durable=True, delivery_mode=PERSISTENT, auto_delete=False
    )


class BatchPublisher:
    """Publishes a batch of events with `mandatory` on one channel in confirm
    mode, then waits for all their confirms at once. The connection stays
    open across batches; any failure closes it, and the next batch opens a
    new one."""

    def __init__(self, amqp_uri: str, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._next_tag = 1
        self._confirmed: dict[int, bool | None] = {}  # delivery tag -> acked, nacked or awaited

    def _channel_producer(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri)
            connection.connect()
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(lambda tag, multiple: self._settle(tag, multiple, True))
            channel.events["basic_nack"].add(lambda tag, multiple: self._settle(tag, multiple, False))
            channel.events["basic_return"].add(self._returned)
            self._connection, self._next_tag, self._confirmed = connection, 1, {}
            self._producer = Producer(channel, serializer="json")
        return self._producer

    def _settle(self, tag: int, multiple: bool, acked: bool) -> None:
        for pending in [t for t, done in self._confirmed.items() if done is None]:
            if pending == tag or (multiple and pending < tag):
                self._confirmed[pending] = acked

    @staticmethod
    def _returned(exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        # Every consumer queue is declared before services start
        # (`loyalty setup-broker`), so no route means no subscriber yet.
        log.warning(
            "event %s (%s) has no subscribed queue", message.properties.get("message_id"), routing_key
        )

    def publish_batch(self, events: list[tuple[str, str, dict[str, Any]]]) -> tuple[int, str | None]:
        """Publish (event_id, event_type, body) in order; how many of them,
        from the first, the broker confirmed, and why it stopped there."""
        tags: list[int] = []
        try:
            producer = self._channel_producer()
            for event_id, event_type, body in events:
                exchange = events_exchange(body["source"])
                tags.append(self._next_tag)
                self._confirmed[self._next_tag] = None
                self._next_tag += 1
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=event_type,
                    message_id=event_id,
                    type=event_type,
                    mandatory=True,
                    delivery_mode=PERSISTENT,
                    declare=[exchange],
                )
            connection = self._connection
            while connection is not None and any(self._confirmed[tag] is None for tag in tags):
                connection.drain_events(timeout=self.confirm_timeout)
        except Exception as exc:
            self.close()
            return self._confirmed_prefix(tags), f"{type(exc).__name__}: {exc}"
        confirmed = self._confirmed_prefix(tags)
        for tag in tags:
            self._confirmed.pop(tag, None)
        return confirmed, None if confirmed == len(tags) else "the broker refused (nack) an event"

    def _confirmed_prefix(self, tags: list[int]) -> int:
        for count, tag in enumerate(tags):
            if self._confirmed.get(tag) is not True:
                return count
        return len(tags)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # already broken: nothing left to release
                log.debug("closing the relay's broker connection failed", exc_info=True)
        self._connection = self._producer = None


def outbox_backlog(engine: Engine, metadata: MetaData, now: datetime) -> tuple[int, float]:
    """(rows not yet published, age in seconds of the oldest of them)."""
    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        rows, oldest = conn.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's min() bypasses the column type
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return rows, (now - oldest).total_seconds() if oldest is not None else 0.0


def relay_pending_events(
    engine: Engine,
    metadata: MetaData,
    publisher: BatchPublisher,
    batch_size: int = 200,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Publish one batch of unpublished events in commit order; returns how
    many were published. Stops at the first broker failure (order kept; the
    rest stays for the next run)."""
    outbox = metadata.tables["outbox"]
    started = now()
    with engine.begin() as conn:
        rows = conn.execute(
            select(outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.body)
            .where(
                outbox.c.published_at.is_(None),
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < started),
            )
            .order_by(outbox.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(claimed_until=started + LEASE, attempts=outbox.c.attempts + 1)
        )

    events = [(row.event_id, row.event_type, json.loads(row.body)) for row in rows]
    confirmed, failure = publisher.publish_batch(events)
    if failure:
        log.warning("outbox relay stopped after %d of %d events: %s", confirmed, len(rows), failure)
    published = [row.id for row in rows[:confirmed]]

    with engine.begin() as conn:
        if published:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(published))
                .values(published_at=now(), claimed_until=None, last_error=None)
            )
        unsent = [row.id for row in rows[confirmed:]]
        if unsent:
            conn.execute(
                update(outbox).where(outbox.c.id.in_(unsent)).values(claimed_until=None, last_error=failure)
            )
    return len(published)
