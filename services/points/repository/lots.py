"""Lots: the points of each earning, each with what is left of it, when it
becomes available and when it expires; spending draws the oldest first."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points import domain
from services.points.models import point_lots
from shared.db import insert_row


def _lot(row) -> domain.Lot:
    return domain.Lot(
        id=row.id,
        remaining=row.remaining,
        earned_at=row.earned_at,
        available_at=row.available_at,
        expires_at=row.expires_at,
    )


def lots_of(session: Session, shop_id: str, customer_id: str) -> list[domain.Lot]:
    """The member's lots with points left, oldest first."""
    return [
        _lot(row)
        for row in session.execute(
            select(point_lots)
            .where(
                point_lots.c.shop_id == shop_id,
                point_lots.c.customer_id == customer_id,
                point_lots.c.remaining > 0,
            )
            .order_by(point_lots.c.earned_at, point_lots.c.id)
        ).all()
    ]


def lots_of_members(session: Session, shop_id: str, customer_ids: list[str]) -> dict[str, list[domain.Lot]]:
    """Lots with points left of several members at once (a page of the
    customers list), by customer id."""
    found: dict[str, list[domain.Lot]] = {customer_id: [] for customer_id in customer_ids}
    if customer_ids:
        for row in session.execute(
            select(point_lots).where(
                point_lots.c.shop_id == shop_id,
                point_lots.c.customer_id.in_(customer_ids),
                point_lots.c.remaining > 0,
            )
        ).all():
            found[row.customer_id].append(_lot(row))
    return found


def lot_of_activity(session: Session, activity_id: int) -> Row | None:
    return session.execute(select(point_lots).where(point_lots.c.activity_id == activity_id)).first()


def open_lot(
    session: Session,
    member_row: Row,
    activity_id: int,
    points: int,
    earned_at: datetime,
    available_at: datetime,
    expires_at: datetime | None,
) -> None:
    insert_row(
        session,
        point_lots,
        shop_id=member_row.shop_id,
        customer_id=member_row.customer_id,
        activity_id=activity_id,
        points=points,
        remaining=points,
        earned_at=earned_at,
        available_at=available_at,
        expires_at=expires_at,
    )


def open_lots(
    session: Session,
    new_lots: list[tuple[Row, int, int]],
    earned_at: datetime,
    available_at: datetime,
    expires_at: datetime | None,
) -> None:
    """open_lot for many members at once: (member, activity id, points) each."""
    session.execute(
        insert(point_lots),
        [
            {
                "shop_id": member_row.shop_id,
                "customer_id": member_row.customer_id,
                "activity_id": activity_id,
                "points": points,
                "remaining": points,
                "earned_at": earned_at,
                "available_at": available_at,
                "expires_at": expires_at,
            }
            for member_row, activity_id, points in new_lots
        ],
    )


def take_from_lots(session: Session, plan: list[tuple[domain.Lot, int]]) -> None:
    for lot, take in plan:
        session.execute(
            update(point_lots)
            .where(point_lots.c.id == lot.id)
            .values(remaining=point_lots.c.remaining - take)
        )


def members_with_expired_lots(session: Session, now: datetime, limit: int) -> Sequence[Row]:
    """(shop_id, customer_id) of members with points due to expire; served by
    the partial index on unspent lots' expires_at."""
    return session.execute(
        select(point_lots.c.shop_id, point_lots.c.customer_id)
        .where(point_lots.c.remaining > 0, point_lots.c.expires_at <= now)
        .group_by(point_lots.c.shop_id, point_lots.c.customer_id)
        .limit(limit)
    ).all()
