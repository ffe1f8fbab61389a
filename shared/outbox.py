"""The outbox relay: publishes committed outbox rows to RabbitMQ with
publisher confirms and `mandatory`, then marks them published.

Rows are leased (claimed_until) in a short transaction, published outside any
transaction, then marked in another, so no database lock is held across
network I/O; on PostgreSQL the claim uses SKIP LOCKED, so several instances of
a service share the work. A crash after publish and before marking means the
row is published again later: consumers are idempotent, so that is harmless."""

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from kombu import Exchange
from nameko.amqp.publish import Publisher, UndeliverableMessage
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


def make_event_publisher(amqp_uri: str) -> Publisher:
    return Publisher(amqp_uri, use_confirms=True, mandatory=True, serializer="json")


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
    publisher: Publisher,
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

    published, failure = [], None
    for row in rows:
        body = json.loads(row.body)
        try:
            publisher.publish(
                body,
                exchange=events_exchange(body["source"]),
                routing_key=row.event_type,
                message_id=row.event_id,
                type=row.event_type,
                declare=[events_exchange(body["source"])],
            )
        except UndeliverableMessage:
            # Every consumer queue is declared before services start
            # (`loyalty setup-broker`), so no route means no subscriber yet.
            log.warning("event %s (%s) has no subscribed queue", row.event_id, row.event_type)
        except Exception as exc:
            failure = (row.id, f"{type(exc).__name__}: {exc}")
            log.warning("outbox relay could not publish event %s: %s", row.event_id, failure[1])
            break
        published.append(row.id)

    with engine.begin() as conn:
        if published:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(published))
                .values(published_at=now(), claimed_until=None, last_error=None)
            )
        unsent = [r.id for r in rows if r.id not in set(published)]
        if unsent:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(unsent))
                .values(claimed_until=None, last_error=failure[1] if failure else None)
            )
    return len(published)
