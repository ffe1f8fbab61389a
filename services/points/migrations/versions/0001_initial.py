"""members, point ledger, order awards and refunds, program settings, discount
codes; the shared outbox and inbox

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.db import BigId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("email_lower", sa.String(320), nullable=True),
        sa.Column("first_name", sa.String(200), nullable=True),
        sa.Column("last_name", sa.String(200), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("vip_tier", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("lifetime_earned", sa.Integer(), nullable=False),
        sa.Column("lifetime_redeemed", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'excluded')", name=op.f("ck_members_status")),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_members_balance_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("shop_id", "customer_id", name=op.f("uq_members_shop_id_customer_id")),
    )
    op.create_index(
        "ix_members_shop_id_email_lower",
        "members",
        ["shop_id", "email_lower"],
        postgresql_ops={"email_lower": "varchar_pattern_ops"},
    )

    op.create_table(
        "point_activities",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("action", sa.String(300), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("uncollected_points", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "type IN ('earned', 'redeemed', 'refunded', 'expired', 'adjusted')",
            name=op.f("ck_point_activities_type"),
        ),
        sa.CheckConstraint("balance_after >= 0", name=op.f("ck_point_activities_balance_after_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_activities")),
    )
    op.create_index(
        "ix_point_activities_shop_id_occurred_at_id", "point_activities", ["shop_id", "occurred_at", "id"]
    )
    op.create_index(
        "ix_point_activities_shop_id_type_occurred_at_id",
        "point_activities",
        ["shop_id", "type", "occurred_at", "id"],
    )
    op.create_index(
        "ix_point_activities_shop_id_customer_id_occurred_at_id",
        "point_activities",
        ["shop_id", "customer_id", "occurred_at", "id"],
    )
    op.create_index(
        "uq_point_activities_shop_id_type_reference",
        "point_activities",
        ["shop_id", "type", "reference"],
        unique=True,
        postgresql_where=sa.text("reference IS NOT NULL"),
        sqlite_where=sa.text("reference IS NOT NULL"),
    )

    op.create_table(
        "order_awards",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("order_name", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("subtotal", sa.Numeric(14, 2), nullable=False),
        sa.Column("rate", sa.Numeric(12, 4), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("refunded_points", sa.Integer(), nullable=False),
        sa.Column("activity_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_awards")),
        sa.UniqueConstraint("shop_id", "order_id", name=op.f("uq_order_awards_shop_id_order_id")),
    )

    op.create_table(
        "order_refunds",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("refund_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("activity_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_refunds")),
        sa.UniqueConstraint("shop_id", "refund_id", name=op.f("uq_order_refunds_shop_id_refund_id")),
    )

    op.create_table(
        "program_settings",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("points_per_currency_unit", sa.Numeric(12, 4), nullable=False),
        sa.Column("signup_points", sa.Integer(), nullable=False),
        sa.Column("review_points", sa.Integer(), nullable=False),
        sa.Column("google_review_points", sa.Integer(), nullable=False),
        sa.Column("referrer_reward_points", sa.Integer(), nullable=False),
        sa.Column("referee_coupon_type", sa.String(16), nullable=False),
        sa.Column("referee_coupon_value", sa.Numeric(12, 2), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_program_settings")),
    )

    op.create_table(
        "discount_codes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("referral_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("value_type", sa.String(16), nullable=False),
        sa.Column("value", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("voided_at", UTCDateTime(), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.CheckConstraint("kind IN ('referral_welcome', 'redemption')", name=op.f("ck_discount_codes_kind")),
        sa.CheckConstraint("status IN ('active', 'used', 'voided')", name=op.f("ck_discount_codes_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_codes")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_discount_codes_shop_id_code")),
    )
    op.create_index(
        "uq_discount_codes_shop_id_referral_id_welcome",
        "discount_codes",
        ["shop_id", "referral_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'referral_welcome'"),
        sqlite_where=sa.text("kind = 'referral_welcome'"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_processed_events")),
    )


def downgrade() -> None:
    for table in (
        "processed_events",
        "outbox",
        "discount_codes",
        "program_settings",
        "order_refunds",
        "order_awards",
        "point_activities",
        "members",
    ):
        op.drop_table(table)
