"""a shop's currency (ISO 4217), USD for the shops already there

Revision ID: 0004_shop_currency
Revises: 0003_refused_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_shop_currency"
down_revision = "0003_refused_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("currency", sa.String(3), nullable=False, server_default="USD"))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("currency")
