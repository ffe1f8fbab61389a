"""Shops and who may act for them: creating a shop with its credentials,
finding a shop by domain (webhooks, storefront) and the shop an admin API
key belongs to (admin API)."""
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.gateway.credentials import (
    API_KEY_PREFIX, hash_api_key, new_api_key, new_shop_id, new_webhook_secret, secret_box,
)
from services.gateway.models import api_keys, metadata, shops
from shared import config
from shared.clock import utcnow
from shared.db import UnitOfWork, make_engine
from shared.errors import Conflict, Unauthorized, Unprocessable
from shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")


@dataclass(frozen=True)
class Shop:
    id: str
    domain: str
    name: str
    webhook_secret: str


@dataclass(frozen=True)
class AdminCaller:
    """The shop an admin API key belongs to, and which key it was."""
    shop_id: str
    shop_domain: str
    key_label: str

    @property
    def actor(self) -> str:
        """How audit trails name this caller."""
        return f"api_key:{self.key_label}@{self.shop_id}"


def normalize_domain(domain: str) -> str:
    """`Name.MyShopify.com ` -> `name.myshopify.com`; anything that is not a
    hostname is a 422."""
    normalized = (domain or "").strip().lower().rstrip(".")
    if not _HOSTNAME.match(normalized):
        raise Unprocessable("domain must be a hostname such as your-shop.myshopify.com",
                            [{"field": "domain", "message": "not a valid hostname"}])
    return normalized


def create_shop(session: Session, domain: str, now: datetime | None = None, key_label: str = "admin") -> dict:
    """Add a shop with a new admin API key and webhook secret. The caller
    commits. The plaintext key and secret are in the result and nowhere else:
    the key is stored as its hash, the secret encrypted."""
    domain = normalize_domain(domain)
    now = now or utcnow()
    if session.execute(select(shops.c.id).where(shops.c.domain == domain)).first() is not None:
        raise Conflict("a shop with this domain already exists", {"domain": domain})
    shop_id, api_key, webhook_secret = new_shop_id(), new_api_key(), new_webhook_secret()
    try:
        session.execute(insert(shops).values(
            id=shop_id, domain=domain, name=domain.split(".")[0],
            webhook_secret_encrypted=secret_box().encrypt(webhook_secret), created_at=now))
    except IntegrityError:
        # Another process created the same domain between our check and insert.
        raise Conflict("a shop with this domain already exists", {"domain": domain})
    session.execute(insert(api_keys).values(
        shop_id=shop_id, label=key_label, key_hash=hash_api_key(api_key), created_at=now))
    return {"shop": {"id": shop_id, "domain": domain},
            "admin_api_key": api_key, "webhook_secret": webhook_secret}


def create_shop_cli(domain: str, database_url: str | None = None) -> dict:
    """`loyalty shops create DOMAIN`: straight to the gateway's database (the
    same one the running gateway uses), migrated first."""
    url = database_url or config.database_url("gateway")
    upgrade_to_head(MIGRATIONS, url)
    engine = make_engine(url)
    try:
        with UnitOfWork(sessionmaker(engine), metadata, "gateway") as uow:
            created = create_shop(uow.session, domain)
            uow.commit()
    finally:
        engine.dispose()
    return {"shop": created["shop"]["id"], "domain": created["shop"]["domain"],
            "admin_api_key": created["admin_api_key"], "webhook_secret": created["webhook_secret"]}


def find_shop_by_domain(session: Session, domain: str) -> Shop | None:
    row = session.execute(
        select(shops.c.id, shops.c.domain, shops.c.name, shops.c.webhook_secret_encrypted)
        .where(shops.c.domain == (domain or "").strip().lower())
    ).first()
    if row is None:
        return None
    return Shop(row.id, row.domain, row.name, secret_box().decrypt(row.webhook_secret_encrypted))


def authenticate_admin(session: Session, authorization: str | None) -> AdminCaller:
    """The caller behind `Authorization: Bearer <admin API key>`, or 401."""
    scheme, _, api_key = (authorization or "").strip().partition(" ")
    api_key = api_key.strip()
    if scheme.lower() != "bearer" or not api_key:
        raise Unauthorized("an admin API key is required: send Authorization: Bearer <key>")
    if not api_key.startswith(API_KEY_PREFIX) or len(api_key) > 200:
        raise Unauthorized("the admin API key is not valid")
    digest = hash_api_key(api_key)
    # Looking a key up by its SHA-256 leaks nothing through timing (nobody
    # can steer the bytes of a hash); compare_digest re-checks the row found.
    row = session.execute(
        select(api_keys.c.key_hash, api_keys.c.label, shops.c.id, shops.c.domain)
        .join(shops, shops.c.id == api_keys.c.shop_id)
        .where(api_keys.c.key_hash == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise Unauthorized("the admin API key is not valid")
    return AdminCaller(shop_id=row.id, shop_domain=row.domain, key_label=row.label)
