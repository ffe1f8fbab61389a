"""Reviews earn points end to end: a shopper submits a review with a photo
and a Google-review proof from the storefront, the merchant approves them,
points credits the program's review points and photo bonus once, and the
review feeds show what each earned."""

from tests.support import wait_for


def signed(shop, customer_id: str, **body) -> dict:
    return {"customer_id": customer_id, "customer_token": shop.customer_token(customer_id), **body}


def test_approved_reviews_earn_the_programs_points_and_the_photo_bonus_once(shop):
    assert (
        shop.api(
            "PUT",
            "/api/program",
            json={"review_points": 50, "photo_review_bonus_points": 25, "google_review_points": 100},
        ).status_code
        == 200
    )
    shop.customer_created("7001", "rita@example.com")
    photo = shop.storefront(
        "POST",
        "/reviews",
        json=signed(
            shop,
            "7001",
            product_id="p-1",
            rating=5,
            title="Lovely",
            body="Fits well",
            media_urls=["https://cdn.example.com/rita.jpg"],
        ),
    )
    plain = shop.storefront(
        "POST", "/reviews", json=signed(shop, "7001", product_id="p-2", rating=4, title="Good", body="Nice")
    )
    google = shop.storefront(
        "POST", "/google-reviews", json=signed(shop, "7001", review_url="https://g.page/r/example/review/123")
    )
    assert (photo.status_code, plain.status_code, google.status_code) == (201, 201, 201)

    for path in (
        f"/api/reviews/{photo.json()['id']}/approve",
        f"/api/reviews/{plain.json()['id']}/approve",
        f"/api/reviews/{photo.json()['id']}/approve",  # approving twice pays once
        f"/api/google-reviews/{google.json()['id']}/approve",
    ):
        assert shop.api("POST", path).status_code == 200

    def customer():
        response = shop.api("GET", "/api/customers/7001")
        return response.json()["customer"] if response.status_code == 200 else {}

    assert wait_for(lambda: customer().get("balance") == 50 + 25 + 50 + 100), customer()
    assert sorted((a["action"], a["points"]) for a in customer()["recent_activities"]) == [
        ("Google review", 100),
        ("Photo review bonus", 25),
        ("Wrote a review", 50),
        ("Wrote a review", 50),
    ]

    def rewards():
        items = shop.api("GET", "/api/activities/reviews", params={"status": "approved"}).json()["items"]
        return {item["id"]: (item["reward_points"], item["photo_bonus_points"]) for item in items}

    assert wait_for(lambda: rewards() == {photo.json()["id"]: (50, 25), plain.json()["id"]: (50, None)}), (
        rewards()
    )
    google_feed = wait_for(
        lambda: (
            (items := shop.api("GET", "/api/activities/google-reviews").json()["items"])
            and items[0]["reward_points"] == 100
            and items
        )
    )
    assert google_feed
    assert google_feed[0]["status"] == "approved"


def test_the_same_google_review_is_paid_once_however_often_and_however_spelt(shop):
    shop.customer_created("7101", "sam@example.com")
    url = "https://www.google.com/maps/reviews/data=!4m8!14m7!1m6!2m5!1sChZDSUhN"
    first = shop.storefront("POST", "/google-reviews", json=signed(shop, "7101", review_url=url))
    again = [
        shop.storefront("POST", "/google-reviews", json=signed(shop, "7101", review_url=spelling))
        for spelling in (
            url,
            url.replace("https://www.google", "http://WWW.GOOGLE") + "/",
            url + "?utm_source=email",
        )
    ]
    a_friend = shop.storefront("POST", "/google-reviews", json=signed(shop, "7102", review_url=url))

    assert first.status_code == 201
    assert [r.status_code for r in again] == [409, 409, 409]
    assert again[0].json()["error"]["details"] == {"submission_id": first.json()["id"], "status": "pending"}
    assert a_friend.status_code == 201  # one reward per customer per review
    assert shop.api("POST", f"/api/google-reviews/{first.json()['id']}/approve").status_code == 200

    def balance():
        response = shop.api("GET", "/api/customers/7101")
        return response.json()["customer"]["balance"] if response.status_code == 200 else None

    assert wait_for(lambda: balance() == 100)
    submissions = shop.api("GET", "/api/activities/google-reviews").json()["items"]
    assert sorted(s["customer_id"] for s in submissions) == ["7101", "7102"]
