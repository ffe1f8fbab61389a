"""The overview end to end: a day of orders, refunds, a reversal,
adjustments, a redemption, an exclusion, referrals completed, pending and
cancelled (before and after completing), and reviews approved, rejected and
pending, all through webhooks, the storefront and the admin API (and a
referral link clicked once more than it was claimed). Once the
feeds show it all, GET /api/dashboard for that day adds up to exactly what
the feeds list for the same window, and every row names its customer (and a
review its product). Expiry is day-grained; its roll-up is checked against
the feed over weeks of a moved clock in services/points/tests/test_overview.py."""

from datetime import UTC, datetime

from tests.e2e.test_referral_flows import claim, referral_link
from tests.support import wait_for


def signed(shop, customer_id: str, **body) -> dict:
    return {"customer_id": customer_id, "customer_token": shop.customer_token(customer_id), **body}


def every_row(shop, path: str, window: dict, **params) -> list:
    rows, cursor = [], None
    while True:
        page = shop.api("GET", path, params={**window, **params, "limit": 200, "cursor": cursor}).json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def order_with_products(
    shop, order_id: int, customer_id: str, email: str, subtotal: str, codes=(), name=None
):
    body = shop.order_body(order_id, customer_id, email, subtotal, discount_codes=codes)
    body["customer"].update(first_name=name, last_name="Buyer" if name else None)
    body["line_items"] = [
        {"product_id": 880001, "title": "Linen shirt", "quantity": 1},
        {"product_id": None, "title": "Gift wrap", "quantity": 1},
    ]
    assert shop.webhook("orders/paid", body).status_code == 200


def profile(shop, customer_id: str) -> dict | None:
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"] if response.status_code == 200 else None


