"""balances imported from another app: the imports and their staged rows

Revision ID: 0008_point_imports
Revises: 0007_member_tiers
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0008_point_imports"
down_revision = "0007_member_tiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "point_imports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_failed", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_imports")),
        sa.UniqueConstraint("shop_id", "file_sha256", name=op.f("uq_point_imports_shop_id_file_sha256")),
    )
    op.create_index("ix_point_imports_shop_id_created_at", "point_imports", ["shop_id", "created_at"])
    op.create_index("ix_point_imports_status", "point_imports", ["status"])
    op.create_table(
        "point_import_rows",
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("first_name", sa.String(200), nullable=True),
        sa.Column("last_name", sa.String(200), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("vip_tier", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_point_import_rows")),
    )
    op.create_index(
        "ix_point_import_rows_import_id_state_line", "point_import_rows", ["import_id", "state", "line"]
    )


def downgrade() -> None:
    op.drop_table("point_import_rows")
    op.drop_table("point_imports")
