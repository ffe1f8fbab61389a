"""The overview's points section: totals and a per-day series for a range
of days from the daily roll-ups (never the ledger), and the range's five
newest ledger rows."""

from services.points import repository
from services.points.operations.views import activity_of
from services.points.schemas import ActivitiesQuery, DayPoints, OverviewQuery, PointsOverview, PointTotals
from shared.db import UnitOfWork

RECENT_ROWS = 5


def points_overview(uow: UnitOfWork, query: OverviewQuery) -> PointsOverview:
    found = repository.daily_totals.days_between(uow.session, query.shop_id, query.first, query.last)
    by_day = {row.day: row for row in found}
    rows = by_day.values()
    standing = repository.daily_totals.standing_on(uow.session, query.shop_id, query.last)
    totals = PointTotals(
        # The ledger's debits are negative; the overview names amounts.
        points_earned=sum(row.earned_points for row in rows),
        points_redeemed=-sum(row.redeemed_points for row in rows),
        points_refunded=-sum(row.refunded_points for row in rows),
        points_expired=-sum(row.expired_points for row in rows),
        points_adjusted=sum(row.adjusted_points for row in rows),
        active_members=standing.active_members,
        new_members=sum(row.new_members for row in rows),
        outstanding_points=standing.outstanding_points,
    )
    series = [
        DayPoints(date=day, earned=0, redeemed=0, expired=0)
        if (row := by_day.get(day)) is None
        else DayPoints(
            date=day, earned=row.earned_points, redeemed=-row.redeemed_points, expired=-row.expired_points
        )
        for day in query.days()
    ]
    from_, to = query.window()
    newest = ActivitiesQuery.model_validate(
        {"shop_id": query.shop_id, "from": from_, "to": to, "limit": RECENT_ROWS}
    )
    recent = repository.ledger.activities_page(uow.session, newest)
    return PointsOverview(totals=totals, series=series, recent=[activity_of(row) for row in recent["items"]])
