"""The gateway's pure rules (no nameko, no database): who a shop and an
admin caller are (and how audit trails name them), what a shop domain, a
bearer credential and a key's name must look like, how long a dashboard
session and a rotated secret last, the two signatures made with a shop's
webhook secret (Shopify's webhook HMAC and the storefront's customer_token),
and what the storefront shows a customer. How a Shopify webhook becomes one
of our events: shopify_webhooks.py."""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from services.gateway.credentials import API_KEY_PREFIX
from shared.errors import Unauthorized, Unprocessable

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")

# --- shops and their callers -------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    id: str
    domain: str
    name: str
    webhook_secret: str = field(repr=False)
    # The secret the last rotation replaced, accepted until it expires.
    previous_webhook_secret: str | None = field(default=None, repr=False)
    previous_secret_expires_at: datetime | None = None

    def secrets_in_force(self, now: datetime) -> tuple[str, ...]:
        """The secrets that may have signed something for this shop at `now`
        (a webhook, a customer_token, a session token, an app-proxy
        signature): the current one, and during a rotation's grace period
        the one it replaced. Whatever verifies a signature tries each."""
        expires = self.previous_secret_expires_at
        if self.previous_webhook_secret and expires is not None and now < expires:
            return (self.webhook_secret, self.previous_webhook_secret)
        return (self.webhook_secret,)


@dataclass(frozen=True)
class AdminCaller:
    """Who acts on the admin API, and for which shop."""

    shop_id: str
    shop_domain: str
    # How audit trails name the caller: key_holder_actor or staff_actor.
    actor: str
    # The dashboard session signed in with, if any (its id: never logged).
    session_id: str | None = field(default=None, repr=False)


def key_holder_actor(key_name: str, shop_id: str) -> str:
    return f"api_key:{key_name}@{shop_id}"


STAFF_ID_MAX_LENGTH = 64


def staff_actor(staff_id: str) -> str:
    """A Shopify staff member, by the `sub` of their session token; 401 for
    a `sub` no staff member has."""
    if not staff_id or len(staff_id) > STAFF_ID_MAX_LENGTH or not staff_id.isprintable():
        raise Unauthorized("the session token names no staff member (sub)")
    return f"staff:{staff_id}"


KEY_NAME_MAX_LENGTH = 64


def key_name(name: str) -> str:
    """The name of a person or integration holding a key, as audit trails
    will show it; 422 if blank, too long or not printable."""
    name = (name or "").strip()
    if not name or len(name) > KEY_NAME_MAX_LENGTH or not name.isprintable():
        raise Unprocessable(
            f"a key's name is 1 to {KEY_NAME_MAX_LENGTH} printable characters",
            [{"field": "name", "message": "not a valid key name"}],
        )
    return name


# --- how long sign-ins and rotated secrets last -----------------------------------------

SESSION_IDLE_LIMIT = timedelta(hours=12)
# A session's last use is written at most this often (not on every request).
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
MAX_GRACE_HOURS = 30 * 24


def session_is_live(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at < SESSION_IDLE_LIMIT


def session_needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= SESSION_TOUCH_INTERVAL


def rotation_grace(grace_hours: float) -> timedelta:
    """How long a replaced webhook secret still verifies; 422 outside 0 to
    30 days."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise Unprocessable(
            f"the grace period is 0 to {MAX_GRACE_HOURS} hours",
            [{"field": "grace_hours", "message": "out of range"}],
        )
    return timedelta(hours=grace_hours)


# The currency a shop's money is shown in until the operator names another.
DEFAULT_CURRENCY = "USD"
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def normalize_currency(code: str) -> str:
    """`eur ` -> `EUR`: an ISO 4217 alphabetic code, three letters (the
    browser formats any such code; a symbol or a name is a 422)."""
    normalized = (code or "").strip().upper()
    if not _CURRENCY_CODE.match(normalized):
        raise Unprocessable(
            "currency must be an ISO 4217 code such as USD or EUR",
            [{"field": "currency", "message": "not three letters"}],
        )
    return normalized


def normalize_domain(domain: str) -> str:
    """`Name.MyShopify.com ` -> `name.myshopify.com`; anything that is not a
    hostname is a 422."""
    normalized = (domain or "").strip().lower().rstrip(".")
    if not _HOSTNAME.match(normalized):
        raise Unprocessable(
            "domain must be a hostname such as your-shop.myshopify.com",
            [{"field": "domain", "message": "not a valid hostname"}],
        )
    return normalized


BEARER_MAX_LENGTH = 4096


def bearer_credential(authorization: str) -> str:
    """What `Authorization: Bearer <credential>` carries: an admin API key
    or a session token; 401 if there is none."""
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthorized(
            "send Authorization: Bearer <admin API key or Shopify session token>, or sign in to the dashboard"
        )
    if len(credential) > BEARER_MAX_LENGTH:
        raise Unauthorized("the bearer credential is not valid")
    return credential


def is_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


def shop_domain_of_dest(dest: object) -> str:
    """The shop a session token is for: its `dest` claim,
    `https://{shop domain}` and nothing more (no user, port, path or
    query); 401 otherwise."""
    try:
        parts = urlsplit(dest) if isinstance(dest, str) else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or parts.netloc.lower() != parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise Unauthorized("the session token's dest is not a shop (https://{shop domain})")
    return parts.hostname


# --- signatures made with a shop's webhook secret ------------------------------------


def webhook_signature(secret: str, raw_body: bytes) -> str:
    """Shopify's X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def webhook_signature_matches(secret: str, raw_body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(webhook_signature(secret, raw_body).encode(), signature.strip().encode())


def customer_token(secret: str, shop_domain: str, customer_id: str) -> str:
    """What the shop's pages send to prove which customer is signed in."""
    return hmac.new(secret.encode(), f"{shop_domain}:{customer_id}".encode(), hashlib.sha256).hexdigest()


def customer_token_matches(secret: str, shop_domain: str, customer_id: str, token: str) -> bool:
    return hmac.compare_digest(
        customer_token(secret, shop_domain, customer_id).encode(), token.lower().encode()
    )


# --- what the storefront shows a customer ------------------------------------------------


def referral_url(shop_domain: str, code: str) -> str:
    """Where a referral link sends a friend: the shop, with the code."""
    return f"https://{shop_domain}/?ref={code}"


def storefront_customer(
    shop_domain: str,
    customer_id: str,
    profile: Mapping[str, Any] | None,
    rewards: Iterable[Mapping[str, Any]],
    link: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The widget's view of a customer (SPEC §7 "Storefront customer") from
    points' profile (None: not a member yet, so nothing earned), the shop's
    rewards and their referral link. A reward is redeemable when its cost is
    within the points the customer may spend now (excluded members may not)."""
    spendable = profile["available_points"] if profile and profile["status"] == "active" else 0
    expiry = profile["next_expiry"] if profile else None
    return {
        "customer_id": customer_id,
        "points_balance": profile["balance"] if profile else 0,
        "pending_points": profile["pending_points"] if profile else 0,
        "vip_tier": profile["vip_tier"] if profile else None,
        "next_expiry": {"points": expiry["points"], "on": expiry["date"]} if expiry else None,
        "referral_link": {"code": link["code"], "url": referral_url(shop_domain, link["code"])}
        if link
        else None,
        "rewards": [
            {
                "id": reward["id"],
                "name": reward["name"],
                "points_cost": reward["points_cost"],
                "redeemable": reward["points_cost"] <= spendable,
            }
            for reward in rewards
            if reward["active"]
        ],
    }
