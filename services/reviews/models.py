"""The reviews service's tables: product reviews and Google-review
submissions, each moderated (pending → approved | rejected) and, once the
points service reports the award, carrying the reward it earned."""

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from shared.customer_copies import customers_table
from shared.db import UTCDateTime, service_metadata

metadata = service_metadata()

STATUS_KNOWN = "status IN ('pending', 'approved', 'rejected')"

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("media_urls", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reward_points", Integer),
    # Points' separate bonus for a review with photos or video.
    Column("photo_bonus_points", Integer),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("moderated_at", UTCDateTime),
    Column("moderated_by", String(200)),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    CheckConstraint(STATUS_KNOWN, name="status_known"),
)
# The activity feed, unfiltered and by status, newest first.
Index(None, reviews.c.shop_id, reviews.c.occurred_at, reviews.c.id)
Index(None, reviews.c.shop_id, reviews.c.status, reviews.c.occurred_at, reviews.c.id)
# A customer's reviews on their detail, newest first.
Index(None, reviews.c.shop_id, reviews.c.customer_id, reviews.c.occurred_at, reviews.c.id)
# The merged timeline's moderations, newest first (a customer's come from
# the index above, narrowed to them).
Index(
    None,
    reviews.c.shop_id,
    reviews.c.moderated_at,
    reviews.c.id,
    postgresql_where=reviews.c.moderated_at.isnot(None),
    sqlite_where=reviews.c.moderated_at.isnot(None),
)

google_review_submissions = Table(
    "google_review_submissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("review_url", String(2048), nullable=False),
    # domain.review_url_key: one submission per customer per review. Null
    # only on duplicates submitted before the key existed (migration 0004).
    Column("review_url_key", String(64)),
    Column("status", String(16), nullable=False),
    Column("reward_points", Integer),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("moderated_at", UTCDateTime),
    Column("moderated_by", String(200)),
    CheckConstraint(STATUS_KNOWN, name="status_known"),
)
Index(
    None,
    google_review_submissions.c.shop_id,
    google_review_submissions.c.occurred_at,
    google_review_submissions.c.id,
)
Index(
    None,
    google_review_submissions.c.shop_id,
    google_review_submissions.c.status,
    google_review_submissions.c.occurred_at,
    google_review_submissions.c.id,
)
Index(
    None,
    google_review_submissions.c.shop_id,
    google_review_submissions.c.customer_id,
    google_review_submissions.c.occurred_at,
    google_review_submissions.c.id,
)
Index(
    None,
    google_review_submissions.c.shop_id,
    google_review_submissions.c.moderated_at,
    google_review_submissions.c.id,
    postgresql_where=google_review_submissions.c.moderated_at.isnot(None),
    sqlite_where=google_review_submissions.c.moderated_at.isnot(None),
)
# One reward per customer per review: a second submission is refused by
# the database itself, however close together the two arrive.
Index(
    None,
    google_review_submissions.c.shop_id,
    google_review_submissions.c.customer_id,
    google_review_submissions.c.review_url_key,
    unique=True,
)

# The overview's roll-ups, per shop and UTC day an item was submitted on (its
# occurred_at, what the feeds filter on): how many of that day's reviews and
# Google reviews are in each status now, and the points they earned. Kept in
# the transaction of each change (repository), so the overview sums at most
# a row per day instead of the items.
daily_totals = Table(
    "daily_totals",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    *(
        Column(f"{kind}_{count}", BigInteger, nullable=False, default=0)
        for kind in ("review", "google_review")
        for count in ("pending", "approved", "rejected", "points")
    ),
    # The stars of that day's reviews: the range's average rating is this
    # over its reviews (pending, approved and rejected).
    Column("review_rating_sum", BigInteger, nullable=False, default=0, server_default="0"),
)

# What the shop's events say of its customers and products (customer_created,
# order_placed and its line items), so a row names them without asking.
customers = customers_table(metadata)

products = Table(
    "products",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("product_id", String(64), primary_key=True),
    Column("title", String(255)),
)