def submitted(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def test_the_days_overview_adds_up_to_what_the_feeds_list_and_rows_name_people(shop, monkeypatch):
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_BURST", "1000")  # one shopper's address does it all
    program = {"review_points": 50, "photo_review_bonus_points": 25, "google_review_points": 100}
    assert shop.api("PUT", "/api/program", json=program).status_code == 200
    reward = shop.api(
        "POST",
        "/api/rewards",
        json={"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 100},
    ).json()
    shop.customer_created("8101", "ada@example.com", first_name="Ada", last_name="Byron")
    shop.customer_created("8102", "ben@example.com", first_name="Ben", last_name="Ng")
    shop.customer_created("8103", "cy@example.com", first_name="Cy", last_name="Old")
    assert wait_for(lambda: all(profile(shop, c) for c in ("8101", "8102", "8103")))

    # Points: orders, a partial refund, a reversal, adjustments, a redemption.
    order_with_products(shop, 81001, "8101", "ada@example.com", "300.00")
    order_with_products(shop, 81002, "8102", "ben@example.com", "120.00")
    assert wait_for(
        lambda: profile(shop, "8101")["balance"] == 300 and profile(shop, "8102")["balance"] == 120
    )
    refund = {"id": 81901, "order_id": 81001, "refund_line_items": [{"subtotal": "100.00"}]}
    assert shop.webhook("refunds/create", refund).status_code == 200
    assert wait_for(lambda: profile(shop, "8101")["balance"] == 200)
    earned = shop.api("GET", "/api/customers/8102/activities").json()["items"][0]
    assert shop.api("POST", f"/api/point-activities/{earned['ref']['id']}/reversal").status_code == 201
    for customer_id, points in [("8103", 40), ("8103", -15), ("8101", 10)]:
        adjustment = {"points": points, "reason": "goodwill"}
        response = shop.api("POST", f"/api/customers/{customer_id}/points-adjustments", json=adjustment)
        assert response.status_code == 201, response.text
    redeemed = shop.api("POST", "/api/customers/8101/redemptions", json={"reward_id": reward["id"]})
    assert redeemed.status_code == 201, redeemed.text
    assert shop.api("PUT", "/api/customers/8103/exclusion").status_code == 200

    # Referrals: completed, cancelled after completing, cancelled pending, pending.
    code = referral_link(shop, "8101")
    completed = claim(shop, code, "dee@example.com")
    undone = claim(shop, code, "eve@example.com")
    dropped = claim(shop, code, "fay@example.com")
    claim(shop, code, "gus@example.com")
    # A friend who clicked and went away: the funnel's top is wider than its claims.
    link_clicks = shop.storefront("POST", f"/referrals/{code}/clicks").json()["clicks"]
    order_with_products(shop, 81003, "8104", "dee@example.com", "40.00", [completed["discount_code"]], "Dee")
    order_with_products(shop, 81004, "8105", "eve@example.com", "60.00", [undone["discount_code"]], "Eve")
    assert wait_for(lambda: profile(shop, "8101")["balance"] == 200 + 10 - 100 + 2 * 500)
    for cancelled in (undone, dropped):
        response = shop.api("POST", f"/api/referrals/{cancelled['referral_id']}/cancel")
        assert response.status_code == 200, response.text

    # Reviews: approved (with a photo), rejected, pending; Google reviews approved and pending.
    def post(path: str, customer_id: str, **body) -> dict:
        return submitted(shop.storefront("POST", path, json=signed(shop, customer_id, **body)))

    photo = post(
        "/reviews", "8101", product_id="880001", rating=5, media_urls=["https://cdn.example.com/a.jpg"]
    )
    rejected = post("/reviews", "8102", product_id="880001", rating=1)
    post("/reviews", "8102", product_id="990009", rating=4)
    google = post("/google-reviews", "8101", review_url="https://g.page/r/ada/review/1")
    post("/google-reviews", "8102", review_url="https://g.page/r/ben/review/2")
    for path in (
        f"/api/reviews/{photo['id']}/approve",
        f"/api/reviews/{rejected['id']}/reject",
        f"/api/google-reviews/{google['id']}/approve",
    ):
        assert shop.api("POST", path).status_code == 200

    today = datetime.now(UTC).date().isoformat()
    dashboard = shop.api("GET", "/api/dashboard", params={"from": today, "to": today}).json()
    window = dashboard["range"]
    assert window["from"].startswith(today)

    # Everything has landed once the feeds show the rewards points paid.
    def settled():
        reviews = every_row(shop, "/api/activities/reviews", window)
        google_reviews = every_row(shop, "/api/activities/google-reviews", window)
        referrals = every_row(shop, "/api/activities/referrals", window)
        return (
            {r["id"]: (r["reward_points"], r["photo_bonus_points"]) for r in reviews}.get(photo["id"])
            == (50, 25)
            and {r["id"]: r["reward_points"] for r in google_reviews}.get(google["id"]) == 100
            and {r["id"]: r["referrer_reward_points"] for r in referrals}.get(undone["referral_id"]) == 500
            and (reviews, google_reviews, referrals)
        )

    reviews, google_reviews, referrals = wait_for(settled)
    points = every_row(shop, "/api/activities/points", window)
    dashboard = shop.api("GET", "/api/dashboard", params={"from": today, "to": today}).json()

    def points_of(kind: str) -> int:
        return sum(row["points"] for row in points if row["type"] == kind)

    def by_status(rows: list, statuses=("pending", "approved", "rejected")) -> dict:
        return {status: len([row for row in rows if row["status"] == status]) for status in statuses}

    customers = shop.api("GET", "/api/customers", params={"limit": 200}).json()["items"]
    assert dashboard["unavailable"] == []
    assert dashboard["totals"] == {
        "points_earned": points_of("earned"),
        "points_redeemed": -points_of("redeemed"),
        "points_refunded": -points_of("refunded"),
        "points_expired": -points_of("expired"),
        "points_adjusted": points_of("adjusted"),
        "active_members": len([c for c in customers if c["status"] == "active"]),
        "new_members": len(customers),
        "outstanding_points": sum(c["balance"] for c in customers),
        "referrals": by_status(referrals, ("pending", "completed", "cancelled")),
        "referral_points_rewarded": sum(row["referrer_reward_points"] or 0 for row in referrals),
        "referral_link_clicks": link_clicks,
        "reviews": by_status(reviews),
        "review_points_rewarded": sum(
            (row["reward_points"] or 0) + (row["photo_bonus_points"] or 0) for row in reviews
        ),
        "google_reviews": by_status(google_reviews),
        "reviews_average_rating": round(sum(row["rating"] for row in reviews) / len(reviews), 2),
    }
    # Every kind is there, so equal totals are not two zeros agreeing.
    totals = dashboard["totals"]
    assert min(totals["points_refunded"], totals["points_redeemed"], -totals["points_adjusted"]) > 0
    assert totals["referrals"] == {"pending": 1, "completed": 1, "cancelled": 2}
    assert totals["reviews"] == {"pending": 1, "approved": 1, "rejected": 1}
    assert (totals["referral_link_clicks"], totals["reviews_average_rating"]) == (5, 3.33)
    assert totals["active_members"] == totals["new_members"] - 1
    assert dashboard["series"] == [
        {
            "date": today,
            "earned": totals["points_earned"],
            "redeemed": totals["points_redeemed"],
            "expired": totals["points_expired"],
        }
    ]
    assert [row["id"] for row in dashboard["recent"]["points"]] == [row["id"] for row in points[:5]]
    assert [row["id"] for row in dashboard["recent"]["referrals"]] == [row["id"] for row in referrals[:5]]
    assert [row["id"] for row in dashboard["recent"]["reviews"]] == [row["id"] for row in reviews[:5]]
    assert [row["id"] for row in dashboard["recent"]["google_reviews"]] == [
        r["id"] for r in google_reviews[:5]
    ]

    # People and products, not ids.
    review = next(row for row in reviews if row["id"] == photo["id"])
    assert (review["product_title"], review["customer_name"], review["customer_email"]) == (
        "Linen shirt",
        "Ada Byron",
        "ada@example.com",
    )
    assert next(row for row in reviews if row["product_id"] == "990009")["product_title"] is None
    assert {(row["customer_name"], row["customer_email"]) for row in google_reviews} == {
        ("Ada Byron", "ada@example.com"),
        ("Ben Ng", "ben@example.com"),
    }
    assert {(row["customer_name"], row["customer_email"]) for row in referrals} == {
        ("Ada Byron", "ada@example.com")
    }
    dee = next(row for row in points if row["customer_id"] == "8104")
    assert (dee["customer_name"], dee["customer_email"]) == ("Dee Buyer", "dee@example.com")
