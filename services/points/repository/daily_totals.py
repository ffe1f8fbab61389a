"""The overview's per-shop daily roll-ups (models.daily_totals): added to
in the transaction of each change they count, summed for a range of days."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points.models import daily_totals
from shared.day_range import day_of
from shared.upserts import add_to_counters

# The ledger's types and the column each one's points add up in.
POINTS_COLUMN = {
    "earned": "earned_points",
    "redeemed": "redeemed_points",
    "refunded": "refunded_points",
    "expired": "expired_points",
    "adjusted": "adjusted_points",
}


def _add(session: Session, shop_id: str, at: datetime, **deltas: int) -> None:
    add_to_counters(session, daily_totals, {"shop_id": shop_id, "day": day_of(at)}, deltas)


def count_activity(session: Session, shop_id: str, activity_type: str, points: int, at: datetime) -> None:
    _add(session, shop_id, at, **{POINTS_COLUMN[activity_type]: points})


def count_new_member(session: Session, shop_id: str, at: datetime) -> None:
    _add(session, shop_id, at, new_members=1)


def count_exclusion(session: Session, shop_id: str, excluded: bool, at: datetime) -> None:
    _add(session, shop_id, at, excluded_members=1 if excluded else -1)


def days_between(session: Session, shop_id: str, first: date, last: date) -> Sequence[Row]:
    """The range's rows (days without activity have none), by the primary key."""
    return session.execute(
        select(daily_totals).where(
            daily_totals.c.shop_id == shop_id, daily_totals.c.day >= first, daily_totals.c.day <= last
        )
    ).all()


def standing_on(session: Session, shop_id: str, last: date) -> Row:
    """(outstanding_points, active_members) at the end of day `last`: every
    day of the shop's history up to it, a row a day at most."""
    points = sum((daily_totals.c[column] for column in POINTS_COLUMN.values()), start=0)
    return session.execute(
        select(
            func.coalesce(func.sum(points), 0).label("outstanding_points"),
            func.coalesce(func.sum(daily_totals.c.new_members - daily_totals.c.excluded_members), 0).label(
                "active_members"
            ),
        ).where(daily_totals.c.shop_id == shop_id, daily_totals.c.day <= last)
    ).one()
