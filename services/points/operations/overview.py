"""The overview's points section: totals and a per-day series for a range
of days from the daily roll-ups (never the ledger), and the range's five
newest ledger rows."""

from services.points import repository
from services.points.operations.views import activity_of
from services.points.schemas import ActivitiesQuery, OverviewQuery, PointsOverview
from shared.db import UnitOfWork

RECENT_ROWS = 5


def points_overview(uow: UnitOfWork, query: OverviewQuery) -> PointsOverview:
    sums = repository.daily_totals.totals_through(uow.session, query.shop_id, query.first, query.last)
    by_day = repository.daily_totals.series_between(uow.session, query.shop_id, query.first, query.last)
    no_points = (0, 0, 0)
    from_, to = query.window()
    newest = ActivitiesQuery.model_validate(
        {"shop_id": query.shop_id, "from": from_, "to": to, "limit": RECENT_ROWS}
    )
    recent = repository.ledger.activities_page(uow.session, newest)
    # Validated as a whole (one pass of pydantic's core over a year of days,
    # not a model built per day). The ledger's debits are negative; the
    # overview names amounts.
    return PointsOverview.model_validate(
        {
            "totals": {
                "points_earned": sums.earned_points,
                "points_redeemed": -sums.redeemed_points,
                "points_refunded": -sums.refunded_points,
                "points_expired": -sums.expired_points,
                "points_adjusted": sums.adjusted_points,
                "active_members": sums.active_members,
                "new_members": sums.new_members,
                "outstanding_points": sums.outstanding_points,
            },
            "series": [
                {"date": day, "earned": earned, "redeemed": -redeemed, "expired": -expired}
                for day in query.days()
                for earned, redeemed, expired in (by_day.get(day, no_points),)
            ],
            "recent": [activity_of(row) for row in recent["items"]],
        }
    )
