"""Who may act for a shop, managed: admin API keys per person or
integration (created, listed, revoked from the operator's CLI), the
dashboard's sign-in sessions (opened with a key, closed by signing out),
and the rotation of a shop's webhook secret with a grace period.

Only hashes of keys and session ids are stored; a key and a new secret are
in the result of the call that made them and nowhere else."""

from datetime import datetime

from sqlalchemy.orm import Session

from services.gateway import repository
from services.gateway.auth import live_key
from services.gateway.credentials import (
    csrf_token,
    hash_token,
    new_api_key,
    new_session_id,
    new_webhook_secret,
)
from services.gateway.domain import (
    SESSION_IDLE_LIMIT,
    AdminCaller,
    key_holder_actor,
    key_name,
    normalize_domain,
    rotation_grace,
)
from services.gateway.operations import cli_unit_of_work
from shared.clock import utcnow
from shared.errors import Conflict, NotFound
from shared.secret_box import secret_box

KEYS_PAGE_SIZE = 100

# --- admin API keys (the CLI) ------------------------------------------------------------


def _shop_id(session: Session, domain: str) -> str:
    row = repository.shop_by_domain(session, normalize_domain(domain))
    if row is None:
        raise NotFound("no such shop", {"domain": domain})
    return row.id


def create_key(session: Session, domain: str, name: str, now: datetime) -> dict:
    """A new key for the shop, held by `name`; 409 if a live key already
    has that name (audit trails name the holder, so two would be one)."""
    name = key_name(name)
    shop_id = _shop_id(session, domain)
    api_key = new_api_key()
    key_id = repository.add_api_key(session, shop_id, name, hash_token(api_key), now)
    if key_id is None:
        raise Conflict("this shop already has a live key of this name", {"name": name})
    return {"key": api_key, "id": key_id, "name": name}


def create_key_cli(domain: str, name: str, database_url: str | None = None) -> dict:
    """`loyalty keys create --shop DOMAIN --name NAME`."""
    with cli_unit_of_work(database_url) as uow:
        created = create_key(uow.session, domain, name, utcnow())
        uow.commit()
    return created


def list_keys_cli(domain: str, database_url: str | None = None) -> list[dict]:
    """`loyalty keys list --shop DOMAIN`: every key the shop ever had, page
    by page, revoked ones with when."""
    listed: list[dict] = []
    with cli_unit_of_work(database_url) as uow:
        shop_id = _shop_id(uow.session, domain)
        after_id = None
        while page := repository.api_keys_page(uow.session, shop_id, after_id, KEYS_PAGE_SIZE):
            listed.extend(
                {
                    "id": row.id,
                    "name": row.name,
                    "created_at": row.created_at.isoformat(),
                    "revoked_at": row.revoked_at and row.revoked_at.isoformat(),
                }
                for row in page
            )
            after_id = page[-1].id
    return listed


def revoke_key(session: Session, key_id: int, now: datetime) -> dict:
    """Revoke a key and end the dashboard sessions opened with it; its next
    request is refused (nothing caches a key). 404 if there is no such live
    key."""
    key = repository.api_key_by_id(session, key_id)
    if key is None or not repository.revoke_api_key(session, key_id, now):
        raise NotFound("no such live key", {"id": key_id})
    repository.delete_sessions_of_key(session, key_id)
    return {"id": key.id, "name": key.name, "shop": key.shop_id, "revoked_at": now.isoformat()}


def revoke_key_cli(key_id: int, database_url: str | None = None) -> dict:
    """`loyalty keys revoke ID`."""
    with cli_unit_of_work(database_url) as uow:
        revoked = revoke_key(uow.session, key_id, utcnow())
        uow.commit()
    return revoked


# --- webhook secret rotation (the CLI) ---------------------------------------------------------


def rotate_webhook_secret(session: Session, domain: str, grace_hours: float, now: datetime) -> dict:
    """A new webhook secret for the shop. The one it replaces still verifies
    (webhooks, customer tokens, session tokens, app-proxy signatures) for
    `grace_hours`, so the platform and the shop's pages can switch over;
    a secret replaced before is forgotten at once."""
    grace = rotation_grace(grace_hours)
    domain = normalize_domain(domain)
    row = repository.shop_by_domain(session, domain)
    if row is None:
        raise NotFound("no such shop", {"domain": domain})
    secret = new_webhook_secret()
    keep_replaced = grace.total_seconds() > 0
    until = now + grace if keep_replaced else None
    if not repository.replace_webhook_secret(
        session,
        row.id,
        row.webhook_secret_encrypted,
        secret_box().encrypt(secret),
        row.webhook_secret_encrypted if keep_replaced else None,
        until,
    ):
        raise Conflict("the secret was rotated at the same time; rotate again", {"domain": domain})
    return {
        "domain": domain,
        "webhook_secret": secret,
        "previous_secret_valid_until": until and until.isoformat(),
    }


def rotate_webhook_secret_cli(domain: str, grace_hours: float, database_url: str | None = None) -> dict:
    """`loyalty shops rotate-secret DOMAIN --grace-hours H`."""
    with cli_unit_of_work(database_url) as uow:
        rotated = rotate_webhook_secret(uow.session, domain, grace_hours, utcnow())
        uow.commit()
    return rotated


# --- dashboard sessions ------------------------------------------------------------------


def open_session(db, api_key: str) -> tuple[str, AdminCaller]:
    """Sign the key's holder in: a new session id (for the cookie; only its
    hash is stored) and who they are. 401 for a key that is not live.
    Sessions idle past their lifetime are cleared on the way."""
    now = db.clock.now()
    session_id = new_session_id()
    with db.unit_of_work() as uow:
        key = live_key(uow.session, api_key)
        repository.delete_sessions_idle_since(uow.session, now - SESSION_IDLE_LIMIT)
        repository.add_session(uow.session, hash_token(session_id), key.shop_id, key.id, now)
        uow.commit()
    return session_id, AdminCaller(
        key.shop_id, key.shop_domain, key_holder_actor(key.name, key.shop_id), session_id
    )


def close_session(db, caller: AdminCaller) -> None:
    """Sign out: the caller's dashboard session ends on every replica."""
    if caller.session_id is None:
        return
    with db.unit_of_work() as uow:
        repository.delete_session(uow.session, hash_token(caller.session_id))
        uow.commit()


def signed_in(db, caller: AdminCaller) -> dict:
    """What the dashboard shows of who is signed in and their shop (its
    currency formats the shop's money), and the CSRF token its writes must
    carry (null for a bearer credential, which needs none)."""
    with db.unit_of_work() as uow:
        currency = repository.shop_currency(uow.session, caller.shop_id)
    return {
        "shop": {"id": caller.shop_id, "domain": caller.shop_domain, "currency": currency},
        "actor": caller.actor,
        "csrf_token": csrf_token(caller.session_id) if caller.session_id else None,
    }
