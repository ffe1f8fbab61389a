"""Webhooks must be signed by the shop; every admin call is scoped to the
shop its key belongs to."""

import uuid

from tests.support import wait_for


def test_webhook_with_bad_or_missing_signature_is_rejected_and_changes_nothing(shop):
    body = {
        "id": 8001,
        "email": "pat@example.com",
        "customer": {"id": 4001, "email": "pat@example.com"},
        "financial_status": "paid",
        "subtotal_price": "80.00",
        "total_price": "80.00",
        "discount_codes": [],
    }
    forged = shop.webhook("orders/paid", body, secret="not-the-secret")
    unsigned = shop.webhook("orders/paid", body, signature="")
    assert forged.status_code == 401
    assert unsigned.status_code == 401
    assert forged.json()["error"]["code"] == "unauthorized"

    # A correctly signed event after them is processed; the forged ones never were.
    shop.customer_created("4002", "quinn@example.com")
    assert wait_for(lambda: shop.api("GET", "/api/customers/4002").status_code == 200)
    assert shop.api("GET", "/api/customers/4001").status_code == 404
    assert shop.api("GET", "/api/activities/points").json()["items"] == []


def test_admin_routes_need_a_valid_key(shop):
    for path in (
        "/api/activities/points",
        "/api/activities/referrals",
        "/api/activities/reviews",
        "/api/customers/1",
        "/api/discount-codes/X",
    ):
        missing = shop.system.http.get(shop.system.url(path), timeout=10)
        wrong = shop.api("GET", path, key="lk_" + uuid.uuid4().hex)
        assert missing.status_code == 401, path
        assert wrong.status_code == 401, path
        assert set(wrong.json()["error"]) == {"code", "message", "details"}


def test_a_shop_cannot_read_or_change_another_shops_data(shop, other_shop):
    shop.customer_created("5001", "rita@example.com")
    shop.order(9001, "5001", "rita@example.com", "60.00")
    assert wait_for(
        lambda: (
            (r := shop.api("GET", "/api/customers/5001")).status_code == 200
            and r.json()["customer"]["balance"] == 60
        )
    )

    # The other shop's key sees no such customer and none of the activity.
    theirs = other_shop.api("GET", "/api/customers/5001")
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"
    assert other_shop.api("GET", "/api/activities/points").json()["items"] == []
    assert shop.api("GET", "/api/activities/points").json()["items"] != []

    # Nor can it cancel this shop's referral.
    link = shop.storefront(
        "POST", "/referral-links", json={"customer_id": "5001", "customer_token": shop.customer_token("5001")}
    ).json()
    claimed = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "sam@example.com"}
    ).json()
    assert other_shop.api("POST", f"/api/referrals/{claimed['referral_id']}/cancel").status_code == 404
    assert other_shop.api("GET", f"/api/discount-codes/{claimed['discount_code']}").status_code == 404
    assert shop.api("GET", f"/api/referrals/{claimed['referral_id']}").json()["status"] == "pending"

    # A storefront token minted with another shop's secret is refused.
    forged = shop.storefront(
        "POST",
        "/referral-links",
        json={"customer_id": "5001", "customer_token": other_shop.customer_token("5001")},
    )
    assert forged.status_code == 401
