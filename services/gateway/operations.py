"""The gateway's own work: creating a shop with its credentials (also from
the CLI), taking in a shop's webhook (verify, translate, dedupe, outbox) and
gathering a customer's detail (for the merchant, and for the storefront
widget) from the services that hold it."""

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from services.gateway import repository
from services.gateway.auth import find_shop_by_domain
from services.gateway.credentials import hash_token, new_api_key, new_shop_id, new_webhook_secret
from services.gateway.domain import (
    DEFAULT_CURRENCY,
    Shop,
    normalize_currency,
    normalize_domain,
    storefront_customer,
    webhook_signature_matches,
)
from services.gateway.models import metadata
from services.gateway.rpc import RPC_TIMEOUT_SECONDS, optional_call, optional_result, results
from services.gateway.shopify_webhooks import (
    WebhookDelivery,
    delivery_id,
    event_for_webhook,
    is_supported,
    refusal_record,
)
from services.gateway.web import json_document
from shared import config
from shared.clock import utcnow
from shared.db import UnitOfWork, make_engine
from shared.errors import BadRequest, Conflict, LoyaltyError, NotFound, Unauthorized, Unprocessable
from shared.secret_box import secret_box

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# --- shops -------------------------------------------------------------------------------


def create_shop(
    session: Session,
    domain: str,
    now: datetime | None = None,
    key_name: str = "admin",
    currency: str = DEFAULT_CURRENCY,
) -> dict:
    """Add a shop, whose money is in `currency`, with a first admin API key
    (named `key_name`) and a webhook secret. The caller commits. The plaintext key and secret are in
    the result and nowhere else: the key is stored as its hash, the secret
    encrypted."""
    domain = normalize_domain(domain)
    currency = normalize_currency(currency)
    now = now or utcnow()
    if repository.domain_taken(session, domain):
        raise Conflict("a shop with this domain already exists", {"domain": domain})
    shop_id, api_key, webhook_secret = new_shop_id(), new_api_key(), new_webhook_secret()
    # Another process may have created the same domain since our check.
    if not repository.add_shop(
        session, shop_id, domain, domain.split(".")[0], currency, secret_box().encrypt(webhook_secret), now
    ):
        raise Conflict("a shop with this domain already exists", {"domain": domain})
    repository.add_api_key(session, shop_id, key_name, hash_token(api_key), now)
    return {
        "shop": {"id": shop_id, "domain": domain, "currency": currency},
        "admin_api_key": api_key,
        "webhook_secret": webhook_secret,
    }


@contextlib.contextmanager
def cli_unit_of_work(database_url: str | None = None) -> Iterator[UnitOfWork]:
    """A unit of work for the operator's CLI, straight on the gateway's
    database (the same one the running gateway uses), migrated first."""
    url = database_url or config.database_url("gateway")
    _upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with UnitOfWork(sessionmaker(engine), metadata, "gateway") as uow:
            yield uow
    finally:
        engine.dispose()


def create_shop_cli(domain: str, currency: str = DEFAULT_CURRENCY, database_url: str | None = None) -> dict:
    """`loyalty shops create DOMAIN [--currency EUR]`."""
    with cli_unit_of_work(database_url) as uow:
        created = create_shop(uow.session, domain, currency=currency)
        uow.commit()
    return {
        "shop": created["shop"]["id"],
        "domain": created["shop"]["domain"],
        "currency": created["shop"]["currency"],
        "admin_api_key": created["admin_api_key"],
        "webhook_secret": created["webhook_secret"],
    }


# --- shop webhooks -------------------------------------------------------------------------


def _upgrade_to_head(url: str) -> None:
    # Imported here: the running gateway migrates in a child process and
    # never needs alembic; only these command-line operations do.
    from shared.migrations import upgrade_to_head

    upgrade_to_head(MIGRATIONS, url)


def accept_webhook(db, delivery: WebhookDelivery) -> dict:
    """Verify, dedupe and record as an event; the outbox relay publishes
    it, so the shop gets its 200 without waiting on the broker."""
    with db.unit_of_work() as uow:
        shop = find_shop_by_domain(uow.session, delivery.shop_domain)
    # An unknown shop and a bad signature look the same from outside.
    if shop is None or not any(
        webhook_signature_matches(secret, delivery.body, delivery.signature)
        for secret in shop.secrets_in_force(db.clock.now())
    ):
        raise Unauthorized("webhook signature is missing or not valid")
    if not is_supported(delivery.topic):
        return {"status": "ignored", "topic": delivery.topic}
    webhook_id = delivery_id(delivery.webhook_id)
    try:
        payload = event_for_webhook(delivery.topic, json_document(delivery.body))
    except (BadRequest, Unprocessable) as refusal:
        return refuse_webhook(db, shop.id, webhook_id, delivery.topic, refusal)
    with db.unit_of_work() as uow:
        event = uow.publish(shop.id, payload)
        if not repository.record_webhook_delivery(
            uow.session, shop.id, webhook_id, delivery.topic, str(event.event_id), db.clock.now()
        ):
            log.info("webhook %s (%s) of shop %s was already accepted", webhook_id, delivery.topic, shop.id)
            return {"status": "duplicate"}
        uow.commit()
    log.info(
        "accepted webhook %s (%s) of shop %s as %s %s",
        webhook_id,
        delivery.topic,
        shop.id,
        event.type,
        event.event_id,
    )
    return {"status": "accepted", "event_id": str(event.event_id)}


