"""referral links, clicks, referrals, fraud signals, outbox and inbox

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

STATUS_KNOWN = "status IN ('pending', 'completed', 'cancelled')"
OPEN_REFERRAL = sa.text("status <> 'cancelled'")


def upgrade() -> None:
    op.create_table(
        "referral_links",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_links")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_referral_links_shop_id_code")),
        sa.UniqueConstraint("shop_id", "customer_id", name=op.f("uq_referral_links_shop_id_customer_id")),
    )

    op.create_table(
        "link_clicks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_clicks")),
    )
    op.create_index(
        op.f("ix_link_clicks_shop_id_code_occurred_at"), "link_clicks", ["shop_id", "code", "occurred_at"]
    )

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("referrer_customer_id", sa.String(64), nullable=False),
        sa.Column("referrer_email", sa.String(320), nullable=True),
        sa.Column("referee_email", sa.String(320), nullable=False),
        sa.Column("referee_email_key", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("discount_code", sa.String(64), nullable=False),
        sa.Column("link_clicked_at", UTCDateTime(), nullable=True),
        sa.Column("email_entered_at", UTCDateTime(), nullable=False),
        sa.Column("coupon_issued_at", UTCDateTime(), nullable=False),
        sa.Column("order_placed_at", UTCDateTime(), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("referee_customer_id", sa.String(64), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
        sa.Column("referrer_reward_points", sa.Integer(), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(STATUS_KNOWN, name=op.f("ck_referrals_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(
        op.f("ix_referrals_shop_id_occurred_at_id"), "referrals", ["shop_id", "occurred_at", "id"]
    )
    op.create_index(
        op.f("ix_referrals_shop_id_status_occurred_at_id"),
        "referrals",
        ["shop_id", "status", "occurred_at", "id"],
    )
    op.create_index(op.f("ix_referrals_shop_id_discount_code"), "referrals", ["shop_id", "discount_code"])
    op.create_index(
        op.f("ix_referrals_shop_id_client_ip_occurred_at"),
        "referrals",
        ["shop_id", "client_ip", "occurred_at"],
    )
    op.create_index(
        "ix_referrals_open_referee_email_key",
        "referrals",
        ["shop_id", "referee_email_key"],
        unique=True,
        postgresql_where=OPEN_REFERRAL,
        sqlite_where=OPEN_REFERRAL,
    )

    op.create_table(
        "fraud_signals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_signals")),
    )
    op.create_index(
        op.f("ix_fraud_signals_shop_id_occurred_at_id"), "fraud_signals", ["shop_id", "occurred_at", "id"]
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
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("fraud_signals")
    op.drop_table("referrals")
    op.drop_table("link_clicks")
    op.drop_table("referral_links")
