"""What the storefront widget shows a signed-in shopper (SPEC §7,
"Storefront customer"): `GET /storefront/{shop}/customers/{id}?customer_token`."""

from datetime import date, timedelta

from tests.support import wait_for


def view(shop, customer_id: str, token: str | None = None):
    token = shop.customer_token(customer_id) if token is None else token
    return shop.storefront("GET", f"/customers/{customer_id}", params={"customer_token": token})


def reward(shop, name: str, points_cost: int, active: bool = True) -> dict:
    response = shop.api(
        "POST",
        "/api/rewards",
        json={
            "name": name,
            "kind": "fixed_amount",
            "value": "5",
            "points_cost": points_cost,
            "active": active,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def balance(shop, customer_id: str) -> int | None:
    """Polled through the admin API: the storefront's own routes are rate limited."""
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def program(shop, **rules):
    assert shop.api("PUT", "/api/program", json=rules).status_code == 200


def test_a_shopper_sees_balance_pending_tier_expiry_link_and_rewards(shop):
    program(shop, expiry_days=365, vip_tiers=[{"name": "Gold", "threshold": 50}])
    shop.customer_created("71001", "uma@example.com")
    shop.order(71101, "71001", "uma@example.com", "70.00")
    assert wait_for(lambda: balance(shop, "71001") == 70)
    program(shop, expiry_days=365, pending_days=14, vip_tiers=[{"name": "Gold", "threshold": 50}])
    shop.order(71102, "71001", "uma@example.com", "30.00")
    assert wait_for(lambda: balance(shop, "71001") == 100)
    cheap, dear = reward(shop, "$5 off", 50), reward(shop, "$20 off", 100)
    reward(shop, "Retired", 10, active=False)
    link = shop.storefront(
        "POST",
        "/referral-links",
        json={"customer_id": "71001", "customer_token": shop.customer_token("71001")},
    ).json()

    response = view(shop, "71001")

    assert response.status_code == 200
    body = response.json()
    expires_on = body["next_expiry"]["on"]
    assert date.fromisoformat(expires_on) - date.today() in (timedelta(days=365), timedelta(days=364))
    assert body == {
        "customer_id": "71001",
        "points_balance": 100,
        "pending_points": 30,
        "vip_tier": "Gold",
        "next_expiry": {"points": 100, "on": expires_on},
        "referral_link": {"code": link["code"], "url": link["url"]},
        # 70 points may be spent now (30 wait out the return window).
        "rewards": [
            {"id": cheap["id"], "name": "$5 off", "points_cost": 50, "redeemable": True},
            {"id": dear["id"], "name": "$20 off", "points_cost": 100, "redeemable": False},
        ],
        "unavailable": [],
    }


def test_a_shopper_we_have_not_heard_of_yet_has_earned_nothing(shop):
    reward(shop, "$5 off", 50)
    body = view(shop, "71999").json()
    assert (body["points_balance"], body["pending_points"], body["vip_tier"]) == (0, 0, None)
    assert (body["next_expiry"], body["referral_link"]) == (None, None)
    assert [r["redeemable"] for r in body["rewards"]] == [False]


def test_an_excluded_member_can_redeem_nothing(shop):
    shop.customer_created("71002", "vic@example.com")
    shop.order(71201, "71002", "vic@example.com", "80.00")
    assert wait_for(lambda: balance(shop, "71002") == 80)
    reward(shop, "$5 off", 50)
    assert shop.api("PUT", "/api/customers/71002/exclusion").status_code == 200
    assert [r["redeemable"] for r in view(shop, "71002").json()["rewards"]] == [False]


def test_only_the_shops_own_signature_shows_a_customer(shop, other_shop):
    shop.customer_created("71003", "wes@example.com")
    assert wait_for(lambda: balance(shop, "71003") == 0)

    assert view(shop, "71003", token="0" * 64).status_code == 401
    assert view(shop, "71003", token=other_shop.customer_token("71003")).status_code == 401
    assert view(shop, "71003", token=shop.customer_token("71004")).status_code == 401
    missing = shop.storefront("GET", "/customers/71003")
    assert missing.status_code == 422
    assert [d["field"] for d in missing.json()["error"]["details"]] == ["customer_token"]