def refuse_webhook(db, shop_id: str, webhook_id: str, topic: str, refusal: LoyaltyError) -> dict:
    """A signed webhook that can never be applied (not JSON, an amount out
    of range, a name too long...): recorded with why, for `loyalty webhooks
    refused`, and answered 200, or the platform would send it again for
    days. Nothing of it goes further, so nothing can fail downstream."""
    reason, details = refusal_record(refusal)
    with db.unit_of_work() as uow:
        repository.record_refused_webhook(
            uow.session, shop_id, webhook_id, topic, reason, details, db.clock.now()
        )
        uow.commit()
    log.info("refused webhook %r (%s) of shop %s: %s %s", webhook_id, topic, shop_id, reason, details)
    return {"status": "refused", "reason": reason, "details": details}


def refused_webhooks_cli(
    shop_domain: str | None, before: int | None, limit: int, database_url: str | None = None
) -> dict:
    """`loyalty webhooks refused`: the newest refused deliveries (of one shop,
    or all), `limit` at a time; `next_before` continues the listing."""
    url = database_url or config.database_url("gateway")
    _upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with UnitOfWork(sessionmaker(engine), metadata, "gateway") as uow:
            shop_id = None
            if shop_domain is not None:
                shop = repository.shop_by_domain(uow.session, normalize_domain(shop_domain))
                if shop is None:
                    raise NotFound("no such shop", {"shop": shop_domain})
                shop_id = shop.id
            rows = repository.refused_webhooks_page(uow.session, shop_id, before, limit)
    finally:
        engine.dispose()
    shown = rows[:limit]
    return {
        "items": [
            {
                "id": row["id"],
                "shop": row["domain"],
                "webhook_id": row["webhook_id"],
                "topic": row["topic"],
                "reason": row["reason"],
                "details": row["details"],
                "received_at": row["received_at"].isoformat(),
            }
            for row in shown
        ],
        "next_before": shown[-1]["id"] if len(rows) > limit else None,
    }


# --- the admin API's customer detail ----------------------------------------------------------


def customer_detail(points, referrals, reviews, shop_id: str, customer_id: str) -> dict:
    """The profile from points, their referrals and their reviews, asked
    in parallel. Points' answer decides (a customer it does not know is
    its 404); a section whose service is down comes back null and is
    named in `unavailable`, so the merchant can still see and act on the
    profile."""
    asked = {"shop_id": shop_id, "customer_id": customer_id}
    profile = points.get_customer.call_async(**asked)
    referrals = optional_call(referrals.list_customer_referrals, **asked)
    reviews = optional_call(reviews.list_customer_reviews, **asked)
    deadline = time.monotonic() + RPC_TIMEOUT_SECONDS
    customer = results(profile)[0]
    referrals, reviews = (optional_result(reply, deadline) for reply in (referrals, reviews))
    return {
        "customer": customer,
        "referrals": referrals and referrals["items"],
        "reviews": reviews and reviews["reviews"],
        "google_reviews": reviews and reviews["google_reviews"],
        "unavailable": [
            name for name, section in (("referrals", referrals), ("reviews", reviews)) if section is None
        ],
    }


def storefront_customer_view(points, referrals, shop: Shop, customer_id: str) -> dict:
    """The widget's view of a signed-in customer: points' profile and the
    shop's rewards, and their referral link, asked in parallel. A customer
    points does not know yet has earned nothing (the shop's pages know
    them before our webhook does). Without referrals the link is null and
    `unavailable` names it."""
    asked = {"shop_id": shop.id, "customer_id": customer_id}
    profile = points.get_customer.call_async(**asked)
    rewards = points.list_rewards.call_async(shop_id=shop.id)
    link = optional_call(referrals.get_referral_link, **asked)
    deadline = time.monotonic() + RPC_TIMEOUT_SECONDS
    try:
        customer = results(profile)[0]
    except NotFound:
        customer = None
    catalog = results(rewards)[0]["items"]
    linked = optional_result(link, deadline)
    view = storefront_customer(shop.domain, customer_id, customer, catalog, linked and linked["link"])
    return {**view, "unavailable": [] if linked is not None else ["referrals"]}
