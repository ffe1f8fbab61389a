"""Shopify's app proxy: the storefront widget reaches us as
`https://{shop}/apps/loyalty/<path>`, which Shopify forwards to
`/proxy/<path>` with the query parameters `shop`, `logged_in_customer_id`
(empty for a visitor who is not signed in), `path_prefix`, `timestamp` and
`signature`: the hex HMAC-SHA256, keyed with the shop's webhook secret, of
every other parameter sorted by name, each written `name=value` (the values
of a repeated name joined by ","), concatenated with no separator.

A request is believed when its signature matches and its timestamp is
within five minutes of our clock (an old signed URL cannot be replayed
forever); the customer it names is then signed in by Shopify itself."""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.gateway.domain import Shop
from shared.errors import Unauthorized

MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class ProxyCaller:
    """The shop a proxied request came through, and who is signed in there
    (None: a visitor)."""

    shop: Shop
    customer_id: str | None

    def customer(self) -> str:
        """The signed-in customer; 401 for a visitor (only anonymous routes
        are theirs)."""
        if self.customer_id is None:
            raise Unauthorized("sign in to your account first")
        return self.customer_id


def proxy_signature(secret: str, params: Mapping[str, Sequence[str]]) -> str:
    message = "".join(
        f"{name}={','.join(values)}" for name, values in sorted(params.items()) if name != "signature"
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_proxy_request(shop: Shop, params: Mapping[str, Sequence[str]], now: datetime) -> ProxyCaller:
    """The caller of a request Shopify forwarded for `shop` (`params`: the
    query, every value of each name, in order); 401 unless its signature
    (made with a secret in force at `now`) and its timestamp hold."""
    signatures = params.get("signature") or []
    if len(signatures) != 1 or not any(
        hmac.compare_digest(proxy_signature(secret, params).encode(), signatures[0].strip().lower().encode())
        for secret in shop.secrets_in_force(now)
    ):
        raise Unauthorized("the app proxy signature is missing or not valid")
    timestamps = params.get("timestamp") or []
    if len(timestamps) != 1 or not (
        timestamps[0].isascii() and timestamps[0].isdigit() and len(timestamps[0]) < 16
    ):
        raise Unauthorized("the app proxy request has no valid timestamp")
    if abs(now.timestamp() - int(timestamps[0])) > MAX_AGE_SECONDS:
        raise Unauthorized("the app proxy request is too old; reload the page")
    customer_ids = params.get("logged_in_customer_id") or []
    customer_id = customer_ids[0].strip() if len(customer_ids) == 1 else ""
    return ProxyCaller(shop, customer_id or None)
