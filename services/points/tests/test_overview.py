"""The overview's points section against the feeds: over days of orders,
refunds, redemptions, adjustments, reversals, exclusions and expiry, the
totals and the per-day series for any range of whole days equal what the
point feed lists for that range, and the standing at its end equals the
members' balances and statuses."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from services.points.operations import commands, ledger, overview, views
from services.points.schemas import ActivitiesQuery, Activity, CustomersQuery, OverviewQuery, StatusChange
from services.points.tests.test_ledger import T0, Points
from shared.clock import FrozenClock


def overview_of(points: Points, first: date, last: date):
    return points(overview.points_overview, OverviewQuery(shop_id=points.shop_id, from_=first, to=last))


def feed_rows(points: Points, first: date, last: date) -> list:
    """Every row the point feed lists for the range's window, page by page."""
    from_, to = OverviewQuery(shop_id=points.shop_id, from_=first, to=last).window()
    rows, cursor = [], None
    while True:
        page = points(
            views.list_activities,
            ActivitiesQuery(shop_id=points.shop_id, from_=from_, to=to, cursor=cursor, limit=7),
        )
        rows += [Activity.model_validate(dict(zip(page.columns, row, strict=True))) for row in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return rows


def members(points: Points) -> list:
    found, cursor = [], None
    while True:
        page = points(views.list_customers, CustomersQuery(shop_id=points.shop_id, cursor=cursor, limit=50))
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def sum_of(rows, activity_type: str) -> int:
    return sum(row.points for row in rows if row.type == activity_type)


def a_month_of_activity(points: Points, clock: FrozenClock) -> None:
    """Three members over three weeks: every kind of ledger entry, some
    days with nothing, and an exclusion."""
    points.program(expiry_days=10, pending_days=0)
    reward = points.reward(points_cost=50)
    for customer_id in ("c1", "c2", "c3"):
        points.join(customer_id, first_name="Ann", last_name=customer_id.upper())
    points.order("1001", "120.00", customer_id="c1")
    points.order("1002", "80.00", customer_id="c2")
    clock.advance(days=1)
    points.refund("1001", "r1", "20.00")
    points.redeem(reward.id, customer_id="c2")
    clock.advance(days=2, hours=5)
    points.order("1003", "60.00", customer_id="c3")
    order_activity = points.customer("c3").recent_activities[0]
    points.reverse(order_activity.id)
    points.adjust(-15, "damaged goods", customer_id="c1")
    points.adjust(40, "goodwill", customer_id="c3")
    clock.advance(days=4)
    points.order("1004", "200.00", customer_id="c2")
    clock.advance(days=10)  # the first lots are past their 10 days
    assert ledger.expire_points(points.unit_of_work) >= 2
    clock.advance(days=1)
    points(commands.set_exclusion, StatusChange(shop_id=points.shop_id, customer_id="c1", actor="a"), True)
    points.adjust(25, "late bonus", customer_id="c2")


def test_totals_and_series_equal_the_feed_for_every_range(points, clock):
    a_month_of_activity(points, clock)
    start, end = T0.date(), clock.now().date()
    ranges = [(start, end), (start, start), (start + timedelta(days=1), start + timedelta(days=3))]
    ranges += [(start + timedelta(days=4), end), (end + timedelta(days=1), end + timedelta(days=5))]
    for first, last in ranges:
        answer = overview_of(points, first, last)
        rows = feed_rows(points, first, last)
        totals = answer.totals
        assert totals.points_earned == sum_of(rows, "earned")
        assert totals.points_redeemed == -sum_of(rows, "redeemed")
        assert totals.points_refunded == -sum_of(rows, "refunded")
        assert totals.points_expired == -sum_of(rows, "expired")
        assert totals.points_adjusted == sum_of(rows, "adjusted")
        assert [point.date for point in answer.series] == [
            first + timedelta(days=n) for n in range((last - first).days + 1)
        ]
        for point in answer.series:
            on_day = [row for row in rows if row.occurred_at.date() == point.date]
            assert (point.earned, point.redeemed, point.expired) == (
                sum_of(on_day, "earned"),
                -sum_of(on_day, "redeemed"),
                -sum_of(on_day, "expired"),
            )
        assert [row.id for row in answer.recent] == [row.id for row in rows[:5]]
        joined = [m for m in members(points) if first <= m.member_since.date() <= last]
        assert totals.new_members == len(joined)
        # What stood at the end of the range: everything up to its last day.
        everything_before = feed_rows(points, start - timedelta(days=1), last)
        assert totals.outstanding_points == sum(row.points for row in everything_before)

    whole = overview_of(points, start, end).totals
    assert min(whole.points_expired, whole.points_refunded, whole.points_redeemed) > 0
    everyone = members(points)
    assert whole.outstanding_points == sum(m.balance for m in everyone)
    assert whole.active_members == len([m for m in everyone if m.status == "active"]) == 2
    assert overview_of(points, start, end - timedelta(days=1)).totals.active_members == 3


def test_feed_rows_name_the_member_by_email_and_name(points):
    points.join("c9", email="zoe@example.com", first_name="Zoe", last_name="Park")
    points.adjust(10, customer_id="c9")
    [row] = feed_rows(points, T0.date(), T0.date())
    assert (row.customer_email, row.customer_name) == ("zoe@example.com", "Zoe Park")


def test_concurrent_changes_of_one_day_all_count(points):
    """Members' changes run in parallel (each under its own member's lock)
    and all add to the one roll-up row of the day: none is lost."""
    customers = [f"c{n}" for n in range(8)]
    for customer_id in customers:
        points.join(customer_id)

    def adjust_many(customer_id: str) -> None:
        for n in range(10):
            points.adjust(n + 1, f"bonus {n}", customer_id=customer_id)

    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        list(pool.map(adjust_many, customers))

    totals = overview_of(points, T0.date(), T0.date()).totals
    assert totals.points_adjusted == len(customers) * sum(range(1, 11))
    assert totals.new_members == len(customers)
    assert totals.points_adjusted == sum(row.points for row in feed_rows(points, T0.date(), T0.date()))
