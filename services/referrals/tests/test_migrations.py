"""Upgrading a referrals database that already holds referrals: the
overview's daily roll-ups start from them, and the referrers' emails from
their links."""

from datetime import UTC, datetime

from sqlalchemy import text

from services.referrals.service import MIGRATIONS
from shared.db import make_engine
from tests.support import migrate


def test_the_overview_roll_ups_start_from_the_referrals_already_there(database_url_factory):
    url = database_url_factory("referrals")
    migrate(MIGRATIONS, url, "0003")
    engine = make_engine(url)
    late_evening = datetime(2026, 1, 5, 23, 59, 59, 999999, tzinfo=UTC)
    next_day = datetime(2026, 1, 6, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO referral_links (shop_id, code, customer_id, customer_email, clicks, created_at) "
                "VALUES ('s1', 'ABC', 'c1', 'ann@example.com', 0, :t)"
            ),
            {"t": late_evening},
        )
        for referral_id, status, points, at in [
            ("f1", "completed", 500, late_evening),
            ("f2", "cancelled", None, late_evening),
            ("f3", "pending", None, next_day),
        ]:
            conn.execute(
                text(
                    "INSERT INTO referrals (id, shop_id, code, referrer_customer_id, referee_email, "
                    "referee_email_key, status, discount_code, email_entered_at, coupon_issued_at, "
                    "referrer_reward_points, occurred_at) "
                    "VALUES (:id, 's1', 'ABC', 'c1', :e, :e, :s, :id, :t, :t, :p, :t)"
                ),
                {"id": referral_id, "e": f"{referral_id}@example.com", "s": status, "p": points, "t": at},
            )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT day, pending, completed, cancelled, reward_points FROM daily_totals "
                "WHERE shop_id = 's1' ORDER BY day"
            )
        ).all()
        known = conn.execute(text("SELECT customer_id, email FROM customers")).all()
    engine.dispose()
    assert [(str(day), *counts) for day, *counts in rows] == [
        ("2026-01-05", 0, 1, 1, 500),
        ("2026-01-06", 1, 0, 0, 0),
    ]
    assert [tuple(row) for row in known] == [("c1", "ann@example.com")]


def test_the_link_clicks_already_recorded_roll_up_by_day(database_url_factory):
    url = database_url_factory("referrals")
    migrate(MIGRATIONS, url, "0005")
    engine = make_engine(url)
    claimed_day = datetime(2026, 1, 5, 23, 59, tzinfo=UTC)
    click_only_day = datetime(2026, 1, 7, 0, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO referrals (id, shop_id, code, referrer_customer_id, referee_email, "
                "referee_email_key, status, discount_code, email_entered_at, coupon_issued_at, "
                "occurred_at) VALUES ('f1', 's1', 'ABC', 'c1', 'f@example.com', 'f@example.com', "
                "'pending', 'W1', :t, :t, :t)"
            ),
            {"t": claimed_day},
        )
        conn.execute(
            text(
                "INSERT INTO daily_totals (shop_id, day, pending, completed, cancelled, reward_points) "
                "VALUES ('s1', '2026-01-05', 1, 0, 0, 0)"
            )
        )
        for shop_id, when in [
            ("s1", claimed_day),
            ("s1", claimed_day),
            ("s1", click_only_day),
            ("s2", claimed_day),
        ]:
            conn.execute(
                text("INSERT INTO link_clicks (shop_id, code, occurred_at) VALUES (:s, 'ABC', :t)"),
                {"s": shop_id, "t": when},
            )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT shop_id, day, pending, link_clicks FROM daily_totals ORDER BY shop_id, day")
        ).all()
    engine.dispose()
    assert [(shop_id, str(day), pending, clicks) for shop_id, day, pending, clicks in rows] == [
        ("s1", "2026-01-05", 1, 2),
        ("s1", "2026-01-07", 0, 1),
        ("s2", "2026-01-05", 0, 1),
    ]
