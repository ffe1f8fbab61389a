"""The gateway's tables: shops, their admin API keys, the dashboard's
sign-in sessions, the webhook deliveries already accepted (so a repeated
delivery is recognised) and those refused because they could never be
applied (and why)."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text

from shared.db import BigId, UTCDateTime, service_metadata

metadata = service_metadata()

shops = Table(
    "shops",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("domain", String(253), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # ISO 4217: what the dashboard shows money in (reward values, coupons).
    Column("currency", String(3), nullable=False, server_default="USD"),
    # Fernet tokens, never the plaintext (see shared.secret_box). After a
    # rotation the replaced secret still verifies until previous_secret_expires_at.
    Column("webhook_secret_encrypted", Text, nullable=False),
    Column("previous_webhook_secret_encrypted", Text, nullable=True),
    Column("previous_secret_expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), ForeignKey("shops.id"), nullable=False),
    # The person or integration holding the key: audit trails name it.
    Column("name", String(64), nullable=False),
    # SHA-256 hex of the key; the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)
# `loyalty keys list`: a shop's keys in id order.
Index(None, api_keys.c.shop_id, api_keys.c.id)
# One live key per name and shop, so an audit trail's name is one holder;
# a revoked key's name may be given again.
Index(
    "uq_api_keys_shop_id_name_live",
    api_keys.c.shop_id,
    api_keys.c.name,
    unique=True,
    postgresql_where=text("revoked_at IS NULL"),
    sqlite_where=text("revoked_at IS NULL"),
)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    # SHA-256 hex of the session id the cookie carries: a stolen database
    # opens no session.
    Column("id_hash", String(64), primary_key=True),
    Column("shop_id", String(64), ForeignKey("shops.id"), nullable=False),
    # The key typed into the sign-in form: its holder is the session's actor,
    # and revoking it ends the session.
    Column("api_key_id", BigId, ForeignKey("api_keys.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)
# Sessions idle past their lifetime are deleted by age; a revoked key's by key.
Index(None, admin_sessions.c.last_seen_at)
Index(None, admin_sessions.c.api_key_id)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("webhook_id", String(255), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "webhook_id"),
)

refused_webhooks = Table(
    "refused_webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("webhook_id", String(255), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("details", JSON),  # the fields at fault: [{"field", "message"}]
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "webhook_id"),
)
# `loyalty webhooks refused --shop`: a shop's, newest first.
Index(None, refused_webhooks.c.shop_id, refused_webhooks.c.id)
