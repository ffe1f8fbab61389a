"""Queries of the gateway: shops, their admin API keys and the webhook
deliveries accepted or refused. A shop is found by its domain or by one of
its keys; everything else is scoped to one shop (the operator's listing of
refused webhooks may span them all)."""

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.gateway.models import api_keys, refused_webhooks, shops, webhook_deliveries
from shared.db import insert_unless_exists

# --- shops and their keys --------------------------------------------------------------


def shop_by_domain(session: Session, domain: str):
    """The shop's row, its webhook secret still encrypted; None if unknown."""
    return session.execute(
        select(shops.c.id, shops.c.domain, shops.c.name, shops.c.webhook_secret_encrypted).where(
            shops.c.domain == domain
        )
    ).first()


def domain_taken(session: Session, domain: str) -> bool:
    return session.execute(select(shops.c.id).where(shops.c.domain == domain)).first() is not None


def add_shop(
    session: Session,
    shop_id: str,
    domain: str,
    name: str,
    webhook_secret_encrypted: str,
    created_at: datetime,
) -> bool:
    """False if a shop with this domain got there first (the unique key
    decides, so two concurrent creations cannot both pass). After False,
    roll back."""
    try:
        session.execute(
            insert(shops).values(
                id=shop_id,
                domain=domain,
                name=name,
                webhook_secret_encrypted=webhook_secret_encrypted,
                created_at=created_at,
            )
        )
    except IntegrityError:
        return False
    return True


def add_api_key(session: Session, shop_id: str, label: str, key_hash: str, created_at: datetime) -> None:
    session.execute(
        insert(api_keys).values(shop_id=shop_id, label=label, key_hash=key_hash, created_at=created_at)
    )


def api_key_holder(session: Session, key_hash: str):
    """The key's row (key_hash, label) with its shop's id and domain; None if
    no shop has this key."""
    return session.execute(
        select(api_keys.c.key_hash, api_keys.c.label, shops.c.id, shops.c.domain)
        .join(shops, shops.c.id == api_keys.c.shop_id)
        .where(api_keys.c.key_hash == key_hash)
    ).first()


# --- webhook deliveries ------------------------------------------------------------------


def record_webhook_delivery(
    session: Session, shop_id: str, webhook_id: str, topic: str, event_id: str, received_at: datetime
) -> bool:
    """Remember a delivery in the caller's transaction; False if this shop
    already delivered this webhook id (the unique key decides, so two
    concurrent repeats cannot both pass). After False, roll back."""
    try:
        session.execute(
            insert(webhook_deliveries).values(
                shop_id=shop_id,
                webhook_id=webhook_id,
                topic=topic,
                event_id=event_id,
                received_at=received_at,
            )
        )
    except IntegrityError:
        return False
    return True


def record_refused_webhook(
    session: Session,
    shop_id: str,
    webhook_id: str,
    topic: str,
    reason: str,
    details: list | None,
    received_at: datetime,
) -> None:
    """Remember why a delivery was refused; once per delivery id."""
    insert_unless_exists(
        session,
        refused_webhooks,
        shop_id=shop_id,
        webhook_id=webhook_id,
        topic=topic,
        reason=reason,
        details=details,
        received_at=received_at,
    )


def refused_webhooks_page(session: Session, shop_id: str | None, before_id: int | None, limit: int):
    """Up to limit+1 refused deliveries, newest first, with their shop's
    domain; those before `before_id` (a keyset: the last one shown)."""
    query = select(refused_webhooks, shops.c.domain).join(shops, shops.c.id == refused_webhooks.c.shop_id)
    if shop_id is not None:
        query = query.where(refused_webhooks.c.shop_id == shop_id)
    if before_id is not None:
        query = query.where(refused_webhooks.c.id < before_id)
    return session.execute(query.order_by(refused_webhooks.c.id.desc()).limit(limit + 1)).mappings().all()
