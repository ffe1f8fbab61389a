"""the overview's link clicks: a count per UTC day in the daily roll-ups,
filled from the clicks already recorded

A day with clicks but no claim gets its row here.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _utc_day(column: str) -> str:
    # SQLite keeps UTC times as text; PostgreSQL's date() would follow the
    # session's time zone.
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"DATE({column})"


def upgrade() -> None:
    with op.batch_alter_table("daily_totals") as batch:
        batch.add_column(sa.Column("link_clicks", sa.BigInteger(), nullable=False, server_default="0"))
    day = _utc_day("occurred_at")
    # `WHERE 1 = 1`: SQLite's reading of INSERT … SELECT … ON CONFLICT needs one.
    op.execute(
        f"""
        INSERT INTO daily_totals (shop_id, day, pending, completed, cancelled, reward_points, link_clicks)
        SELECT shop_id, {day}, 0, 0, 0, 0, COUNT(*)
        FROM link_clicks
        WHERE 1 = 1
        GROUP BY shop_id, {day}
        ON CONFLICT (shop_id, day) DO UPDATE SET link_clicks = excluded.link_clicks
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("daily_totals") as batch:
        batch.drop_column("link_clicks")
