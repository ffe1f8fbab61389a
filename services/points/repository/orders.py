"""Orders and refunds: the points each order earned, and the refunds
counted against them (kept waiting when one arrives before its order's
award)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points.models import order_awards, order_refunds
from shared.db import insert_row


def order_award(session: Session, shop_id: str, order_id: str, lock: bool = False) -> Row | None:
    query = select(order_awards).where(order_awards.c.shop_id == shop_id, order_awards.c.order_id == order_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def order_award_of_activity(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        select(order_awards).where(
            order_awards.c.shop_id == shop_id, order_awards.c.activity_id == activity_id
        )
    ).first()


def mark_award_reversed(session: Session, award: Row, now: datetime) -> None:
    session.execute(update(order_awards).where(order_awards.c.id == award.id).values(reversed_at=now))


def record_order_award(session: Session, **values) -> None:
    insert_row(session, order_awards, refunded_amount=0, refunded_points=0, **values)


def refund_recorded(session: Session, shop_id: str, refund_id: str) -> bool:
    return (
        session.execute(
            select(order_refunds.c.id).where(
                order_refunds.c.shop_id == shop_id, order_refunds.c.refund_id == refund_id
            )
        ).first()
        is not None
    )


def record_waiting_refund(
    session: Session, shop_id: str, refund_id: str, order_id: str, amount, now: datetime
) -> None:
    """A refund of an order whose award we have not seen (yet)."""
    session.execute(
        insert(order_refunds).values(
            shop_id=shop_id, refund_id=refund_id, order_id=order_id, amount=amount, points=0, created_at=now
        )
    )


def waiting_refunds(session: Session, shop_id: str, order_id: str) -> Sequence[Row]:
    return session.execute(
        select(order_refunds)
        .where(
            order_refunds.c.shop_id == shop_id,
            order_refunds.c.order_id == order_id,
            order_refunds.c.applied_at.is_(None),
        )
        .order_by(order_refunds.c.id)
    ).all()


def refund_of_activity(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        select(order_refunds).where(
            order_refunds.c.shop_id == shop_id, order_refunds.c.activity_id == activity_id
        )
    ).first()


def uncount_refund(session: Session, refund: Row) -> None:
    """A reversed refund no longer counts against its order's award."""
    session.execute(
        update(order_awards)
        .where(order_awards.c.shop_id == refund.shop_id, order_awards.c.order_id == refund.order_id)
        .values(
            refunded_amount=order_awards.c.refunded_amount - refund.amount,
            refunded_points=order_awards.c.refunded_points - refund.points,
        )
    )


def record_refund(
    session: Session,
    award: Row,
    refund_id: str,
    amount,
    points: int,
    activity_id: int | None,
    now: datetime,
    waiting: bool = False,
) -> None:
    """Count a refund against its order's award (and keep it, unless it was
    already kept while it waited for the award)."""
    if waiting:
        session.execute(
            update(order_refunds)
            .where(order_refunds.c.shop_id == award.shop_id, order_refunds.c.refund_id == refund_id)
            .values(points=points, activity_id=activity_id, applied_at=now)
        )
    else:
        session.execute(
            insert(order_refunds).values(
                shop_id=award.shop_id,
                refund_id=refund_id,
                order_id=award.order_id,
                amount=amount,
                points=points,
                activity_id=activity_id,
                created_at=now,
                applied_at=now,
            )
        )
    session.execute(
        update(order_awards)
        .where(order_awards.c.id == award.id)
        .values(
            refunded_amount=order_awards.c.refunded_amount + amount,
            refunded_points=order_awards.c.refunded_points + points,
        )
    )
