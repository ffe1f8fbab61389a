"""webhooks refused because they could never be applied, with the reason

Revision ID: 0003_refused_webhooks
Revises: 0002_staff_sign_in
"""

import sqlalchemy as sa
from alembic import op

from shared.db import BigId, UTCDateTime

revision = "0003_refused_webhooks"
down_revision = "0002_staff_sign_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refused_webhooks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("webhook_id", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_webhooks")),
        sa.UniqueConstraint("shop_id", "webhook_id", name=op.f("uq_refused_webhooks_shop_id_webhook_id")),
    )
    op.create_index(op.f("ix_refused_webhooks_shop_id_id"), "refused_webhooks", ["shop_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refused_webhooks_shop_id_id"), table_name="refused_webhooks")
    op.drop_table("refused_webhooks")
