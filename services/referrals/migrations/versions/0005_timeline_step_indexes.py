"""the merged timeline's referral completions and cancellations, newest
first per shop

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STEPS = ("completed_at", "cancelled_at")


def upgrade() -> None:
    for column in STEPS:
        reached = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            op.f(f"ix_referrals_shop_id_{column}_id"),
            "referrals",
            ["shop_id", column, "id"],
            postgresql_where=reached,
            sqlite_where=reached,
        )


def downgrade() -> None:
    for column in STEPS:
        op.drop_index(op.f(f"ix_referrals_shop_id_{column}_id"), table_name="referrals")
