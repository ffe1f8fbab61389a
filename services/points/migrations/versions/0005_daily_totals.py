"""the overview's per-shop daily roll-ups, filled from the ledger, the
members and the audit trail already there

Each UTC day of a shop's activity gets one row: the ledger's points summed
per type, members who joined, and exclusions less re-inclusions. From then
on every change adds to its day's row in its own transaction.

Revision ID: 0005_daily_totals
Revises: 0004_64bit_points
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_daily_totals"
down_revision = "0004_64bit_points"
branch_labels = None
depends_on = None

TYPES = ("earned", "redeemed", "refunded", "expired", "adjusted")


def _utc_day(column: str) -> str:
    # SQLite keeps UTC times as text; PostgreSQL's date() would follow the
    # session's time zone.
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"DATE({column})"


def upgrade() -> None:
    op.create_table(
        "daily_totals",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(f"{kind}_points", sa.BigInteger(), nullable=False) for kind in TYPES),
        sa.Column("new_members", sa.BigInteger(), nullable=False),
        sa.Column("excluded_members", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "day", name=op.f("pk_daily_totals")),
    )
    per_type = ", ".join(
        f"CASE WHEN type = '{kind}' THEN points ELSE 0 END AS {kind}_points" for kind in TYPES
    )
    no_points = ", ".join(f"0 AS {kind}_points" for kind in TYPES)
    sums = ", ".join(f"SUM({kind}_points)" for kind in TYPES)
    op.execute(
        f"""
        INSERT INTO daily_totals (shop_id, day, {", ".join(f"{kind}_points" for kind in TYPES)},
                                  new_members, excluded_members)
        SELECT shop_id, day, {sums}, SUM(new_members), SUM(excluded_members)
        FROM (
            SELECT shop_id, {_utc_day("occurred_at")} AS day, {per_type},
                   0 AS new_members, 0 AS excluded_members
            FROM point_activities
            UNION ALL
            SELECT shop_id, {_utc_day("created_at")}, {no_points}, 1, 0
            FROM members
            UNION ALL
            SELECT shop_id, {_utc_day("occurred_at")}, {no_points}, 0,
                   CASE WHEN action = 'customer_excluded' THEN 1 ELSE -1 END
            FROM audit_log
            WHERE action IN ('customer_excluded', 'customer_included')
        ) AS changes
        GROUP BY shop_id, day
        """
    )


def downgrade() -> None:
    op.drop_table("daily_totals")
