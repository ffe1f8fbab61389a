"""The storefront's doors under load: each client gets its own rate limit at
each shop (a burst of 10, then 30 a minute; 429 with Retry-After past it),
and the client is whoever stands behind our own proxies, for the limits and
for the referral fraud checks alike."""

import random
import time

import pytest

from tests.support import wait_for


@pytest.fixture
def behind_our_proxy(monkeypatch):
    """The test client plays our load balancer (127.0.0.1, trusted): the
    client address each request names in X-Forwarded-For is believed."""
    monkeypatch.setenv("LOYALTY_TRUSTED_PROXIES", "127.0.0.0/8, ::1")


@pytest.fixture
def slow_refill(monkeypatch):
    """One token a minute: a test that counts answers past the burst then
    reads the same however long its requests take on a busy machine (at the
    default a token comes back every 2 s, within the test's own run)."""
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_PER_MINUTE", "1")


def new_address() -> str:
    return f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"


def check_code(shop, client: str | None = None, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for or client} if (forwarded_for or client) else {}
    return shop.storefront("GET", "/discount-codes/NO-SUCH-CODE", headers=headers)


def test_a_client_gets_a_burst_of_ten_then_429_with_retry_after(
    shop, other_shop, behind_our_proxy, slow_refill
):
    client = new_address()

    answers = [check_code(shop, client).status_code for _ in range(10)]
    refused = check_code(shop, client)

    assert answers == [200] * 10
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    # A token comes back every 60 s at one a minute (every 2 s at the default
    # 30: services/gateway/tests/test_client_address.py).
    assert 58 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["details"] == {"retry_after_seconds": int(refused.headers["Retry-After"])}
    # Another shopper of the same shop, and the same shopper at another shop,
    # each have their own allowance.
    assert check_code(shop, new_address()).status_code == 200
    assert check_code(other_shop, client).status_code == 200


def test_the_limit_is_configurable_and_retry_after_is_honest(shop, behind_our_proxy, monkeypatch):
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_PER_MINUTE", "120")
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_BURST", "2")
    client = new_address()

    assert [check_code(shop, client).status_code for _ in range(2)] == [200, 200]
    refused = check_code(shop, client)
    assert refused.status_code == 429
    time.sleep(int(refused.headers["Retry-After"]))
    assert check_code(shop, client).status_code == 200


def test_a_client_cannot_pick_its_address_unless_it_is_our_proxy(shop, monkeypatch, slow_refill):
    monkeypatch.delenv("LOYALTY_TRUSTED_PROXIES", raising=False)
    # Not behind a trusted proxy: a new X-Forwarded-For each time changes
    # nothing, every request counts against the peer's own address.
    answers = [check_code(shop, new_address()).status_code for _ in range(11)]
    assert answers == [200] * 10 + [429]


def test_behind_our_proxy_only_the_hop_it_added_counts(shop, behind_our_proxy, slow_refill):
    client = new_address()
    # The client writes its own X-Forwarded-For; the proxy appends the
    # address it was reached from: only that one is believed.
    answers = [check_code(shop, forwarded_for=f"{new_address()}, {client}").status_code for _ in range(11)]
    assert answers == [200] * 10 + [429]


def referral_code(shop, customer_id: str) -> str:
    """A new member's referral link code (made from the test's own address)."""
    shop.customer_created(customer_id, f"{customer_id}@example.com")
    assert wait_for(lambda: shop.api("GET", f"/api/customers/{customer_id}").status_code == 200)
    return shop.storefront(
        "POST",
        "/referral-links",
        json={"customer_id": customer_id, "customer_token": shop.customer_token(customer_id)},
    ).json()["code"]


def test_link_clicks_cannot_be_inflated_by_one_client(shop, behind_our_proxy, slow_refill):
    code = referral_code(shop, "61001")
    clicker = new_address()

    def click(client):
        return shop.storefront("POST", f"/referrals/{code}/clicks", headers={"X-Forwarded-For": client})

    answers = [click(clicker) for _ in range(30)]

    assert [a.status_code for a in answers] == [201] * 10 + [429] * 20
    assert answers[9].json()["clicks"] == 10
    assert click(new_address()).json()["clicks"] == 11


def test_referral_claims_are_limited_per_shopper_behind_the_proxy(shop, behind_our_proxy, monkeypatch):
    """Behind the app proxy every claim reaches us from the proxy's few
    addresses: the weekly claims limit must count the shopper's address."""
    monkeypatch.setenv("REFERRAL_MAX_CLAIMS_PER_IP_PER_WEEK", "2")
    code = referral_code(shop, "62001")
    abuser, shoppers = new_address(), [new_address() for _ in range(4)]

    def claim(client, email):
        return shop.storefront(
            "POST", f"/referrals/{code}/claims", json={"email": email}, headers={"X-Forwarded-For": client}
        )

    by_abuser = [claim(abuser, f"friend{n}@example.com") for n in range(3)]
    by_shoppers = [claim(client, f"shopper{n}@example.com") for n, client in enumerate(shoppers)]

    assert [r.status_code for r in by_abuser] == [201, 201, 409]
    assert by_abuser[2].json()["error"]["details"] == {"reason": "too_many_claims"}
    # Four other shoppers, all through the same proxy: none is refused.
    assert [r.status_code for r in by_shoppers] == [201] * 4
