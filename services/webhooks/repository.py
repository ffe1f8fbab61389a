"""The webhooks service's queries: module functions, `session` first. What
a merchant reads or changes is scoped by shop; the sender's claim of due
deliveries spans shops (it serves them all)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from services.webhooks.models import deliveries, delivery_attempts, idempotency_keys, subscriptions
from shared.db import cursor_result, insert_row, inserted_id
from shared.pagination import CursorQuery, Page, keyset_page
from shared.upserts import insert_unless_exists

# --- subscriptions -----------------------------------------------------------------


def add_subscription(session: Session, **values: Any) -> None:
    insert_row(session, subscriptions, **values)


def subscription(session: Session, shop_id: str, subscription_id: str) -> Row[Any] | None:
    return session.execute(
        select(subscriptions).where(subscriptions.c.shop_id == shop_id, subscriptions.c.id == subscription_id)
    ).first()


def shop_subscriptions(session: Session, shop_id: str) -> Sequence[Row[Any]]:
    """The shop's subscriptions, oldest first (a shop has a handful)."""
    return session.execute(
        select(subscriptions)
        .where(subscriptions.c.shop_id == shop_id)
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
    ).all()


def remove_subscription(session: Session, shop_id: str, subscription_id: str) -> bool:
    """Its deliveries and attempts go with it (ON DELETE CASCADE)."""
    removed = session.execute(
        delete(subscriptions).where(subscriptions.c.shop_id == shop_id, subscriptions.c.id == subscription_id)
    )
    return cursor_result(removed).rowcount > 0


def change_subscription(session: Session, shop_id: str, subscription_id: str, **values: Any) -> None:
    session.execute(
        update(subscriptions)
        .where(subscriptions.c.shop_id == shop_id, subscriptions.c.id == subscription_id)
        .values(**values)
    )


# --- idempotency keys -------------------------------------------------------------


def claim_idempotency_key(session: Session, shop_id: str, key: str, fingerprint: str, now: datetime) -> bool:
    """True if this transaction is the first with the key. On PostgreSQL a
    concurrent first waits here until the other commits (or rolls back)."""
    return insert_unless_exists(
        session, idempotency_keys, shop_id=shop_id, key=key, fingerprint=fingerprint, created_at=now
    )


def idempotency_record(session: Session, shop_id: str, key: str) -> Row[Any] | None:
    return session.execute(
        select(idempotency_keys).where(idempotency_keys.c.shop_id == shop_id, idempotency_keys.c.key == key)
    ).first()


def store_idempotent_result(session: Session, shop_id: str, key: str, result: str) -> None:
    session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.shop_id == shop_id, idempotency_keys.c.key == key)
        .values(result=result)
    )


# --- deliveries --------------------------------------------------------------------


def schedule_delivery(session: Session, **values: Any) -> bool:
    """False if this event already has a delivery to this subscription."""
    return insert_unless_exists(session, deliveries, **values)


def add_delivery(session: Session, **values: Any) -> int:
    return inserted_id(insert_row(session, deliveries, **values))


def delivery(session: Session, shop_id: str, delivery_id: int) -> Row[Any] | None:
    return session.execute(
        select(deliveries).where(deliveries.c.shop_id == shop_id, deliveries.c.id == delivery_id)
    ).first()


def claim_due_deliveries(
    session: Session, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Row[Any]]:
    """Lease up to `limit` deliveries that are due, of active subscriptions,
    with no earlier delivery of the same subscription and customer still
    pending (so a customer's deliveries go out one at a time, in order).
    Each row: the delivery and its subscription's url, secret and domain."""
    earlier = deliveries.alias("earlier")
    earlier_pending = exists().where(
        earlier.c.subscription_id == deliveries.c.subscription_id,
        earlier.c.customer_id == deliveries.c.customer_id,
        earlier.c.status == "pending",
        earlier.c.id < deliveries.c.id,
    )
    rows = session.execute(
        select(
            deliveries.c.id,
            deliveries.c.shop_id,
            deliveries.c.subscription_id,
            deliveries.c.event_id,
            deliveries.c.topic,
            deliveries.c.body,
            deliveries.c.attempts,
            deliveries.c.first_attempt_at,
            subscriptions.c.url,
            subscriptions.c.secret_encrypted,
            subscriptions.c.shop_domain,
        )
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            subscriptions.c.status == "active",
            ~earlier_pending,
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
    ).all()
    if rows:
        session.execute(
            update(deliveries)
            .where(deliveries.c.id.in_([row.id for row in rows]))
            .values(claimed_until=lease_until)
        )
    return rows


def settle_delivery(session: Session, delivery_id: int, lease_until: datetime, **values: Any) -> bool:
    """False (nothing changed) unless the delivery is still pending under
    the lease `lease_until`: given up meanwhile, or leased again by another
    sender once this lease ran out."""
    settled = session.execute(
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "pending",
            deliveries.c.claimed_until == lease_until,
        )
        .values(claimed_until=None, **values)
    )
    return cursor_result(settled).rowcount > 0


def fail_pending_deliveries(session: Session, shop_id: str, subscription_id: str) -> None:
    """A disabled subscription's deliveries are given up."""
    session.execute(
        update(deliveries)
        .where(
            deliveries.c.shop_id == shop_id,
            deliveries.c.subscription_id == subscription_id,
            deliveries.c.status == "pending",
        )
        .values(status="failed", next_attempt_at=None, claimed_until=None)
    )


# --- attempts ----------------------------------------------------------------------


def add_attempt(session: Session, **values: Any) -> None:
    insert_row(session, delivery_attempts, **values)


def attempts_page(session: Session, shop_id: str, subscription_id: str, query: CursorQuery) -> Page[Row[Any]]:
    """Newest first, served by the (subscription_id, attempted_at, id) index."""
    statement = select(delivery_attempts).where(
        delivery_attempts.c.shop_id == shop_id, delivery_attempts.c.subscription_id == subscription_id
    )
    return keyset_page(session, statement, delivery_attempts.c.attempted_at, delivery_attempts.c.id, query)
