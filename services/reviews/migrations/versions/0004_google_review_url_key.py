"""one submission per customer per Google review: the normalized review
address, hashed, under a unique index

Existing submissions get their key; where a customer already submitted the
same review more than once, the first keeps it and the later ones stay
without (they were submitted before the rule, and are left as they are).

Revision ID: 0004_google_review_url_key
Revises: 0003
"""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision = "0004_google_review_url_key"
down_revision = "0003"
branch_labels = None
depends_on = None

# The normalization as of this revision (services.reviews.domain may change
# later; what this migration wrote must not).
TRACKING = {"gclid", "gclsrc", "dclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga", "_gl"} | {
    "entry",
    "g_ep",
    "g_st",
    "ved",
    "ei",
}


def url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80, 443) else None
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING
    )
    normalized = urlunsplit(
        ("https", f"{host}:{port}" if port else host, parts.path.rstrip("/"), urlencode(query), "")
    )
    return hashlib.sha256(normalized.encode()).hexdigest()


submissions = sa.table(
    "google_review_submissions",
    sa.column("id", sa.String()),
    sa.column("shop_id", sa.String()),
    sa.column("customer_id", sa.String()),
    sa.column("review_url", sa.String()),
    sa.column("review_url_key", sa.String()),
    sa.column("occurred_at", sa.DateTime()),
)


def upgrade() -> None:
    op.add_column("google_review_submissions", sa.Column("review_url_key", sa.String(64), nullable=True))
    bind = op.get_bind()
    taken = set()
    rows = bind.execute(
        sa.select(
            submissions.c.id, submissions.c.shop_id, submissions.c.customer_id, submissions.c.review_url
        ).order_by(submissions.c.occurred_at, submissions.c.id)
    ).all()
    for row in rows:
        key = url_key(row.review_url)
        if (row.shop_id, row.customer_id, key) in taken:
            continue
        taken.add((row.shop_id, row.customer_id, key))
        bind.execute(submissions.update().where(submissions.c.id == row.id).values(review_url_key=key))
    op.create_index(
        op.f("ix_google_review_submissions_shop_id_customer_id_review_url_key"),
        "google_review_submissions",
        ["shop_id", "customer_id", "review_url_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_google_review_submissions_shop_id_customer_id_review_url_key"),
        table_name="google_review_submissions",
    )
    with op.batch_alter_table("google_review_submissions") as batch:
        batch.drop_column("review_url_key")
