"""The merchant's customer detail, end to end over HTTP: besides the points
profile it lists the customer's referrals (as referrer and as referee) and
their reviews with what each earned, and only ever the shop's own."""

from tests.support import wait_for


def signed(shop, customer_id: str, **body) -> dict:
    return {"customer_id": customer_id, "customer_token": shop.customer_token(customer_id), **body}


def detail(shop, customer_id: str) -> dict:
    response = shop.api("GET", f"/api/customers/{customer_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_referrer_and_the_referee_both_see_the_referral_with_their_role(shop, other_shop):
    shop.customer_created("8001", "alice@example.com")
    assert wait_for(lambda: shop.api("GET", "/api/customers/8001").status_code == 200)
    link = shop.storefront("POST", "/referral-links", json=signed(shop, "8001")).json()
    assert shop.storefront("POST", f"/referrals/{link['code']}/clicks").status_code == 201
    claimed = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "bob@example.com"}
    ).json()
    shop.order(8101, "8002", "bob@example.com", "40.00", discount_codes=[claimed["discount_code"]])

    def referrals_of(customer_id):
        response = shop.api("GET", f"/api/customers/{customer_id}")
        return response.json()["referrals"] if response.status_code == 200 else []

    # Completed, the referrer's reward recorded (500 points by default) and
    # the code's use reported by points, which owns codes.
    found = wait_for(
        lambda: (
            (items := referrals_of("8001"))
            and items[0]["referrer_reward_points"] == 500
            and items[0]["discount_code_status"] == "used"
            and items
        )
    )
    assert found, referrals_of("8001")
    [as_referrer] = found
    assert (as_referrer["id"], as_referrer["role"], as_referrer["status"]) == (
        claimed["referral_id"],
        "referrer",
        "completed",
    )
    assert (as_referrer["referee_email"], as_referrer["referee_customer_id"]) == ("bob@example.com", "8002")
    assert (as_referrer["discount_code"], as_referrer["discount_code_status"]) == (
        claimed["discount_code"],
        "used",
    )
    assert all(as_referrer["steps"].values())

    [as_referee] = referrals_of("8002")
    assert (as_referee["id"], as_referee["role"]) == (claimed["referral_id"], "referee")
    assert (as_referee["referrer_customer_id"], as_referee["referrer_email"]) == ("8001", "alice@example.com")

    # Another shop's customer with the same id has none of it.
    other_shop.customer_created("8001", "someone@example.com")
    assert wait_for(lambda: other_shop.api("GET", "/api/customers/8001").status_code == 200)
    theirs = detail(other_shop, "8001")
    assert theirs["customer"]["email"] == "someone@example.com"
    assert (theirs["referrals"], theirs["reviews"], theirs["google_reviews"]) == ([], [], [])
    assert other_shop.api("GET", "/api/customers/8002").status_code == 404


def test_a_reviewers_detail_lists_their_reviews_with_the_reward_each_earned(shop, other_shop):
    assert (
        shop.api(
            "PUT",
            "/api/program",
            json={"review_points": 50, "photo_review_bonus_points": 25, "google_review_points": 100},
        ).status_code
        == 200
    )
    shop.customer_created("8201", "rita@example.com")
    approved = shop.storefront(
        "POST",
        "/reviews",
        json=signed(
            shop,
            "8201",
            product_id="p-1",
            rating=5,
            title="Lovely",
            body="Fits well",
            media_urls=["https://cdn.example.com/rita.jpg"],
        ),
    ).json()
    waiting = shop.storefront(
        "POST", "/reviews", json=signed(shop, "8201", product_id="p-2", rating=3, title="Fine")
    ).json()
    google = shop.storefront(
        "POST",
        "/google-reviews",
        json=signed(shop, "8201", review_url="https://g.page/r/example/review/8201"),
    ).json()
    assert shop.api("POST", f"/api/reviews/{approved['id']}/approve").status_code == 200
    assert shop.api("POST", f"/api/google-reviews/{google['id']}/approve").status_code == 200

    def rewarded():
        response = shop.api("GET", "/api/customers/8201")
        if response.status_code != 200:
            return None
        found = response.json()
        rewards = {r["id"]: (r["reward_points"], r["photo_bonus_points"]) for r in found["reviews"]}
        google_rewards = [g["reward_points"] for g in found["google_reviews"]]
        return rewards.get(approved["id"]) == (50, 25) and google_rewards == [100] and found

    found = wait_for(rewarded)
    assert found, detail(shop, "8201")
    assert [(r["id"], r["status"], r["title"]) for r in found["reviews"]] == [
        (waiting["id"], "pending", "Fine"),
        (approved["id"], "approved", "Lovely"),
    ]
    assert [(g["id"], g["status"]) for g in found["google_reviews"]] == [(google["id"], "approved")]
    assert found["referrals"] == []
    assert found["customer"]["balance"] == 50 + 25 + 100

    other_shop.customer_created("8201", "not.rita@example.com")
    assert wait_for(lambda: other_shop.api("GET", "/api/customers/8201").status_code == 200)
    assert detail(other_shop, "8201")["reviews"] == []
