"""The benchmark's data (bench): a ledger the service could
have written itself, which the feed pages through newest first. Timings are
the benchmark's business; nothing here measures one."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bench import seed, seed_items
from services.points.repository.daily_totals import totals_through
from services.points.repository.ledger import activities_page
from services.points.schemas import ActivitiesQuery
from services.referrals import repository as referrals_repository
from services.reviews import repository as reviews_repository
from shared.db import make_engine

SHOP = "shp_bench"


@pytest.fixture
def bench_db(database_url_factory):
    url = database_url_factory("bench")
    if not url.startswith("postgresql"):
        pytest.skip("the benchmark seeds PostgreSQL with COPY: run with LOYALTY_TEST_DB=postgresql")
    seed.migrate(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def test_seeds_the_requested_members_and_activities_with_consistent_ledgers(bench_db):
    url, engine = bench_db
    seeded = seed.seed(url, SHOP, members=300, activities=3000)

    assert (seeded.members, seeded.activities) == (300, 3000)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM members WHERE shop_id = :shop"), {"shop": SHOP}).scalar()
            == 300
        )
        assert (
            conn.execute(text("SELECT email FROM members ORDER BY customer_id LIMIT 1")).scalar()
            == "customer00001@example.com"
        )
        # Members whose totals disagree with their own ledger: the balance is
        # the sum of the points and the last row's balance_after, lifetime
        # redeemed the points spent on rewards.
        inconsistent = conn.execute(
            text("""
            SELECT count(*) FROM members m
            LEFT JOIN LATERAL (
                SELECT coalesce(sum(a.points), 0) AS total,
                       coalesce(-sum(a.points) FILTER (WHERE a.type = 'redeemed'), 0) AS spent
                  FROM point_activities a
                 WHERE a.shop_id = m.shop_id AND a.customer_id = m.customer_id) ledger ON true
            LEFT JOIN LATERAL (
                SELECT a.balance_after FROM point_activities a
                 WHERE a.shop_id = m.shop_id AND a.customer_id = m.customer_id
                 ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1) latest ON true
            WHERE m.balance <> ledger.total OR m.lifetime_redeemed <> ledger.spent
               OR m.balance <> coalesce(latest.balance_after, 0)""")
        ).scalar()
        assert inconsistent == 0


def test_the_feed_pages_through_every_seeded_activity_newest_first(bench_db):
    url, engine = bench_db
    seeded = seed.seed(url, SHOP, members=100, activities=1000)
    start, end = seed.history_window(seeded.now)

    seen, cursor = [], None
    with Session(engine) as session:
        while True:
            page = activities_page(
                session,
                ActivitiesQuery.model_validate(
                    {"shop_id": SHOP, "from": start, "to": end, "cursor": cursor, "limit": 200}
                ),
            )
            seen += [(row.occurred_at, row.id) for row in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

    assert len(seen) == len(set(seen)) == 1000
    assert seen == sorted(seen, reverse=True)


def test_the_overview_roll_ups_add_up_to_the_seeded_rows_of_every_service(database_url_factory):
    urls = {
        service: database_url_factory(f"bench_{service}") for service in ("points", "referrals", "reviews")
    }
    if not urls["points"].startswith("postgresql"):
        pytest.skip("the benchmark seeds PostgreSQL with COPY: run with LOYALTY_TEST_DB=postgresql")
    for service, url in urls.items():
        seed.migrate(url, service)
    seeded = seed.seed(urls["points"], SHOP, members=200, activities=2000)
    members = seed_items.members_of(urls["points"], SHOP)
    seed_items.seed_referrals(urls["referrals"], SHOP, members, 500, seeded.now)
    seed_items.seed_reviews(urls["reviews"], SHOP, members, 400, 100, seeded.now)
    engines = {service: make_engine(url) for service, url in urls.items()}
    first, last = date(2000, 1, 1), seeded.now.date() + timedelta(days=1)
    try:
        with Session(engines["points"]) as session:
            standing = totals_through(session, SHOP, first, last)
            ledger = session.execute(
                text(
                    "SELECT sum(points) FILTER (WHERE type = 'earned'), sum(points),"
                    " (SELECT count(*) FROM members WHERE status = 'active') FROM point_activities"
                )
            ).one()
        assert standing.earned_points == ledger[0]
        assert standing.outstanding_points == ledger[1]
        assert standing.active_members == ledger[2] < 200

        with Session(engines["referrals"]) as session:
            totals = referrals_repository.totals_between(session, SHOP, first, last)
            counted: dict[str, int] = dict(
                session.execute(text("SELECT status, count(*) FROM referrals GROUP BY status")).tuples().all()
            )
            named = session.execute(
                text("SELECT count(*) FROM referrals JOIN customers ON customer_id = referrer_customer_id")
            ).scalar()
        assert (totals.pending, totals.completed, totals.cancelled) == (
            counted["pending"],
            counted["completed"],
            counted["cancelled"],
        )
        assert totals.reward_points == counted["completed"] * seed_items.REFERRAL_REWARD
        assert named == 500

        with Session(engines["reviews"]) as session:
            sums = reviews_repository.totals_between(session, SHOP, first, last)
            counted = dict(
                session.execute(text("SELECT status, count(*) FROM reviews GROUP BY status")).tuples().all()
            )
            ratings = session.execute(text("SELECT sum(rating) FROM reviews")).scalar_one()
        assert sums.review_rating_sum == ratings > 0  # the overview's average rating
        assert (sums.review_pending, sums.review_approved, sums.review_rejected) == (
            counted["pending"],
            counted["approved"],
            counted.get("rejected", 0),
        )
        assert sums.google_review_pending + sums.google_review_approved + sums.google_review_rejected == 100
    finally:
        for engine in engines.values():
            engine.dispose()
