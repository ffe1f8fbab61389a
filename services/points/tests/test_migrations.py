"""Upgrading a points database that already holds members and a ledger: the
balances earned before lots existed become lots, so balance = sum of the
lots holds from the first minute, and existing members can be searched by
name; the program rules, a column each, become one document."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import JSON, Integer, Numeric, String, column, insert, inspect, select, table, text
from sqlalchemy.orm import Session

from services.points.repository.program import program_settings_of
from services.points.service import MIGRATIONS
from shared.db import make_engine
from tests.support import migrate

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_existing_balances_become_lots_and_names_become_searchable(database_url_factory):
    url = database_url_factory("points")
    migrate(MIGRATIONS, url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        for customer_id, balance, first, last in [("c1", 120, "Ann", "Lee"), ("c2", 0, None, None)]:
            conn.execute(
                text(
                    "INSERT INTO members (shop_id, customer_id, first_name, last_name, status, balance, "
                    "lifetime_earned, lifetime_redeemed, created_at) "
                    "VALUES ('s1', :c, :f, :l, 'active', :b, :b, 0, :t)"
                ),
                {"c": customer_id, "f": first, "l": last, "b": balance, "t": T0},
            )
        conn.execute(
            text(
                "INSERT INTO point_activities (shop_id, customer_id, type, action, points, balance_after, "
                "uncollected_points, actor, occurred_at) "
                "VALUES ('s1', 'c1', 'earned', 'Placed order #1', 120, 120, 0, 'system', :t)"
            ),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO program_settings (shop_id, points_per_currency_unit, signup_points, "
                "review_points, google_review_points, referrer_reward_points, referee_coupon_type, "
                "referee_coupon_value, "
                "updated_at) VALUES ('s1', 2, 10, 50, 100, 500, 'fixed', 5, :t)"
            ),
            {"t": T0},
        )

    migrate(MIGRATIONS, url, "head")

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
    assert (rules.rounding, rules.pending_days, rules.expiry_days, rules.vip_tiers) == ("floor", 0, None, [])


RULE_COLUMNS = {  # the rules as 0002 left them, with a shop's own values
    "points_per_currency_unit": (Numeric(12, 4), Decimal("1.5")),
    "rounding": (String(), "ceil"),
    "pending_days": (Integer(), 14),
    "expiry_days": (Integer(), 365),
    "signup_points": (Integer(), 10),
    "birthday_points": (Integer(), 20),
    "review_points": (Integer(), 60),
    "photo_review_bonus_points": (Integer(), 5),
    "google_review_points": (Integer(), 0),
    "referrer_reward_points": (Integer(), 250),
    "referee_coupon_type": (String(), "percentage"),
    "referee_coupon_value": (Numeric(12, 2), Decimal("12.5")),
    "vip_tiers": (JSON(), [{"name": "Silver", "threshold": 100}, {"name": "Gold", "threshold": 1000}]),
}
rules_0002 = table(
    "program_settings",
    column("shop_id", String()),
    column("updated_at"),
    *(column(name, type_) for name, (type_, _) in RULE_COLUMNS.items()),
)


def test_the_program_rules_become_one_document_and_back(database_url_factory):
    url = database_url_factory("points")
    migrate(MIGRATIONS, url, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(rules_0002).values(
                shop_id="s1", updated_at=T0, **{name: value for name, (_, value) in RULE_COLUMNS.items()}
            )
        )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        document = program_settings_of(Session(conn), "s1").model_dump(mode="json")
        columns = {c["name"] for c in inspect(conn).get_columns("program_settings")}
    assert document == {
        "points_per_currency_unit": "1.5",
        "rounding": "ceil",
        "pending_days": 14,
        "expiry_days": 365,
        "signup_points": 10,
        "birthday_points": 20,
        "review_points": 60,
        "photo_review_bonus_points": 5,
        "google_review_points": 0,
        "referrer_reward_points": 250,
        "referee_coupon": {"type": "percentage", "value": "12.5"},
        "vip_tiers": [{"name": "Silver", "threshold": 100}, {"name": "Gold", "threshold": 1000}],
    }
    assert columns == {"shop_id", "rules", "updated_at"}

    migrate(MIGRATIONS, url, "0002", downgrade=True)
    with engine.connect() as conn:
        row = conn.execute(select(rules_0002)).mappings().one()
    engine.dispose()
    assert {name: row[name] for name in RULE_COLUMNS} == {
        name: value for name, (_, value) in RULE_COLUMNS.items()
    }


def test_existing_points_and_amounts_widen_to_64_bits_and_orders_keep_what_they_earned(database_url_factory):
    url = database_url_factory("points")
    migrate(MIGRATIONS, url, "0003")
    engine = make_engine(url)
    near_the_old_limit = 2**31 - 1
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (shop_id, customer_id, status, balance, lifetime_earned, "
                "lifetime_redeemed, created_at) VALUES ('s1', 'c1', 'active', :b, :b, 0, :t)"
            ),
            {"b": near_the_old_limit, "t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO order_awards (shop_id, order_id, order_name, customer_id, subtotal, rate, "
                "points, "
                "refunded_amount, refunded_points, created_at) "
                "VALUES ('s1', 'o1', '#1001', 'c1', 999999999999.99, 1, :b, 0, 0, :t)"
            ),
            {"b": near_the_old_limit, "t": T0},
        )

    migrate(MIGRATIONS, url, "head")
    with engine.begin() as conn:
        conn.execute(text("UPDATE members SET balance = balance + :more"), {"more": 2**40})
        conn.execute(
            text(
                "INSERT INTO order_awards (shop_id, order_id, order_name, customer_id, subtotal, rate, "
                "points, "
                "refunded_amount, refunded_points, created_at, no_points_reason) "
                "VALUES ('s1', 'o2', :name, 'c1', 1000000000000.125, 1000, :p, 0, 0, :t, 'test_order')"
            ),
            {"name": "#" + "9" * 64, "p": 10**15, "t": T0},
        )
        balance = conn.execute(text("SELECT balance FROM members")).scalar()
        awards = conn.execute(
            text("SELECT order_id, subtotal, points, no_points_reason FROM order_awards ORDER BY order_id")
        ).all()
    assert balance == near_the_old_limit + 2**40
    assert [(o, Decimal(str(s)), p, r) for o, s, p, r in awards] == [
        ("o1", Decimal("999999999999.99"), near_the_old_limit, None),
        ("o2", Decimal("1000000000000.125"), 10**15, "test_order"),
    ]

    # Down again once the values fit the old columns.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM order_awards WHERE order_id = 'o2'"))
        conn.execute(text("UPDATE members SET balance = 5"))
    migrate(MIGRATIONS, url, "0003", downgrade=True)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("order_awards")}
        kept = conn.execute(text("SELECT points FROM order_awards")).scalar()
    engine.dispose()
    assert "no_points_reason" not in columns
    assert kept == near_the_old_limit


def test_the_overview_roll_ups_start_from_the_ledger_members_and_exclusions_already_there(
    database_url_factory,
):
    url = database_url_factory("points")
    migrate(MIGRATIONS, url, "0004_64bit_points")
    engine = make_engine(url)
    late_evening = datetime(2026, 1, 5, 23, 59, 59, 999999, tzinfo=UTC)
    next_day = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for customer_id, joined in [("c1", late_evening), ("c2", next_day)]:
            conn.execute(
                text(
                    "INSERT INTO members (shop_id, customer_id, status, balance, lifetime_earned, "
                    "lifetime_redeemed, created_at) VALUES ('s1', :c, 'active', 0, 0, 0, :t)"
                ),
                {"c": customer_id, "t": joined},
            )
        for kind, points, at in [
            ("earned", 100, late_evening),
            ("redeemed", -40, next_day),
            ("adjusted", -5, next_day),
            ("earned", 7, next_day),
        ]:
            conn.execute(
                text(
                    "INSERT INTO point_activities (shop_id, customer_id, type, action, points, "
                    "balance_after, uncollected_points, actor, occurred_at) "
                    "VALUES ('s1', 'c1', :k, 'x', :p, 0, 0, 'system', :t)"
                ),
                {"k": kind, "p": points, "t": at},
            )
        conn.execute(
            text(
                "INSERT INTO audit_log (shop_id, customer_id, actor, action, occurred_at) "
                "VALUES ('s1', 'c2', 'admin', 'customer_excluded', :t)"
            ),
            {"t": next_day},
        )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT day, earned_points, redeemed_points, adjusted_points, new_members, "
                "excluded_members FROM daily_totals WHERE shop_id = 's1' ORDER BY day"
            )
        ).all()
    engine.dispose()
    assert [(str(day), *counts) for day, *counts in rows] == [
        ("2026-01-05", 100, 0, 0, 1, 0),
        ("2026-01-06", 7, -40, -5, 1, 1),
    ]


def test_existing_members_keep_the_tier_they_had_so_nobody_changes_tier_for_no_reason(database_url_factory):
    url = database_url_factory("points")
    migrate(MIGRATIONS, url, "0006_timeline_member_actions")
    engine = make_engine(url)
    tiers = [{"name": "Gold", "threshold": 1000}, {"name": "Silver", "threshold": 100}]
    with engine.begin() as conn:
        for shop_id, customer_id, lifetime, manual in [
            ("s1", "below", 99, None),
            ("s1", "silver", 100, None),
            ("s1", "gold", 5000, None),
            ("s1", "by-hand", 0, "Gold"),
            ("s2", "no-program", 5000, None),
        ]:
            conn.execute(
                text(
                    "INSERT INTO members (shop_id, customer_id, vip_tier, status, balance, lifetime_earned, "
                    "lifetime_redeemed, created_at) VALUES (:s, :c, :m, 'active', 0, :l, 0, :t)"
                ),
                {"s": shop_id, "c": customer_id, "m": manual, "l": lifetime, "t": T0},
            )
        conn.execute(
            insert(
                table("program_settings", column("shop_id"), column("rules", JSON()), column("updated_at"))
            ),
            {"shop_id": "s1", "rules": {"vip_tiers": tiers}, "updated_at": T0},
        )

    migrate(MIGRATIONS, url, "head")
    with engine.connect() as conn:
        current = dict(conn.execute(text("SELECT customer_id, current_tier FROM members")).all())
    assert current == {
        "below": None,
        "silver": "Silver",
        "gold": "Gold",
        "by-hand": "Gold",
        "no-program": None,
    }

    migrate(MIGRATIONS, url, "0006_timeline_member_actions", downgrade=True)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("members")}
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert "current_tier" not in columns
    assert "tier_changes" not in tables
