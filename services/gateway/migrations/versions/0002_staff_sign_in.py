"""per-person admin API keys (named, revocable), dashboard sign-in sessions,
and webhook secret rotation with a grace period

Existing keys keep working: each becomes a live key named after its old
label ("admin" for every shop created so far).

Revision ID: 0002_staff_sign_in
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db import BigId, UTCDateTime

revision = "0002_staff_sign_in"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "revoked_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("previous_webhook_secret_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True))

    op.drop_index(op.f("ix_api_keys_shop_id"), table_name="api_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column(
            "label", new_column_name="name", existing_type=sa.String(64), existing_nullable=False
        )
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
    op.create_index(op.f("ix_api_keys_shop_id_id"), "api_keys", ["shop_id", "id"])
    op.create_index(
        "uq_api_keys_shop_id_name_live",
        "api_keys",
        ["shop_id", "name"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )

    op.create_table(
        "admin_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("api_key_id", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_admin_sessions_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_admin_sessions_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_admin_sessions")),
    )
    op.create_index(op.f("ix_admin_sessions_last_seen_at"), "admin_sessions", ["last_seen_at"])
    op.create_index(op.f("ix_admin_sessions_api_key_id"), "admin_sessions", ["api_key_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_sessions_api_key_id"), table_name="admin_sessions")
    op.drop_index(op.f("ix_admin_sessions_last_seen_at"), table_name="admin_sessions")
    op.drop_table("admin_sessions")
    op.drop_index("uq_api_keys_shop_id_name_live", table_name="api_keys")
    op.drop_index(op.f("ix_api_keys_shop_id_id"), table_name="api_keys")
    # Without revoked_at a revoked key would work again.
    op.execute("DELETE FROM api_keys WHERE revoked_at IS NOT NULL")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_at")
        batch.alter_column(
            "name", new_column_name="label", existing_type=sa.String(64), existing_nullable=False
        )
    op.create_index(op.f("ix_api_keys_shop_id"), "api_keys", ["shop_id"])
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_webhook_secret_encrypted")
