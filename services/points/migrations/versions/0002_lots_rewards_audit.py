"""point lots, pending and reversed entries, the full program rules, rewards,
idempotency keys and the audit trail

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db import BigId, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "point_lots",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("activity_id", BigId, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("earned_at", UTCDateTime(), nullable=False),
        sa.Column("available_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= points", name=op.f("ck_point_lots_remaining_within_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_lots")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_point_lots_activity_id")),
    )
    op.create_index(
        "ix_point_lots_shop_id_customer_id_earned_at_id",
        "point_lots",
        ["shop_id", "customer_id", "earned_at", "id"],
    )
    op.create_index(
        "ix_point_lots_expires_at_unspent",
        "point_lots",
        ["expires_at"],
        postgresql_where=sa.text("remaining > 0"),
        sqlite_where=sa.text("remaining > 0"),
    )
    # Balances earned before lots existed become one lot per member, so that
    # the lots' remainders add up to every balance from the start.
    op.execute("""
        INSERT INTO point_lots (shop_id, customer_id, activity_id, points, remaining, earned_at,
                                available_at)
        SELECT m.shop_id, m.customer_id,
               (SELECT max(a.id) FROM point_activities a
                 WHERE a.shop_id = m.shop_id AND a.customer_id = m.customer_id),
               m.balance, m.balance, m.created_at, m.created_at
          FROM members m WHERE m.balance > 0""")

    op.create_table(
        "rewards",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Numeric(12, 2), nullable=True),
        sa.Column("points_cost", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fixed_amount', 'percentage', 'free_shipping')", name=op.f("ck_rewards_kind")
        ),
        sa.CheckConstraint("points_cost > 0", name=op.f("ck_rewards_points_cost_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_index("ix_rewards_shop_id_id", "rewards", ["shop_id", "id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "key", name=op.f("pk_idempotency_keys")),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_shop_id_occurred_at_id", "audit_log", ["shop_id", "occurred_at", "id"])
    op.create_index(
        "ix_audit_log_shop_id_customer_id_occurred_at_id",
        "audit_log",
        ["shop_id", "customer_id", "occurred_at", "id"],
    )

    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("name_lower", sa.String(401), nullable=True))
        batch.add_column(sa.Column("birthday_key", sa.String(5), nullable=True))
    op.execute("""
        UPDATE members
           SET name_lower = lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')))
         WHERE first_name IS NOT NULL OR last_name IS NOT NULL""")
    op.create_index(
        "ix_members_shop_id_name_lower",
        "members",
        ["shop_id", "name_lower"],
        postgresql_ops={"name_lower": "varchar_pattern_ops"},
    )
    op.create_index("ix_members_shop_id_created_at_id", "members", ["shop_id", "created_at", "id"])
    op.create_index(
        "ix_members_birthday_key",
        "members",
        ["birthday_key"],
        postgresql_where=sa.text("birthday_key IS NOT NULL"),
        sqlite_where=sa.text("birthday_key IS NOT NULL"),
    )

    with op.batch_alter_table("point_activities") as batch:
        batch.add_column(sa.Column("pending_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reverses_activity_id", BigId, nullable=True))

    with op.batch_alter_table("order_awards") as batch:
        batch.add_column(sa.Column("reversed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("order_refunds") as batch:
        batch.add_column(sa.Column("applied_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE order_refunds SET applied_at = created_at")

    with op.batch_alter_table("discount_codes") as batch:
        batch.add_column(sa.Column("reward_id", BigId, nullable=True))
        batch.add_column(sa.Column("activity_id", BigId, nullable=True))

    # Existing shops keep what they had; the new rules start at their defaults.
    with op.batch_alter_table("program_settings") as batch:
        batch.add_column(sa.Column("rounding", sa.String(8), nullable=False, server_default="floor"))
        batch.add_column(sa.Column("pending_days", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("expiry_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("birthday_points", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("photo_review_bonus_points", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("vip_tiers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("program_settings") as batch:
        for column in (
            "vip_tiers",
            "photo_review_bonus_points",
            "birthday_points",
            "expiry_days",
            "pending_days",
            "rounding",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("discount_codes") as batch:
        batch.drop_column("activity_id")
        batch.drop_column("reward_id")
    with op.batch_alter_table("order_refunds") as batch:
        batch.drop_column("applied_at")
    with op.batch_alter_table("order_awards") as batch:
        batch.drop_column("reversed_at")
    with op.batch_alter_table("point_activities") as batch:
        batch.drop_column("reverses_activity_id")
        batch.drop_column("pending_until")
    op.drop_index("ix_members_birthday_key", "members")
    op.drop_index("ix_members_shop_id_created_at_id", "members")
    op.drop_index("ix_members_shop_id_name_lower", "members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("birthday_key")
        batch.drop_column("name_lower")
    op.drop_table("audit_log")
    op.drop_table("idempotency_keys")
    op.drop_table("rewards")
    op.drop_table("point_lots")
