"""The gateway's tables: shops, their admin API keys, the webhook
deliveries already accepted (so a repeated delivery is recognised) and
those refused because they could never be applied (and why)."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from shared.db import BigId, UTCDateTime, service_metadata

metadata = service_metadata()

shops = Table(
    "shops",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("domain", String(253), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # Fernet token, never the plaintext (see credentials.SecretBox).
    Column("webhook_secret_encrypted", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), ForeignKey("shops.id"), nullable=False),
    Column("label", String(64), nullable=False),
    # SHA-256 hex of the key; the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)
Index(None, api_keys.c.shop_id)

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
