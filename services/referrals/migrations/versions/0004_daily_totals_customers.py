"""the overview's per-shop daily roll-ups, filled from the referrals
already there, and the copy of the shop's customers that names referrers

Each UTC day referrals were claimed on gets one row: how many of them are
pending, completed and cancelled, and what their referrers earned. The
customers copy starts from the referrers' emails on their links; names
arrive with the next customer or order event.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


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
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("completed", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.BigInteger(), nullable=False),
        sa.Column("reward_points", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "day", name=op.f("pk_daily_totals")),
    )
    op.create_table(
        "customers",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.PrimaryKeyConstraint("shop_id", "customer_id", name=op.f("pk_customers")),
    )
    day = _utc_day("occurred_at")
    op.execute(
        f"""
        INSERT INTO daily_totals (shop_id, day, pending, completed, cancelled, reward_points)
        SELECT shop_id, {day},
               SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END),
               COALESCE(SUM(referrer_reward_points), 0)
        FROM referrals
        GROUP BY shop_id, {day}
        """
    )
    op.execute(
        """
        INSERT INTO customers (shop_id, customer_id, email)
        SELECT shop_id, customer_id, customer_email FROM referral_links
        """
    )


def downgrade() -> None:
    op.drop_table("customers")
    op.drop_table("daily_totals")
