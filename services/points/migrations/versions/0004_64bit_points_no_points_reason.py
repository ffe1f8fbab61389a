"""64-bit points and balances, amounts up to 10^12 with three decimals,
longer order names, and why an order earned nothing

PostgreSQL's INTEGER stops at 2,147,483,647 points and NUMERIC(14, 2) below
10^12: existing columns are widened in place, their data kept. SQLite's
INTEGER is 64-bit already and it enforces no length or precision, so there
only the new column is added.

Revision ID: 0004_64bit_points
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_64bit_points"
down_revision = "0003"
branch_labels = None
depends_on = None

POINT_COLUMNS = {
    "members": ("balance", "lifetime_earned", "lifetime_redeemed"),
    "point_activities": ("points", "balance_after", "uncollected_points"),
    "point_lots": ("points", "remaining"),
    "order_awards": ("points", "refunded_points"),
    "order_refunds": ("points",),
}
AMOUNT_COLUMNS = {"order_awards": ("subtotal", "refunded_amount"), "order_refunds": ("amount",)}


def _widen(points: sa.types.TypeEngine, amount: sa.types.TypeEngine, order_name: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in POINT_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=points, existing_nullable=False)
    for table, columns in AMOUNT_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=amount, existing_nullable=False)
    op.alter_column("order_awards", "order_name", type_=order_name, existing_nullable=True)


def upgrade() -> None:
    _widen(sa.BigInteger(), sa.Numeric(16, 3), sa.String(100))
    op.add_column("order_awards", sa.Column("no_points_reason", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_awards") as batch:  # SQLite rebuilds the table
        batch.drop_column("no_points_reason")
    _widen(sa.Integer(), sa.Numeric(14, 2), sa.String(64))
