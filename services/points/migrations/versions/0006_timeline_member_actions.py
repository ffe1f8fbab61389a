"""the merged timeline's admin items: an index on the audit trail's actions
on members (exclusion, re-inclusion, profile edit), newest first per shop

Revision ID: 0006_timeline_member_actions
Revises: 0005_daily_totals
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_timeline_member_actions"
down_revision = "0005_daily_totals"
branch_labels = None
depends_on = None

MEMBER_ACTIONS = sa.text("action IN ('customer_excluded', 'customer_included', 'customer_updated')")


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_shop_id_occurred_at_id_member_actions",
        "audit_log",
        ["shop_id", "occurred_at", "id"],
        postgresql_where=MEMBER_ACTIONS,
        sqlite_where=MEMBER_ACTIONS,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_shop_id_occurred_at_id_member_actions", table_name="audit_log")
