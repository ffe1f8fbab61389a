"""Upgrading a points database that already holds members and a ledger: the
balances earned before lots existed become lots, so balance = sum of the
lots holds from the first minute, and existing members can be searched by
name."""
from datetime import datetime, timezone

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.points.repository import program_settings_of
from services.points.service import MIGRATIONS
from shared.db import make_engine
from shared.migrations import _MIGRATING, alembic_config

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)


def test_existing_balances_become_lots_and_names_become_searchable(database_url_factory):
    url = database_url_factory("points")
    with _MIGRATING:
        command.upgrade(alembic_config(MIGRATIONS, url), "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        for customer_id, balance, first, last in [("c1", 120, "Ann", "Lee"), ("c2", 0, None, None)]:
            conn.execute(text(
                "INSERT INTO members (shop_id, customer_id, first_name, last_name, status, balance, "
                "lifetime_earned, lifetime_redeemed, created_at) "
                "VALUES ('s1', :c, :f, :l, 'active', :b, :b, 0, :t)"),
                {"c": customer_id, "f": first, "l": last, "b": balance, "t": T0})
        conn.execute(text(
            "INSERT INTO point_activities (shop_id, customer_id, type, action, points, balance_after, "
            "uncollected_points, actor, occurred_at) "
            "VALUES ('s1', 'c1', 'earned', 'Placed order #1', 120, 120, 0, 'system', :t)"), {"t": T0})
        conn.execute(text(
            "INSERT INTO program_settings (shop_id, points_per_currency_unit, signup_points, review_points, "
            "google_review_points, referrer_reward_points, referee_coupon_type, referee_coupon_value, "
            "updated_at) VALUES ('s1', 2, 10, 50, 100, 500, 'fixed', 5, :t)"), {"t": T0})

    with _MIGRATING:
        command.upgrade(alembic_config(MIGRATIONS, url), "head")

    with engine.connect() as conn:
        lots = conn.execute(text("SELECT customer_id, points, remaining FROM point_lots")).all()
        names = conn.execute(text("SELECT customer_id, name_lower FROM members ORDER BY customer_id")).all()
    with engine.connect() as conn:
        rules = program_settings_of(Session(conn), "s1")
    engine.dispose()
    assert [tuple(lot) for lot in lots] == [("c1", 120, 120)]
    assert [tuple(name) for name in names] == [("c1", "ann lee"), ("c2", None)]
    # A shop's rules are kept; the new ones start at their defaults.
    assert (rules.points_per_currency_unit, rules.signup_points) == (2, 10)
    assert (rules.rounding, rules.pending_days, rules.expiry_days, rules.vip_tiers) == ("floor", 0, None, ())
