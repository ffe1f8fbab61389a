"""Queries of the gateway: shops (and their webhook secrets), their admin
API keys, the dashboard's sessions and the webhook deliveries accepted or
refused. A shop is found by its domain, by one of its keys or by a session;
a key by its id (the operator's CLI); everything else is scoped to one shop
(the operator's listing of refused webhooks may span them all)."""

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.gateway.models import admin_sessions, api_keys, refused_webhooks, shops, webhook_deliveries
from shared.db import cursor_result, insert_row
from shared.upserts import insert_unless_exists

# --- shops and their keys --------------------------------------------------------------


def shop_by_domain(session: Session, domain: str):
    """The shop's row, its webhook secrets still encrypted; None if unknown."""
    return session.execute(
        select(
            shops.c.id,
            shops.c.domain,
            shops.c.name,
            shops.c.webhook_secret_encrypted,
            shops.c.previous_webhook_secret_encrypted,
            shops.c.previous_secret_expires_at,
        ).where(shops.c.domain == domain)
    ).first()


def shop_currency(session: Session, shop_id: str) -> str:
    return session.execute(select(shops.c.currency).where(shops.c.id == shop_id)).scalar_one()


def domain_taken(session: Session, domain: str) -> bool:
    return session.execute(select(shops.c.id).where(shops.c.domain == domain)).first() is not None


def add_shop(
    session: Session,
    shop_id: str,
    domain: str,
    name: str,
    currency: str,
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
                currency=currency,
                webhook_secret_encrypted=webhook_secret_encrypted,
                created_at=created_at,
            )
        )
    except IntegrityError:
        return False
    return True


def replace_webhook_secret(
    session: Session,
    shop_id: str,
    replaced_encrypted: str,
    new_encrypted: str,
    previous_encrypted: str | None,
    previous_expires_at: datetime | None,
) -> bool:
    """Make `new_encrypted` the shop's secret, keeping `previous_encrypted`
    until `previous_expires_at`; False if the secret is no longer
    `replaced_encrypted` (a rotation raced this one and won)."""
    replaced = session.execute(
        update(shops)
        .where(shops.c.id == shop_id, shops.c.webhook_secret_encrypted == replaced_encrypted)
        .values(
            webhook_secret_encrypted=new_encrypted,
            previous_webhook_secret_encrypted=previous_encrypted,
            previous_secret_expires_at=previous_expires_at,
        )
    )
    return cursor_result(replaced).rowcount == 1


# --- admin API keys --------------------------------------------------------------------


def add_api_key(session: Session, shop_id: str, name: str, key_hash: str, created_at: datetime) -> int | None:
    """The new key's id; None if the shop has a live key of this name (the
    unique index decides). After None, roll back."""
    try:
        return session.execute(
            insert(api_keys)
            .values(shop_id=shop_id, name=name, key_hash=key_hash, created_at=created_at)
            .returning(api_keys.c.id)
        ).scalar_one()
    except IntegrityError:
        return None


def live_api_key(session: Session, key_hash: str):
    """The live (not revoked) key's row (id, key_hash, name) with its shop's
    id and domain; None if no shop has this key or it was revoked."""
    return session.execute(
        select(
            api_keys.c.id,
            api_keys.c.key_hash,
            api_keys.c.name,
            shops.c.id.label("shop_id"),
            shops.c.domain.label("shop_domain"),
        )
        .join(shops, shops.c.id == api_keys.c.shop_id)
        .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
    ).first()


def api_keys_page(session: Session, shop_id: str, after_id: int | None, limit: int):
    """Up to `limit` of the shop's keys, revoked ones included, in id order
    after `after_id` (a keyset page)."""
    query = select(api_keys.c.id, api_keys.c.name, api_keys.c.created_at, api_keys.c.revoked_at).where(
        api_keys.c.shop_id == shop_id
    )
    if after_id is not None:
        query = query.where(api_keys.c.id > after_id)
    return session.execute(query.order_by(api_keys.c.id).limit(limit)).all()


def api_key_by_id(session: Session, key_id: int):
    return session.execute(
        select(api_keys.c.id, api_keys.c.name, api_keys.c.shop_id, api_keys.c.revoked_at).where(
            api_keys.c.id == key_id
        )
    ).first()


def revoke_api_key(session: Session, key_id: int, revoked_at: datetime) -> bool:
    """False if there is no such live key."""
    revoked = session.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )
    return cursor_result(revoked).rowcount == 1


# --- dashboard sessions ------------------------------------------------------------------


def add_session(session: Session, id_hash: str, shop_id: str, api_key_id: int, now: datetime) -> None:
    session.execute(
        insert(admin_sessions).values(
            id_hash=id_hash, shop_id=shop_id, api_key_id=api_key_id, created_at=now, last_seen_at=now
        )
    )


def live_session(session: Session, id_hash: str):
    """The session's row (id_hash, last_seen_at) with its shop's id and
    domain and its key's name; None if there is no such session or its key
    was revoked (also when the revocation raced the sign-in)."""
    return session.execute(
        select(
            admin_sessions.c.id_hash,
            admin_sessions.c.last_seen_at,
            shops.c.id.label("shop_id"),
            shops.c.domain.label("shop_domain"),
            api_keys.c.name.label("key_name"),
        )
        .join(api_keys, api_keys.c.id == admin_sessions.c.api_key_id)
        .join(shops, shops.c.id == admin_sessions.c.shop_id)
        .where(admin_sessions.c.id_hash == id_hash, api_keys.c.revoked_at.is_(None))
    ).first()


def touch_session(session: Session, id_hash: str, now: datetime) -> None:
    session.execute(
        update(admin_sessions).where(admin_sessions.c.id_hash == id_hash).values(last_seen_at=now)
    )


def delete_session(session: Session, id_hash: str) -> None:
    session.execute(delete(admin_sessions).where(admin_sessions.c.id_hash == id_hash))


def delete_sessions_of_key(session: Session, api_key_id: int) -> None:
    session.execute(delete(admin_sessions).where(admin_sessions.c.api_key_id == api_key_id))


def delete_sessions_idle_since(session: Session, cutoff: datetime) -> None:
    session.execute(delete(admin_sessions).where(admin_sessions.c.last_seen_at < cutoff))


# --- webhook deliveries ------------------------------------------------------------------


def record_webhook_delivery(
    session: Session, shop_id: str, webhook_id: str, topic: str, event_id: str, received_at: datetime
) -> bool:
    """Remember a delivery in the caller's transaction; False if this shop
    already delivered this webhook id (the unique key decides, so two
    concurrent repeats cannot both pass). After False, roll back."""
    try:
        insert_row(
            session,
            webhook_deliveries,
            shop_id=shop_id,
            webhook_id=webhook_id,
            topic=topic,
            event_id=event_id,
            received_at=received_at,
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
