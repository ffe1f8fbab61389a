"""The referrals service's tables: one link per referrer member, the clicks
on it, the referrals claimed through it (with the steps they reached), and
the fraud signals refused claims leave behind."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from shared.customer_copies import customers_table
from shared.db import BigId, UTCDateTime, service_metadata

metadata = service_metadata()

STATUS_KNOWN = "status IN ('pending', 'completed', 'cancelled')"

referral_links = Table(
    "referral_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("code", String(16), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("customer_email", String(320)),
    Column("clicks", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "code"),
    # One link per member.
    UniqueConstraint("shop_id", "customer_id"),
)

link_clicks = Table(
    "link_clicks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("code", String(16), nullable=False),
    Column("client_ip", String(64)),
    Column("occurred_at", UTCDateTime, nullable=False),
)
# The latest click on a link, for a claim's "link clicked" step.
Index(None, link_clicks.c.shop_id, link_clicks.c.code, link_clicks.c.occurred_at)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("code", String(16), nullable=False),
    Column("referrer_customer_id", String(64), nullable=False),
    Column("referrer_email", String(320)),
    Column("referee_email", String(320), nullable=False),
    Column("referee_email_key", String(320), nullable=False),
    Column("status", String(16), nullable=False),
    Column("discount_code", String(64), nullable=False),
    # A copy of the code's state (points owns the code), kept from points'
    # discount_code_used and discount_code_voided, for the dashboard's rows.
    Column("discount_code_status", String(16), nullable=False, server_default="active"),
    Column("link_clicked_at", UTCDateTime),
    Column("email_entered_at", UTCDateTime, nullable=False),
    Column("coupon_issued_at", UTCDateTime, nullable=False),
    Column("order_placed_at", UTCDateTime),
    Column("order_id", String(64)),
    Column("referee_customer_id", String(64)),
    Column("completed_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
    Column("cancelled_by", String(200)),
    Column("referrer_reward_points", Integer),
    Column("client_ip", String(64)),
    Column("occurred_at", UTCDateTime, nullable=False),
    CheckConstraint(STATUS_KNOWN, name="status_known"),
)
# The activity feed, unfiltered and by status, newest first.
Index(None, referrals.c.shop_id, referrals.c.occurred_at, referrals.c.id)
Index(None, referrals.c.shop_id, referrals.c.status, referrals.c.occurred_at, referrals.c.id)
# The merged timeline's completions and cancellations, newest first (a
# customer's come from the two indexes below, narrowed to them).
Index(
    None,
    referrals.c.shop_id,
    referrals.c.completed_at,
    referrals.c.id,
    postgresql_where=referrals.c.completed_at.isnot(None),
    sqlite_where=referrals.c.completed_at.isnot(None),
)
Index(
    None,
    referrals.c.shop_id,
    referrals.c.cancelled_at,
    referrals.c.id,
    postgresql_where=referrals.c.cancelled_at.isnot(None),
    sqlite_where=referrals.c.cancelled_at.isnot(None),
)
# A customer's referrals on their detail, as referrer and as referee, newest first.
Index(None, referrals.c.shop_id, referrals.c.referrer_customer_id, referrals.c.occurred_at, referrals.c.id)
Index(None, referrals.c.shop_id, referrals.c.referee_customer_id, referrals.c.occurred_at, referrals.c.id)
# An order's discount codes find the referral they complete.
Index(None, referrals.c.shop_id, referrals.c.discount_code)
# Claims per client address in the last week.
Index(None, referrals.c.shop_id, referrals.c.client_ip, referrals.c.occurred_at)
# One open referral per mailbox: concurrent claims of one email cannot both
# succeed; it also finds the referral an order's email completes.
OPEN_REFERRAL = text("status <> 'cancelled'")
Index(
    "ix_referrals_open_referee_email_key",
    referrals.c.shop_id,
    referrals.c.referee_email_key,
    unique=True,
    postgresql_where=OPEN_REFERRAL,
    sqlite_where=OPEN_REFERRAL,
)

fraud_signals = Table(
    "fraud_signals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("code", String(16), nullable=False),
    Column("email", String(320)),
    Column("client_ip", String(64)),
    Column("occurred_at", UTCDateTime, nullable=False),
)
Index(None, fraud_signals.c.shop_id, fraud_signals.c.occurred_at, fraud_signals.c.id)

# The overview's roll-ups, per shop and UTC day a referral was claimed on
# (its occurred_at, what the feed filters on): how many of that day's
# referrals are in each status now, and the points their referrers got.
# Kept in the transaction of each change (repository), so the overview sums
# at most a row per day instead of the referrals.
daily_totals = Table(
    "daily_totals",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("pending", BigInteger, nullable=False, default=0),
    Column("completed", BigInteger, nullable=False, default=0),
    Column("cancelled", BigInteger, nullable=False, default=0),
    Column("reward_points", BigInteger, nullable=False, default=0),
    # Clicks on the shop's referral links that day (the funnel's first step).
    Column("link_clicks", BigInteger, nullable=False, default=0, server_default="0"),
)

# What the shop's events say of its customers (customer_created,
# order_placed), so a referral row names its referrer without asking points.
customers = customers_table(metadata)
