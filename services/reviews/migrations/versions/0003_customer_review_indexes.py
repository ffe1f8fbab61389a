"""a customer's reviews and Google-review submissions, newest first

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_reviews_shop_id_customer_id_occurred_at_id"),
        "reviews",
        ["shop_id", "customer_id", "occurred_at", "id"],
    )
    op.create_index(
        op.f("ix_google_review_submissions_shop_id_customer_id_occurred_at_id"),
        "google_review_submissions",
        ["shop_id", "customer_id", "occurred_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_google_review_submissions_shop_id_customer_id_occurred_at_id"),
        table_name="google_review_submissions",
    )
    op.drop_index(op.f("ix_reviews_shop_id_customer_id_occurred_at_id"), table_name="reviews")
