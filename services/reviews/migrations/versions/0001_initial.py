"""reviews, Google-review submissions, outbox and inbox

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

STATUS_KNOWN = "status IN ('pending', 'approved', 'rejected')"


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("media_urls", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("moderated_at", UTCDateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(200), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.CheckConstraint(STATUS_KNOWN, name=op.f("ck_reviews_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index(op.f("ix_reviews_shop_id_occurred_at_id"), "reviews", ["shop_id", "occurred_at", "id"])
    op.create_index(
        op.f("ix_reviews_shop_id_status_occurred_at_id"),
        "reviews",
        ["shop_id", "status", "occurred_at", "id"],
    )

    op.create_table(
        "google_review_submissions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("review_url", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("moderated_at", UTCDateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(200), nullable=True),
        sa.CheckConstraint(STATUS_KNOWN, name=op.f("ck_google_review_submissions_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_review_submissions")),
    )
    op.create_index(
        op.f("ix_google_review_submissions_shop_id_occurred_at_id"),
        "google_review_submissions",
        ["shop_id", "occurred_at", "id"],
    )
    op.create_index(
        op.f("ix_google_review_submissions_shop_id_status_occurred_at_id"),
        "google_review_submissions",
        ["shop_id", "status", "occurred_at", "id"],
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
    op.drop_table("google_review_submissions")
    op.drop_table("reviews")
