"""Who is on the other end of a storefront request: the TCP peer, unless the
peer is one of our own proxies (`LOYALTY_TRUSTED_PROXIES`: Shopify's app
proxy, a load balancer), in which case the client is the nearest address in
`X-Forwarded-For` that no trusted proxy stands for. Rate limits and the
referral fraud checks both use this address.

Each proxy appends the address it was reached from, so the list is read from
the right: every hop a trusted proxy added is believed, and the first
untrusted hop is the client. Whatever lies left of it was written by the
client itself and is ignored (anyone can send `X-Forwarded-For: 1.2.3.4`)."""

import ipaddress
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache

from werkzeug.wrappers import Request

TRUSTED_PROXIES_ENV = "LOYALTY_TRUSTED_PROXIES"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: Request) -> str:
    """The client's address for this request, as text."""
    return resolve_client(request.remote_addr, request.headers.getlist("X-Forwarded-For"), trusted_proxies())


def trusted_proxies() -> tuple[IpNetwork, ...]:
    """The configured proxies (comma- or space-separated addresses and CIDR
    networks); read at each request, so a changed setting applies at once."""
    return _parse_networks(os.environ.get(TRUSTED_PROXIES_ENV, ""))


@lru_cache(maxsize=8)
def _parse_networks(setting: str) -> tuple[IpNetwork, ...]:
    networks = []
    for entry in setting.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise RuntimeError(f"{TRUSTED_PROXIES_ENV}: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def resolve_client(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IpNetwork]) -> str:
    """The client behind `peer`: `peer` itself unless it is trusted; then
    the rightmost untrusted hop of the X-Forwarded-For headers (all of
    them, in order). A hop that is not an address ends the walk at the
    nearest trusted proxy: no proxy of ours writes one."""
    nearest = parse_address(peer or "")
    if nearest is None:
        return peer or "unknown"
    if not _is_trusted(nearest, trusted):
        return str(nearest)
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        nearest = address
        if not _is_trusted(address, trusted):
            break
    return str(nearest)


def parse_address(text: str) -> IpAddress | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
    `[2001:db8::1]:443`), IPv4-mapped IPv6 as IPv4; None if it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IpAddress, trusted: Sequence[IpNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
