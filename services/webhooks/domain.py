"""The rules of outbound webhooks, plain Python: which event is which topic,
the body and its signature, when to try again and when to give up, and
which URLs and addresses a delivery may go to (no SSRF). Time and
randomness come in as arguments."""

import base64
import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from shared.errors import Unprocessable

# --- topics -------------------------------------------------------------------

# The events other services publish, by type, and the SPEC §7 topic each is.
# points_awarded is two topics, told apart by its reason, and points_deducted
# four, by the type of its ledger entry (topic_of).
TOPIC_OF_EVENT = {
    "member_tier_changed": "member.tier_changed",
    "member_excluded": "member.excluded",
    "member_included": "member.included",
    "referral_claimed": "referral.claimed",
    "referral_completed": "referral.completed",
    "referral_cancelled": "referral.cancelled",
    "review_approved": "review.approved",
    "google_review_approved": "google_review.approved",
}
POINTS_AWARDED = "points_awarded"
POINTS_DEDUCTED = "points_deducted"


def topic_of(event_type: str, payload: dict[str, Any]) -> str:
    """The topic an event is delivered under."""
    if event_type == POINTS_AWARDED:
        return "points.adjusted" if payload.get("reason") == "adjustment" else "points.earned"
    if event_type == POINTS_DEDUCTED:
        return f"points.{payload['type']}"  # redeemed, refunded, expired or adjusted
    return TOPIC_OF_EVENT[event_type]


def customer_of(payload: dict[str, Any]) -> str | None:
    """The customer an event is about, whose deliveries go out in order."""
    customer = payload.get("customer_id") or payload.get("referrer_customer_id")
    return str(customer) if customer is not None else None


def delivery_body(event_id: str, topic: str, shop_domain: str, occurred_at: datetime, data: Any) -> bytes:
    """The exact bytes POSTed (and signed): `{"id","topic","shop","occurred_at","data"}`."""
    document = {
        "id": event_id,
        "topic": topic,
        "shop": shop_domain,
        "occurred_at": occurred_at.isoformat(),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """X-Loyalty-Hmac-Sha256: base64 of HMAC-SHA256(secret, raw body)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# --- retries ------------------------------------------------------------------

RETRY_WINDOW = timedelta(hours=24)  # a delivery is retried this long after its first attempt
DISABLE_AFTER = timedelta(hours=24)  # a subscription failing this long straight is disabled
FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 3600.0


def backoff_seconds(attempt: int, jitter: float) -> float:
    """The pause after failed attempt number `attempt` (1, 2, ...): 10 s
    doubled each time, at most an hour, times a jitter factor in [0.5, 1)
    from `jitter` in [0, 1), so receivers that fail together are not all
    tried again in the same second."""
    base = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** max(0, attempt - 1))
    return base * (0.5 + jitter / 2)


def next_attempt_at(
    first_attempt_at: datetime, now: datetime, attempt: int, jitter: float
) -> datetime | None:
    """When to try a failed delivery again, or None: give up (its 24 h are over)."""
    deadline = first_attempt_at + RETRY_WINDOW
    if now >= deadline:
        return None
    return min(deadline, now + timedelta(seconds=backoff_seconds(attempt, jitter)))


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER


def disabled_reason(failing_since: datetime) -> str:
    return f"every delivery failed for 24 hours (since {failing_since.isoformat()})"


# --- where a delivery may go (no SSRF) ------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str  # "https", or "http" to loopback when allowed
    host: str  # as written (a name or an address), for Host and TLS SNI
    port: int
    path: str  # path and query, as sent in the request line


def target_of(url: str, allow_http: bool) -> Target:
    """The URL as a delivery target, or Unprocessable naming `url`. https
    only; plain http only when `allow_http` (LOYALTY_ALLOW_HTTP_WEBHOOKS=1,
    for tests), and then only to a loopback address."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise _bad_url("has a port that is not a number") from None
    if not parts.hostname:
        raise _bad_url("must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise _bad_url("must not carry a user name or password")
    if scheme == "http" and allow_http:
        if not is_loopback_host(parts.hostname):
            raise _bad_url("plain http is only allowed to a loopback address")
    elif scheme != "https":
        raise _bad_url("must be an https:// URL")
    literal = _address(parts.hostname)
    if literal is not None and scheme == "https" and refusal_of(literal) is not None:
        raise _bad_url(f"must not point at a {refusal_of(literal)} address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80), path)


def _bad_url(message: str) -> Unprocessable:
    return Unprocessable("request is not valid", [{"field": "url", "message": message}])


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback_host(host: str) -> bool:
    address = _address(host)
    return host.lower() == "localhost" or (address is not None and address.is_loopback)


def refusal_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a delivery must not go to `address` (a private, loopback, ...
    address: the app's own network), or None if it may. An IPv4 address
    written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is;
    one carried inside a 6to4 (2002:a00:1::1) or Teredo address, whose
    relay would deliver to it, is judged as well. NAT64 (64:ff9b::/96) is
    refused whatever it carries (reserved)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            for carried in (address.sixtofour, address.teredo[1] if address.teredo else None):
                if carried is not None and (reason := refusal_of(carried)) is not None:
                    return reason
    for quality in (
        "unspecified",
        "loopback",
        "link_local",
        "site_local",
        "multicast",
        "reserved",
        "private",
    ):
        if getattr(address, f"is_{quality}", False):  # site-local: IPv6 only
            return quality.replace("_", "-")
    if not address.is_global:  # shared (100.64/10), documentation ranges, ...
        return "non-public"
    return None


def allowed_address(address: str, target: Target, allow_http: bool) -> str | None:
    """Why a delivery to `target` must not connect to `address` (one the
    host resolved to), or None if it may: loopback only for plain http in
    tests, never anything but public addresses otherwise."""
    parsed = ipaddress.ip_address(address)
    if target.scheme == "http" and allow_http:
        return None if parsed.is_loopback else "plain http only to a loopback address"
    reason = refusal_of(parsed)
    return None if reason is None else f"{target.host} resolves to a {reason} address ({address})"
