"""Rate limits of the storefront and app-proxy routes, per client address
(client_address.py) and shop: a token bucket (SPEC §7) holding
LOYALTY_RATE_LIMIT_BURST tokens (default 10), refilled at
LOYALTY_RATE_LIMIT_PER_MINUTE (default 30, one every 2 s); a request takes
one; with none left, 429 with Retry-After (the seconds until the next one).

The bucket is kept as GCRA keeps it (the "generic cell rate algorithm",
a token bucket written as one number): the moment the bucket will be full
again. No library here offers a token bucket (`limits` has fixed and
moving windows, which let a client back in other amounts at other times).

The buckets live in this gateway process: with several replicas behind a
balancer, a client gets up to that many times the limit (point the
balancer's stickiness at the client address to keep it exact)."""

import ipaddress
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from services.gateway.client_address import parse_address
from shared.errors import TooManyRequests

DEFAULT_PER_MINUTE = 30
DEFAULT_BURST = 10
# Buckets kept at most; the least recently used go first (a full bucket
# forgotten is the same as a full bucket kept).
MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class RateLimitSettings:
    per_minute: int
    burst: int

    @classmethod
    def from_environment(cls) -> "RateLimitSettings":
        """Read at each request (cheaply), so a changed setting applies at once."""
        try:
            settings = cls(
                per_minute=int(os.environ.get("LOYALTY_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_MINUTE)),
                burst=int(os.environ.get("LOYALTY_RATE_LIMIT_BURST", DEFAULT_BURST)),
            )
        except ValueError:
            raise RuntimeError("LOYALTY_RATE_LIMIT_PER_MINUTE and _BURST must be whole numbers") from None
        if settings.per_minute < 1 or settings.burst < 1:
            raise RuntimeError("LOYALTY_RATE_LIMIT_PER_MINUTE and _BURST must be at least 1")
        return settings

    @property
    def refill_seconds(self) -> float:
        """The time one token takes to come back."""
        return 60 / self.per_minute


class TokenBuckets:
    """Token buckets by key, in this process."""

    def __init__(self, max_buckets: int = MAX_BUCKETS):
        self._full_at: OrderedDict[tuple[str, ...], float] = OrderedDict()
        self._max = max_buckets
        self._lock = threading.Lock()

    def take(self, key: tuple[str, ...], settings: RateLimitSettings, now: float) -> float:
        """Take a token from the bucket of `key`: 0 if there was one, else
        the seconds until there will be (and nothing is taken)."""
        refill = settings.refill_seconds
        with self._lock:
            full_at = max(self._full_at.get(key, now), now)
            after_taking = full_at + refill
            # The bucket holds `burst` tokens: it may be at most that many
            # refills away from full.
            if after_taking - now > settings.burst * refill:
                return after_taking - now - settings.burst * refill
            self._full_at[key] = after_taking
            self._full_at.move_to_end(key)
            while len(self._full_at) > self._max:
                self._full_at.popitem(last=False)
            return 0.0


_BUCKETS = TokenBuckets()


def admit(client: str, shop_id: str, now: float | None = None) -> None:
    """Count one request of `client` to `shop_id`'s storefront; 429
    (TooManyRequests, with the seconds to wait) when over the limit."""
    settings = RateLimitSettings.from_environment()
    wait = _BUCKETS.take((shop_id, client_key(client)), settings, time.monotonic() if now is None else now)
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
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
