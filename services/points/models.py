"""The points service's tables: members, the append-only ledger, order awards
and refunds (what an order earned and at which rate), program settings and
discount codes. Every row carries shop_id."""
from sqlalchemy import (
    CheckConstraint, Column, Date, Index, Integer, Numeric, String, Table, UniqueConstraint,
)

from shared.db import BigId, UTCDateTime, service_metadata

metadata = service_metadata()

members = Table(
    "members", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),   # the shop platform's id
    Column("email", String(320)),
    Column("email_lower", String(320)),                  # for case-insensitive lookups
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("birthday", Date),
    Column("vip_tier", String(64)),
    Column("status", String(16), nullable=False),
    # Running totals of the ledger, updated in the same transaction as every
    # activity row under the member's row lock.
    Column("balance", Integer, nullable=False),
    Column("lifetime_earned", Integer, nullable=False),
    Column("lifetime_redeemed", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "customer_id"),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
    CheckConstraint("status IN ('active', 'excluded')", name="status"),
)
# Email search is a case-insensitive prefix match (LIKE 'q%'), which a
# pattern-ops btree serves on PostgreSQL whatever the database collation.
Index("ix_members_shop_id_email_lower", members.c.shop_id, members.c.email_lower,
      postgresql_ops={"email_lower": "varchar_pattern_ops"})

point_activities = Table(
    "point_activities", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("action", String(300), nullable=False),
    Column("points", Integer, nullable=False),
    Column("balance_after", Integer, nullable=False),
    # Points a refund should have taken back but could not (balance at zero).
    Column("uncollected_points", Integer, nullable=False),
    Column("reference", String(200)),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    CheckConstraint("type IN ('earned', 'redeemed', 'refunded', 'expired', 'adjusted')", name="type"),
)
# Feeds: the shop's, by type, and one member's history, all newest first.
Index("ix_point_activities_shop_id_occurred_at_id",
      point_activities.c.shop_id, point_activities.c.occurred_at, point_activities.c.id)
Index("ix_point_activities_shop_id_type_occurred_at_id",
      point_activities.c.shop_id, point_activities.c.type,
      point_activities.c.occurred_at, point_activities.c.id)
Index("ix_point_activities_shop_id_customer_id_occurred_at_id",
      point_activities.c.shop_id, point_activities.c.customer_id,
      point_activities.c.occurred_at, point_activities.c.id)
# One business fact (an order, a refund, a review, a referral...) enters the
# ledger once per type: the backstop behind every "once" rule.
Index("uq_point_activities_shop_id_type_reference",
      point_activities.c.shop_id, point_activities.c.type, point_activities.c.reference,
      unique=True,
      postgresql_where=point_activities.c.reference.isnot(None),
      sqlite_where=point_activities.c.reference.isnot(None))

order_awards = Table(
    "order_awards", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("order_name", String(64)),
    Column("customer_id", String(64), nullable=False),
    Column("subtotal", Numeric(14, 2), nullable=False),
    Column("rate", Numeric(12, 4), nullable=False),      # points_per_currency_unit when earned
    Column("points", Integer, nullable=False),
    # Cumulative over the order's refunds, so the total never exceeds `points`.
    Column("refunded_amount", Numeric(14, 2), nullable=False),
    Column("refunded_points", Integer, nullable=False),
    Column("activity_id", BigId),                         # null when the order earned 0
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "order_id"),
)

order_refunds = Table(
    "order_refunds", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("refund_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("points", Integer, nullable=False),            # taken back, collected or not
    Column("activity_id", BigId),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "refund_id"),
)

program_settings = Table(
    "program_settings", metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("points_per_currency_unit", Numeric(12, 4), nullable=False),
    Column("signup_points", Integer, nullable=False),
    Column("review_points", Integer, nullable=False),
    Column("google_review_points", Integer, nullable=False),
    Column("referrer_reward_points", Integer, nullable=False),
    Column("referee_coupon_type", String(16), nullable=False),
    Column("referee_coupon_value", Numeric(12, 2), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

discount_codes = Table(
    "discount_codes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("code", String(64), nullable=False),           # stored upper-case
    Column("kind", String(32), nullable=False),
    Column("customer_id", String(64)),
    Column("customer_email", String(320)),
    Column("referral_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("value_type", String(16), nullable=False),
    Column("value", Numeric(12, 2), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
    Column("order_id", String(64)),
    UniqueConstraint("shop_id", "code"),
    CheckConstraint("status IN ('active', 'used', 'voided')", name="status"),
    CheckConstraint("kind IN ('referral_welcome', 'redemption')", name="kind"),
)
# One welcome code per referral (issuing is idempotent); also how a
# cancelled referral finds the codes to void (queries name the kind).
Index("uq_discount_codes_shop_id_referral_id_welcome",
      discount_codes.c.shop_id, discount_codes.c.referral_id, unique=True,
      postgresql_where=discount_codes.c.kind == "referral_welcome",
      sqlite_where=discount_codes.c.kind == "referral_welcome")
