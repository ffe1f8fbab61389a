"""the overview's average rating: the ratings of the reviews submitted each
UTC day, summed in the daily roll-ups, filled from the reviews already there

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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
        batch.add_column(sa.Column("review_rating_sum", sa.BigInteger(), nullable=False, server_default="0"))
    day = _utc_day("occurred_at")
    # Every day with reviews has its row already (0005 and every submission
    # since); the upsert only sets the new column. `WHERE 1 = 1`: SQLite's
    # reading of INSERT … SELECT … ON CONFLICT needs one.
    op.execute(
        f"""
        INSERT INTO daily_totals (shop_id, day, review_pending, review_approved, review_rejected,
            review_points, google_review_pending, google_review_approved, google_review_rejected,
            google_review_points, review_rating_sum)
        SELECT shop_id, {day}, 0, 0, 0, 0, 0, 0, 0, 0, SUM(rating)
        FROM reviews
        WHERE 1 = 1
        GROUP BY shop_id, {day}
        ON CONFLICT (shop_id, day) DO UPDATE SET review_rating_sum = excluded.review_rating_sum
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("daily_totals") as batch:
        batch.drop_column("review_rating_sum")
