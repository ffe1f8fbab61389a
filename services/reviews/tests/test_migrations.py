"""Upgrading a reviews database that already holds Google-review
submissions: each gets its review's key, and a review one customer had
already submitted twice keeps its first submission keyed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.reviews.domain import review_url_key
from services.reviews.service import MIGRATIONS
from shared.db import make_engine
from tests.support import migrate

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_existing_submissions_get_their_review_key_and_the_rule_holds_from_then_on(database_url_factory):
    url = database_url_factory("reviews")
    migrate(MIGRATIONS, url, "0003")
    engine = make_engine(url)
    existing = [
        ("g1", "c1", "https://www.google.com/maps/reviews/abc"),
        ("g2", "c1", "http://WWW.google.com/maps/reviews/abc/?utm_source=mail"),  # the same, again
        ("g3", "c2", "https://www.google.com/maps/reviews/abc"),
    ]
    with engine.begin() as conn:
        for n, (submission_id, customer_id, review_url) in enumerate(existing):
            conn.execute(
                text(
                    "INSERT INTO google_review_submissions (id, shop_id, customer_id, review_url, status, "
                    "occurred_at) VALUES (:id, 's1', :c, :u, 'approved', :t)"
                ),
                {"id": submission_id, "c": customer_id, "u": review_url, "t": T0 + timedelta(minutes=n)},
            )

    migrate(MIGRATIONS, url, "head")

    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, review_url_key FROM google_review_submissions")).all())
    key = review_url_key("https://www.google.com/maps/reviews/abc")
    assert keys == {"g1": key, "g2": None, "g3": key}
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the unique index
        conn.execute(
            text(
                "INSERT INTO google_review_submissions (id, shop_id, customer_id, review_url, "
                "review_url_key, status, occurred_at) VALUES ('g4', 's1', 'c1', 'x', :k, 'pending', :t)"
            ),
            {"k": key, "t": T0},
        )

    migrate(MIGRATIONS, url, "0003", downgrade=True)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM google_review_submissions")).scalar()
    engine.dispose()
    assert left == 3


def test_the_overview_roll_ups_start_from_the_items_already_there(database_url_factory):
    url = database_url_factory("reviews")
    migrate(MIGRATIONS, url, "0004_google_review_url_key")
    engine = make_engine(url)
    late_evening = datetime(2026, 1, 5, 23, 59, 59, 999999, tzinfo=UTC)
    next_day = datetime(2026, 1, 6, tzinfo=UTC)
    with engine.begin() as conn:
        for review_id, status, points, bonus, at in [
            ("r1", "approved", 50, 25, late_evening),
            ("r2", "rejected", None, None, late_evening),
            ("r3", "pending", None, None, next_day),
        ]:
            conn.execute(
                text(
                    "INSERT INTO reviews (id, shop_id, customer_id, product_id, rating, title, body, "
                    "media_urls, status, reward_points, photo_bonus_points, occurred_at) "
                    "VALUES (:id, 's1', 'c1', 'p1', 5, '', '', '[]', :s, :p, :b, :t)"
                ),
                {"id": review_id, "s": status, "p": points, "b": bonus, "t": at},
            )
        conn.execute(
            text(
                "INSERT INTO google_review_submissions (id, shop_id, customer_id, review_url, "
                "review_url_key, status, reward_points, occurred_at) "
                "VALUES ('g1', 's1', 'c1', 'https://g.page/r/1', 'k1', 'approved', 100, :t)"
            ),
            {"t": next_day},
        )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT day, review_pending, review_approved, review_rejected, review_points, "
                "google_review_pending, google_review_approved, google_review_points "
                "FROM daily_totals WHERE shop_id = 's1' ORDER BY day"
            )
        ).all()
    engine.dispose()
    assert [(str(day), *counts) for day, *counts in rows] == [
        ("2026-01-05", 0, 1, 1, 75, 0, 0, 0),
        ("2026-01-06", 1, 0, 0, 0, 0, 1, 100),
    ]


def test_the_ratings_already_there_roll_up_by_day(database_url_factory):
    url = database_url_factory("reviews")
    migrate(MIGRATIONS, url, "0006")
    engine = make_engine(url)
    late_evening = datetime(2026, 1, 5, 23, 59, 59, tzinfo=UTC)
    next_day = datetime(2026, 1, 6, tzinfo=UTC)
    with engine.begin() as conn:
        for review_id, rating, at in [("r1", 5, late_evening), ("r2", 2, late_evening), ("r3", 4, next_day)]:
            conn.execute(
                text(
                    "INSERT INTO reviews (id, shop_id, customer_id, product_id, rating, title, body, "
                    "media_urls, status, occurred_at) "
                    "VALUES (:id, 's1', 'c1', 'p1', :r, '', '', '[]', 'pending', :t)"
                ),
                {"id": review_id, "r": rating, "t": at},
            )
        for day, pending in [("2026-01-05", 2), ("2026-01-06", 1)]:
            conn.execute(
                text(
                    "INSERT INTO daily_totals (shop_id, day, review_pending, review_approved, "
                    "review_rejected, review_points, google_review_pending, google_review_approved, "
                    "google_review_rejected, "
                    "google_review_points) VALUES ('s1', :d, :p, 0, 0, 0, 0, 0, 0, 0)"
                ),
                {"d": day, "p": pending},
            )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT day, review_pending, review_rating_sum FROM daily_totals "
                "WHERE shop_id = 's1' ORDER BY day"
            )
        ).all()
    engine.dispose()
    assert [(str(day), pending, stars) for day, pending, stars in rows] == [
        ("2026-01-05", 2, 7),
        ("2026-01-06", 1, 4),
    ]
