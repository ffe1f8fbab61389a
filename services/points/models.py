"""The points service's tables: members, the append-only ledger and its lots,
order awards and refunds (what an order earned and at which rate), program
settings, rewards, discount codes, idempotency keys, the audit trail and
members' tier changes.
Every row carries shop_id. Points and balances are 64-bit (Points); amounts
hold up to 10^12 currency units with three decimals (Amount)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.sql.elements import ColumnElement

from shared.db import BigId, UTCDateTime, service_metadata
from shared.idempotency import idempotency_keys_table

metadata = service_metadata()

# A program may give up to 1000 points per unit of an order of up to 10^12.
Points = BigInteger
Amount = Numeric(16, 3)

members = Table(
    "members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),  # the shop platform's id
    Column("email", String(320)),
    Column("email_lower", String(320)),  # for case-insensitive lookups
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("name_lower", String(401)),  # "first last", for name search
    Column("birthday", Date),
    Column("birthday_key", String(5)),  # "MM-DD", for the birthday timer
    # Set only by an admin; null means the tier follows lifetime points.
    Column("vip_tier", String(64)),
    # The tier in force (null: none), as last announced: the hand-set one, or
    # the one lifetime points reached under the thresholds of the member's
    # last ledger entry. Changed only under the member's row lock, with a
    # tier_changes row and a member_tier_changed event (operations.tiers).
    Column("current_tier", String(64)),
    Column("status", String(16), nullable=False),
    # Running totals of the ledger, updated in the same transaction as every
    # activity row under the member's row lock.
    Column("balance", Points, nullable=False),
    Column("lifetime_earned", Points, nullable=False),
    Column("lifetime_redeemed", Points, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "customer_id"),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
    CheckConstraint("status IN ('active', 'excluded')", name="status"),
)
# Email search is a case-insensitive prefix match (LIKE 'q%'), which a
# pattern-ops btree serves on PostgreSQL whatever the database collation.
Index(
    "ix_members_shop_id_email_lower",
    members.c.shop_id,
    members.c.email_lower,
    postgresql_ops={"email_lower": "varchar_pattern_ops"},
)
Index(
    "ix_members_shop_id_name_lower",
    members.c.shop_id,
    members.c.name_lower,
    postgresql_ops={"name_lower": "varchar_pattern_ops"},
)
# The customers list: newest members first.
Index("ix_members_shop_id_created_at_id", members.c.shop_id, members.c.created_at, members.c.id)
Index(
    "ix_members_birthday_key",
    members.c.birthday_key,
    postgresql_where=members.c.birthday_key.isnot(None),
    sqlite_where=members.c.birthday_key.isnot(None),
)

point_activities = Table(
    "point_activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("action", String(300), nullable=False),
    Column("points", Points, nullable=False),
    Column("balance_after", Points, nullable=False),
    # Points a refund should have taken back but could not (balance at zero).
    Column("uncollected_points", Points, nullable=False),
    Column("reference", String(200)),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    # Order points wait out the return window until then (null: spendable).
    Column("pending_until", UTCDateTime),
    Column("reverses_activity_id", BigId),
    CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    CheckConstraint("type IN ('earned', 'redeemed', 'refunded', 'expired', 'adjusted')", name="type"),
)
# Feeds: the shop's, by type, and one member's history, all newest first.
Index("ix_point_activities_shop_id_occurred_at_id", *point_activities.c["shop_id", "occurred_at", "id"])
Index(
    "ix_point_activities_shop_id_type_occurred_at_id",
    point_activities.c.shop_id,
    point_activities.c.type,
    point_activities.c.occurred_at,
    point_activities.c.id,
)
Index(
    "ix_point_activities_shop_id_customer_id_occurred_at_id",
    point_activities.c.shop_id,
    point_activities.c.customer_id,
    point_activities.c.occurred_at,
    point_activities.c.id,
)
# One business fact (an order, a refund, a review, a referral...) enters the
# ledger once per type: the backstop behind every "once" rule.
Index(
    "uq_point_activities_shop_id_type_reference",
    point_activities.c.shop_id,
    point_activities.c.type,
    point_activities.c.reference,
    unique=True,
    postgresql_where=point_activities.c.reference.isnot(None),
    sqlite_where=point_activities.c.reference.isnot(None),
)

point_lots = Table(
    "point_lots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("activity_id", BigId, nullable=False),  # the credit that opened it
    Column("points", Points, nullable=False),
    Column("remaining", Points, nullable=False),
    Column("earned_at", UTCDateTime, nullable=False),
    Column("available_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    UniqueConstraint("activity_id"),
    CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_within_points"),
)
# A member's lots, oldest first (FIFO spending); lots with points left to expire.
Index(
    "ix_point_lots_shop_id_customer_id_earned_at_id",
    point_lots.c.shop_id,
    point_lots.c.customer_id,
    point_lots.c.earned_at,
    point_lots.c.id,
)
Index(
    "ix_point_lots_expires_at_unspent",
    point_lots.c.expires_at,
    postgresql_where=point_lots.c.remaining > 0,
    sqlite_where=point_lots.c.remaining > 0,
)

order_awards = Table(
    "order_awards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("order_name", String(100)),  # the name, or "#" and the order id
    Column("customer_id", String(64), nullable=False),
    Column("subtotal", Amount, nullable=False),
    Column("rate", Numeric(12, 4), nullable=False),  # points_per_currency_unit when earned
    Column("points", Points, nullable=False),
    # Cumulative over the order's refunds, so the total never exceeds `points`.
    Column("refunded_amount", Amount, nullable=False),
    Column("refunded_points", Points, nullable=False),
    Column("activity_id", BigId),  # null when the order earned 0
    Column("created_at", UTCDateTime, nullable=False),
    # An admin reversed the award: later refunds have nothing left to take.
    Column("reversed_at", UTCDateTime),
    # Why the order earns nothing, ever (domain.NO_POINTS_REASONS); null if it earned.
    Column("no_points_reason", String(32)),
    UniqueConstraint("shop_id", "order_id"),
)

order_refunds = Table(
    "order_refunds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("refund_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("points", Points, nullable=False),  # taken back, collected or not
    Column("activity_id", BigId),
    Column("created_at", UTCDateTime, nullable=False),
    # Null while the refund waits for its order's award (the two events
    # travel on separate queues, so a refund can arrive first).
    Column("applied_at", UTCDateTime),
    UniqueConstraint("shop_id", "refund_id"),
)

program_settings = Table(
    "program_settings",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    # The program document (shared.points_api.ProgramRules) as JSON: what an
    # order or a lot keeps of it is copied onto that row when it is made.
    Column("rules", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

rewards = Table(
    "rewards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Numeric(12, 2)),  # null for free shipping
    Column("points_cost", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('fixed_amount', 'percentage', 'free_shipping')", name="kind"),
    CheckConstraint("points_cost > 0", name="points_cost_positive"),
)
Index("ix_rewards_shop_id_id", rewards.c.shop_id, rewards.c.id)

discount_codes = Table(
    "discount_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("code", String(64), nullable=False),  # stored upper-case
    Column("kind", String(32), nullable=False),
    Column("customer_id", String(64)),
    Column("customer_email", String(320)),
    Column("referral_id", String(64)),
    Column("reward_id", BigId),
    Column("activity_id", BigId),  # the redemption that paid for it
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
Index(
    "uq_discount_codes_shop_id_referral_id_welcome",
    discount_codes.c.shop_id,
    discount_codes.c.referral_id,
    unique=True,
    postgresql_where=discount_codes.c.kind == "referral_welcome",
    sqlite_where=discount_codes.c.kind == "referral_welcome",
)

idempotency_keys = idempotency_keys_table(metadata)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64)),  # null for shop-wide changes
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("reason", String(500)),
    Column("before", JSON),
    Column("after", JSON),
    Column("occurred_at", UTCDateTime, nullable=False),
)
Index("ix_audit_log_shop_id_occurred_at_id", audit_log.c.shop_id, audit_log.c.occurred_at, audit_log.c.id)
Index(
    "ix_audit_log_shop_id_customer_id_occurred_at_id",
    audit_log.c.shop_id,
    audit_log.c.customer_id,
    audit_log.c.occurred_at,
    audit_log.c.id,
)
# The merged timeline's admin items: the actions on a member that no ledger
# entry tells of (an adjustment or a redemption is already a ledger entry).
# Literal values, so a query naming the same condition can use the partial
# index on SQLite too; a member's own actions use the index above.
ADMIN_TIMELINE_ACTIONS: list[ColumnElement[str]] = [
    literal_column(f"'{action}'") for action in ("customer_excluded", "customer_included", "customer_updated")
]
IS_ADMIN_TIMELINE_ACTION = audit_log.c.action.in_(ADMIN_TIMELINE_ACTIONS)
Index(
    "ix_audit_log_shop_id_occurred_at_id_member_actions",
    audit_log.c.shop_id,
    audit_log.c.occurred_at,
    audit_log.c.id,
    postgresql_where=IS_ADMIN_TIMELINE_ACTION,
    sqlite_where=IS_ADMIN_TIMELINE_ACTION,
)

# Every change of a member's tier, automatic or by hand: the merged
# timeline's tier items, newest first per shop and per member.
tier_changes = Table(
    "tier_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("from_tier", String(64)),
    Column("to_tier", String(64)),
    Column("reason", String(16), nullable=False),  # shared.events.TierChangeReason
    Column("actor", String(200), nullable=False),
    Column("activity_id", BigId),  # the ledger entry that moved it; null for a change by hand
    Column("occurred_at", UTCDateTime, nullable=False),
)
Index("ix_tier_changes_shop_id_occurred_at_id", *tier_changes.c["shop_id", "occurred_at", "id"])
Index(
    "ix_tier_changes_shop_id_customer_id_occurred_at_id",
    tier_changes.c.shop_id,
    tier_changes.c.customer_id,
    tier_changes.c.occurred_at,
    tier_changes.c.id,
)

# The overview's roll-ups: per shop and UTC day of the activity (the feeds'
# occurred_at, the members list's created_at), what the ledger moved, as
# signed sums per type, and how membership changed. Kept in the same
# transaction as each ledger row or member change (repository.daily_totals),
# so the overview sums at most a row per day instead of the ledger.
daily_totals = Table(
    "daily_totals",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("earned_points", Points, nullable=False, default=0),
    Column("redeemed_points", Points, nullable=False, default=0),
    Column("refunded_points", Points, nullable=False, default=0),
    Column("expired_points", Points, nullable=False, default=0),
    Column("adjusted_points", Points, nullable=False, default=0),
    Column("new_members", BigInteger, nullable=False, default=0),
    # Exclusions less re-inclusions.
    Column("excluded_members", BigInteger, nullable=False, default=0),
)

# Balances imported from another app (operations/imports.py): rows staged
# by line as the file arrives, then applied in batches; an applied row is
# deleted by the transaction that applied it, so each counts once.
point_imports = Table(
    "point_imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # uploading, running, done, failed
    Column("file_name", String(255)),
    Column("file_sha256", String(64)),  # once the whole file arrived: one import per file
    Column("rows_total", Integer, nullable=False),
    Column("rows_done", Integer, nullable=False),
    Column("rows_failed", Integer, nullable=False),
    Column("failures", Integer, nullable=False, default=0),  # runs whose batch failed
    Column("actor", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("shop_id", "file_sha256"),
)
Index("ix_point_imports_shop_id_created_at", point_imports.c.shop_id, point_imports.c.created_at)
Index("ix_point_imports_status", point_imports.c.status)
point_import_rows = Table(
    "point_import_rows",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("state", String(8), nullable=False),  # pending or failed
    Column("error", String(1000)),
    # The row as checked (shared.imports_api.ImportRow); null when it was not valid.
    Column("customer_id", String(64)),
    Column("email", String(320)),
    Column("points", Points),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("birthday", Date),
    Column("vip_tier", String(64)),
)
Index("ix_point_import_rows_import_id_state_line", *point_import_rows.c["import_id", "state", "line"])
