"""The webhooks service's tables: the merchants' subscriptions, one
delivery per event and subscription (the durable schedule of its next
attempt), every attempt made, which the merchant can read, and the
Idempotency-Keys of the admin commands that create something."""

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from shared.db import BigId, UTCDateTime, service_metadata

metadata = service_metadata()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    # The shop's domain, from the gateway when the subscription was made:
    # the X-Loyalty-Shop-Domain and "shop" of every delivery.
    Column("shop_domain", String(255), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("topics", JSON, nullable=False),
    # Fernet token (shared.secret_box): signing needs the secret itself.
    Column("secret_encrypted", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("disabled_reason", Text),
    # The first failure with no success since: 24 h of it disables.
    Column("failing_since", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'paused', 'disabled')", name="status_known"),
)
# The shop's list, and the subscriptions an event fans out to.
Index(None, subscriptions.c.shop_id, subscriptions.c.created_at)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("subscription_id", String(36), ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("topic", String(64), nullable=False),
    # Whom the event is about: a customer's deliveries go out in id order.
    Column("customer_id", String(64)),
    Column("body", Text, nullable=False),  # the exact bytes signed and sent
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),  # null once delivered or failed
    Column("first_attempt_at", UTCDateTime),
    # A sender's lease: no other sender takes the row before it ends.
    Column("claimed_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
)
# An event reaches a subscription once, however often it is redelivered.
Index(None, deliveries.c.subscription_id, deliveries.c.event_id, unique=True)
# What is due, and the earlier pending deliveries of the same customer.
Index(
    None,
    deliveries.c.next_attempt_at,
    postgresql_where=deliveries.c.status == "pending",
    sqlite_where=deliveries.c.status == "pending",
)
Index(
    None,
    deliveries.c.subscription_id,
    deliveries.c.customer_id,
    deliveries.c.id,
    postgresql_where=deliveries.c.status == "pending",
    sqlite_where=deliveries.c.status == "pending",
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("subscription_id", String(36), ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("delivery_id", BigId, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text),
    Column("next_retry_at", UTCDateTime),
    CheckConstraint("outcome IN ('delivered', 'retrying', 'failed')", name="outcome_known"),
)
# A subscription's attempts, newest first (keyset).
Index(None, delivery_attempts.c.subscription_id, delivery_attempts.c.attempted_at, delivery_attempts.c.id)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    # What was asked (command and arguments, hashed): the same key for
    # another request is refused rather than answered with this one's result.
    Column("fingerprint", String(64), nullable=False),
    # The first answer as JSON, never with a signing secret: a replay reads
    # that from the subscription's encrypted copy.
    Column("result", Text),
    Column("created_at", UTCDateTime, nullable=False),
)
