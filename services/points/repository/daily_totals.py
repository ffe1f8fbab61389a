"""The overview's per-shop daily roll-ups (models.daily_totals): added to
in the transaction of each change they count, summed for a range of days."""

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


def count_new_members(session: Session, shop_id: str, at: datetime, how_many: int = 1) -> None:
    _add(session, shop_id, at, new_members=how_many)


def count_exclusion(session: Session, shop_id: str, excluded: bool, at: datetime) -> None:
    _add(session, shop_id, at, excluded_members=1 if excluded else -1)


def totals_through(session: Session, shop_id: str, first: date, last: date) -> Row:
    """In one pass over the shop's days up to `last` (a row a day at most):
    what each type of entry moved and the members who joined from `first`
    to `last` (named as POINTS_COLUMN's columns and new_members), and at
    the end of `last` the points outstanding and the members not excluded."""
    in_range = daily_totals.c.day >= first
    ledger = sum((daily_totals.c[column] for column in POINTS_COLUMN.values()), start=0)

    def summed(amount, *only):
        total = func.sum(amount)
        return func.coalesce(total.filter(*only) if only else total, 0)

    return session.execute(
        select(
            *(summed(daily_totals.c[column], in_range).label(column) for column in POINTS_COLUMN.values()),
            summed(daily_totals.c.new_members, in_range).label("new_members"),
            summed(ledger).label("outstanding_points"),
            summed(daily_totals.c.new_members - daily_totals.c.excluded_members).label("active_members"),
        ).where(daily_totals.c.shop_id == shop_id, daily_totals.c.day <= last)
    ).one()


def series_between(
    session: Session, shop_id: str, first: date, last: date
) -> dict[date, tuple[int, int, int]]:
    """(earned, redeemed, expired) points of each day from `first` to
    `last` that has a row (days without activity have none)."""
    found = session.execute(
        select(
            daily_totals.c.day,
            daily_totals.c.earned_points,
            daily_totals.c.redeemed_points,
            daily_totals.c.expired_points,
        ).where(daily_totals.c.shop_id == shop_id, daily_totals.c.day >= first, daily_totals.c.day <= last)
    ).tuples()
    return {day: (earned, redeemed, expired) for day, earned, redeemed, expired in found}
