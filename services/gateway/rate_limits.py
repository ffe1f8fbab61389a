"""Rate limits of the storefront and app-proxy routes, per client address
(client_address.py) and shop: a burst of LOYALTY_RATE_LIMIT_BURST requests
(default 10), LOYALTY_RATE_LIMIT_PER_MINUTE (default 30) in the long run;
past that, 429 with Retry-After.

The `limits` library keeps the count. It has no token bucket, so the
bucket is its moving window of `burst` requests per `burst / rate`
(10 per 20 s): the same burst and the same long-run rate, never more
permissive; where a bucket would let one request through every 60/rate
seconds after a spent burst, the window lets them through as the burst's
requests age out (Retry-After says when).

Where the counts live is LOYALTY_RATE_LIMIT_STORAGE, a `limits` storage
URI: `memory://` (the default) keeps them in this process, so with several
gateway replicas behind a balancer a client gets up to that many times the
limit; `redis://host:6379` (with the `redis` package installed) shares one
count between replicas."""

import ipaddress
import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from services.gateway.client_address import parse_address
from shared.errors import TooManyRequests

DEFAULT_PER_MINUTE = 30
DEFAULT_BURST = 10


@dataclass(frozen=True)
class RateLimitSettings:
    per_minute: int
    burst: int
    storage_uri: str

    @classmethod
    def from_environment(cls) -> "RateLimitSettings":
        """Read at each request (cheaply), so a changed setting applies at once."""
        try:
            settings = cls(
                per_minute=int(os.environ.get("LOYALTY_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_MINUTE)),
                burst=int(os.environ.get("LOYALTY_RATE_LIMIT_BURST", DEFAULT_BURST)),
                storage_uri=os.environ.get("LOYALTY_RATE_LIMIT_STORAGE", "memory://"),
            )
        except ValueError:
            raise RuntimeError("LOYALTY_RATE_LIMIT_PER_MINUTE and _BURST must be whole numbers") from None
        if settings.per_minute < 1 or settings.burst < 1:
            raise RuntimeError("LOYALTY_RATE_LIMIT_PER_MINUTE and _BURST must be at least 1")
        return settings

    @property
    def window(self) -> RateLimitItem:
        """`burst` requests per the time the rate takes to earn them."""
        return RateLimitItemPerSecond(self.burst, max(1, round(self.burst * 60 / self.per_minute)))


@lru_cache(maxsize=4)
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def admit(client: str, shop_id: str) -> None:
    """Count one request of `client` to `shop_id`'s storefront; 429
    (TooManyRequests, with the seconds to wait) when over the limit."""
    settings = RateLimitSettings.from_environment()
    limiter, window, key = _limiter(settings.storage_uri), settings.window, client_key(client)
    if limiter.hit(window, "storefront", shop_id, key):
        return
    reset_at = limiter.get_window_stats(window, "storefront", shop_id, key).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise TooManyRequests(
        "too many requests; slow down and try again shortly", {"retry_after_seconds": retry_after}
    )


def client_key(client: str) -> str:
    """Whom a limit counts: the address, or for IPv6 its /64 (one
    subscriber's whole network, or a single address would rotate freely)."""
    address = parse_address(client)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return client
