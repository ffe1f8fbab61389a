"""a customer's referrals, as referrer and as referee, newest first

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_referrals_shop_id_referrer_customer_id_occurred_at_id"),
        "referrals",
        ["shop_id", "referrer_customer_id", "occurred_at", "id"],
    )
    op.create_index(
        op.f("ix_referrals_shop_id_referee_customer_id_occurred_at_id"),
        "referrals",
        ["shop_id", "referee_customer_id", "occurred_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_referrals_shop_id_referee_customer_id_occurred_at_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_shop_id_referrer_customer_id_occurred_at_id"), table_name="referrals")
