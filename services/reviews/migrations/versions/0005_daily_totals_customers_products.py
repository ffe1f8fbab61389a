"""the overview's per-shop daily roll-ups, filled from the reviews and
Google-review submissions already there, and the copies of the shop's
customers and products that name them

Each UTC day items were submitted on gets one row: how many of them are
pending, approved and rejected, and the points they earned, per kind. The
copies fill from the next customer and order events.

Revision ID: 0005
Revises: 0004_google_review_url_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_google_review_url_key"
branch_labels = None
depends_on = None

KINDS = {"review": "reviews", "google_review": "google_review_submissions"}
COUNTS = ("pending", "approved", "rejected", "points")


def _utc_day(column: str) -> str:
    # SQLite keeps UTC times as text; PostgreSQL's date() would follow the
    # session's time zone.
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"DATE({column})"


def _per_day(kind: str, table: str) -> str:
    """One kind's items as rows of the roll-up's columns (the other kind's at 0)."""
    points = "COALESCE(reward_points, 0)" + (" + COALESCE(photo_bonus_points, 0)" if kind == "review" else "")
    columns = []
    for other in KINDS:
        for count in COUNTS:
            if other != kind:
                value = "0"
            elif count == "points":
                value = points
            else:
                value = f"CASE WHEN status = '{count}' THEN 1 ELSE 0 END"
            columns.append(f"{value} AS {other}_{count}")
    return f"SELECT shop_id, {_utc_day('occurred_at')} AS day, {', '.join(columns)} FROM {table}"


def upgrade() -> None:
    op.create_table(
        "daily_totals",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(
            sa.Column(f"{kind}_{count}", sa.BigInteger(), nullable=False)
            for kind in KINDS
            for count in COUNTS
        ),
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
    op.create_table(
        "products",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(255)),
        sa.PrimaryKeyConstraint("shop_id", "product_id", name=op.f("pk_products")),
    )
    names = [f"{kind}_{count}" for kind in KINDS for count in COUNTS]
    op.execute(
        f"""
        INSERT INTO daily_totals (shop_id, day, {", ".join(names)})
        SELECT shop_id, day, {", ".join(f"SUM({name})" for name in names)}
        FROM ({" UNION ALL ".join(_per_day(kind, table) for kind, table in KINDS.items())}) AS items
        GROUP BY shop_id, day
        """
    )


def downgrade() -> None:
    op.drop_table("products")
    op.drop_table("customers")
    op.drop_table("daily_totals")
