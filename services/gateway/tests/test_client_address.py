"""Whose address a storefront request counts against: X-Forwarded-For is
believed only as far as our own proxies wrote it."""

import ipaddress

import pytest

from services.gateway.client_address import _parse_networks, resolve_client
from services.gateway.rate_limits import RateLimitSettings, TokenBuckets, client_key

pytestmark = pytest.mark.unit

PROXIES = _parse_networks("10.0.0.0/8, 192.0.2.1 2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # No proxy of ours in front: the peer, whatever the header claims.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # One trusted proxy: the hop it added.
        ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
        # What the client wrote itself (left of the proxy's hop) is ignored.
        ("10.1.2.3", ["6.6.6.6, 1.1.1.1, 198.51.100.1"], "198.51.100.1"),
        # Several trusted proxies in a row, across several headers.
        ("10.1.2.3", ["6.6.6.6, 198.51.100.1", "192.0.2.1, 10.9.9.9"], "198.51.100.1"),
        # Only proxies: the farthest one is as near the client as we know.
        ("10.1.2.3", ["10.4.4.4"], "10.4.4.4"),
        ("10.1.2.3", [], "10.1.2.3"),
        # Ports, brackets and IPv4-mapped addresses as proxies write them.
        ("10.1.2.3", ["198.51.100.1:51234"], "198.51.100.1"),
        ("10.1.2.3", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("::ffff:10.1.2.3", ["::ffff:198.51.100.1"], "198.51.100.1"),
        ("2001:db8:ffff::1", ["2001:db8::7"], "2001:db8::7"),
        # Garbage where a proxy of ours would have written an address: the
        # nearest trusted proxy, never the garbage.
        ("10.1.2.3", ["unknown"], "10.1.2.3"),
        ("10.1.2.3", ["198.51.100.1, not-an-ip, 10.4.4.4"], "10.4.4.4"),
    ],
)
def test_the_client_is_the_nearest_hop_no_trusted_proxy_stands_for(peer, forwarded_for, client):
    assert resolve_client(peer, forwarded_for, PROXIES) == client


def test_without_trusted_proxies_the_header_is_never_believed():
    assert resolve_client("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_a_misconfigured_proxy_list_is_refused_loudly():
    with pytest.raises(RuntimeError, match="LOYALTY_TRUSTED_PROXIES"):
        _parse_networks("10.0.0.0/8, proxy.internal")


def test_ipv6_clients_are_limited_by_their_slash_64():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert ipaddress.ip_network(client_key("2001:db8:1:2::1")).prefixlen == 64
    assert client_key("198.51.100.1") == "198.51.100.1"


def test_a_token_bucket_gives_a_burst_then_one_token_per_refill():
    buckets, settings = TokenBuckets(), RateLimitSettings(per_minute=30, burst=10)
    key = ("shp_1", "198.51.100.7")

    assert [buckets.take(key, settings, now=100.0) for _ in range(10)] == [0.0] * 10
    assert buckets.take(key, settings, now=100.0) == pytest.approx(2.0)  # one token every 2 s
    assert buckets.take(key, settings, now=101.0) == pytest.approx(1.0)
    assert buckets.take(key, settings, now=102.0) == 0.0  # the next token came back
    assert buckets.take(key, settings, now=102.0) == pytest.approx(2.0)
    assert buckets.take(key, settings, now=122.0) == 0.0  # 20 s later: ten back, one taken
    assert [buckets.take(key, settings, now=122.0) for _ in range(9)] == [0.0] * 9
    assert buckets.take(key, settings, now=122.0) > 0
    assert buckets.take(("shp_1", "198.51.100.8"), settings, now=122.0) == 0.0  # its own bucket


def test_the_buckets_kept_are_bounded():
    buckets, settings = TokenBuckets(max_buckets=3), RateLimitSettings(per_minute=30, burst=1)
    for client in ("a", "b", "c", "d"):
        assert buckets.take(("shp", client), settings, now=0.0) == 0.0
    # "a" was forgotten (least recently used): a forgotten bucket is a full one.
    assert buckets.take(("shp", "a"), settings, now=0.0) == 0.0
    assert buckets.take(("shp", "d"), settings, now=0.0) > 0


def test_the_default_limit_is_a_burst_of_ten_then_thirty_a_minute(monkeypatch):
    monkeypatch.delenv("LOYALTY_RATE_LIMIT_PER_MINUTE", raising=False)
    monkeypatch.delenv("LOYALTY_RATE_LIMIT_BURST", raising=False)
    settings = RateLimitSettings.from_environment()
    assert (settings.burst, settings.per_minute, settings.refill_seconds) == (10, 30, 2.0)
