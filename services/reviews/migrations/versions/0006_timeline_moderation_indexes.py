"""the merged timeline's moderations of reviews and Google reviews, newest
first per shop

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("reviews", "google_review_submissions")
MODERATED = sa.text("moderated_at IS NOT NULL")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            op.f(f"ix_{table}_shop_id_moderated_at_id"),
            table,
            ["shop_id", "moderated_at", "id"],
            postgresql_where=MODERATED,
            sqlite_where=MODERATED,
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_shop_id_moderated_at_id"), table_name=table)
