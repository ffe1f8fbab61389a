"""The merged timeline end to end (SPEC §7): activity of every kind through
webhooks, the storefront and the admin API, then GET /api/activities and a
customer's /api/customers/{id}/activities paged with small limits. Every
item appears exactly once, newest first, whatever the page size, and new
activity arriving between pages (newer than the cursor) neither shows up
in later pages nor pushes anything older out of them."""

from datetime import datetime

from tests.e2e.test_overview import order_with_products, profile, signed, submitted
from tests.e2e.test_referral_flows import claim, referral_link
from tests.support import wait_for


def pages(shop, path: str, limit: int, between_pages=lambda: None, **filters) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = shop.api("GET", path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["unavailable"] == []
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        between_pages()


def newest_first(items: list[dict]) -> bool:
    times = [datetime.fromisoformat(item["occurred_at"]) for item in items]
    return times == sorted(times, reverse=True)


def every_kind_of_activity(shop, monkeypatch) -> dict:
    """Orders, a refund, an adjustment, a redemption, an exclusion and a
    profile edit; referrals claimed, completed and cancelled; reviews and
    Google reviews submitted, approved and rejected; Ada's tier changes.
    The counts of items the timeline should then hold, by kind."""
    monkeypatch.setenv("LOYALTY_RATE_LIMIT_BURST", "1000")  # one shopper's address does it all
    tiers = [{"name": "Silver", "threshold": 250}]
    program = {"review_points": 50, "google_review_points": 100, "vip_tiers": tiers}
    assert shop.api("PUT", "/api/program", json=program).status_code == 200
    reward = shop.api(
        "POST",
        "/api/rewards",
        json={"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 100},
    ).json()
    shop.customer_created("9101", "ada@example.com", first_name="Ada", last_name="Byron")
    shop.customer_created("9102", "ben@example.com", first_name="Ben", last_name="Ng")
    assert wait_for(lambda: profile(shop, "9101") and profile(shop, "9102"))

    order_with_products(shop, 91001, "9101", "ada@example.com", "300.00")
    order_with_products(shop, 91002, "9102", "ben@example.com", "120.00")
    assert wait_for(
        lambda: profile(shop, "9101")["balance"] == 300 and profile(shop, "9102")["balance"] == 120
    )
    refund = {"id": 91901, "order_id": 91001, "refund_line_items": [{"subtotal": "100.00"}]}
    assert shop.webhook("refunds/create", refund).status_code == 200
    assert wait_for(lambda: profile(shop, "9101")["balance"] == 200)
    adjustment = {"points": 10, "reason": "goodwill"}
    assert shop.api("POST", "/api/customers/9102/points-adjustments", json=adjustment).status_code == 201
    assert (
        shop.api("POST", "/api/customers/9101/redemptions", json={"reward_id": reward["id"]}).status_code
        == 201
    )

    code = referral_link(shop, "9101")
    completed = claim(shop, code, "dee@example.com")
    dropped = claim(shop, code, "fay@example.com")
    order_with_products(shop, 91003, "9104", "dee@example.com", "40.00", [completed["discount_code"]], "Dee")
    assert wait_for(lambda: profile(shop, "9101")["balance"] == 200 - 100 + 500)
    assert shop.api("POST", f"/api/referrals/{dropped['referral_id']}/cancel").status_code == 200

    def post(path: str, customer_id: str, **body) -> dict:
        return submitted(shop.storefront("POST", path, json=signed(shop, customer_id, **body)))

    approved = post("/reviews", "9101", product_id="880001", rating=5, title="Lovely", body="Soft linen")
    rejected = post("/reviews", "9102", product_id="880001", rating=1, title="No", body="Itchy")
    google = post("/google-reviews", "9101", review_url="https://g.page/r/ada/review/1")
    for path in (
        f"/api/reviews/{approved['id']}/approve",
        f"/api/reviews/{rejected['id']}/reject",
        f"/api/google-reviews/{google['id']}/approve",
    ):
        assert shop.api("POST", path).status_code == 200
    # The rewards for the approvals land last: 3 orders, a refund, an
    # adjustment, a redemption, the referrer's, the review's and the Google review's.
    assert wait_for(lambda: profile(shop, "9101")["balance"] == 600 + 50 + 100)
    assert shop.api("PATCH", "/api/customers/9102", json={"name": "Benjamin Ng"}).status_code == 200
    assert shop.api("PUT", "/api/customers/9102/exclusion").status_code == 200
    # Ada's tier: Silver by her order, none after its refund, Silver again by the referral.
    return {"points": 9 + 3, "admin": 2, "referral": 2 + 1 + 1, "review": 2 + 2, "google_review": 1 + 1}


def kinds(items: list[dict]) -> dict:
    counted: dict[str, int] = {}
    for item in items:
        counted[item["kind"]] = counted.get(item["kind"], 0) + 1
    return counted


def test_paging_the_merged_timeline_shows_every_item_once_in_order_while_activity_arrives(shop, monkeypatch):
    expected_kinds = every_kind_of_activity(shop, monkeypatch)
    everything = pages(shop, "/api/activities", 200)
    assert kinds(everything) == expected_kinds
    assert len({item["id"] for item in everything}) == len(everything)
    assert newest_first(everything)

    # People and products, not ids.
    review = next(
        item for item in everything if item["kind"] == "review" and item["ref"]["status"] == "approved"
    )
    assert (review["customer_name"], review["customer_email"]) == ("Ada Byron", "ada@example.com")
    assert review["ref"]["product_title"] == "Linen shirt"
    assert review["points"] == 50
    completion = next(item for item in everything if item["id"].startswith("referral_completed:"))
    assert (completion["customer_id"], completion["points"]) == ("9101", 500)
    assert completion["ref"]["referee_email"] == "dee@example.com"
    assert {item["summary"] for item in everything if item["kind"] == "admin"} == {
        "Excluded from the program",
        "Profile edited: name",
    }

    for limit in (1, 2, 5):
        assert pages(shop, "/api/activities", limit) == everything

    arrived = []

    def new_activity():
        reason = f"arrived {len(arrived)}"
        response = shop.api(
            "POST", "/api/customers/9101/points-adjustments", json={"points": 1, "reason": reason}
        )
        assert response.status_code == 201, response.text
        arrived.append(response.json()["activity"]["id"])
        # It has landed: the timeline's first page shows it.
        assert (
            shop.api("GET", "/api/activities", params={"limit": 1}).json()["items"][0]["ref"]["id"]
            == arrived[-1]
        )

    assert pages(shop, "/api/activities", 3, new_activity) == everything
    assert len(arrived) == -(-len(everything) // 3) - 1  # one between each two pages
    assert [item["ref"]["id"] for item in pages(shop, "/api/activities", 200)[: len(arrived)]] == arrived[
        ::-1
    ]


def test_a_customers_timeline_is_theirs_and_pages_the_same_way(shop, monkeypatch):
    every_kind_of_activity(shop, monkeypatch)
    everything = pages(shop, "/api/activities", 200)
    adas = pages(shop, "/api/customers/9101/activities", 200)
    # Ada's own points and reviews, and the referrals she made.
    assert adas == [item for item in everything if item["customer_id"] == "9101"]
    assert kinds(adas) == {"points": 6 + 3, "referral": 4, "review": 2, "google_review": 2}
    assert [item["summary"] for item in adas if item["id"].startswith("points_tier:")] == [
        "Tier changed: no tier → Silver",
        "Tier changed: Silver → no tier",
        "Tier changed: no tier → Silver",
    ]
    assert [item["ref"]["reason"] for item in adas if item["id"].startswith("points_tier:")] == [
        "earned",
        "refunded",
        "earned",
    ]
    bens = pages(shop, "/api/customers/9102/activities", 200)
    assert kinds(bens) == {"points": 2, "admin": 2, "review": 2}
    # Dee was referred: the referral she claimed and completed is in her timeline too.
    dees = pages(shop, "/api/customers/9104/activities", 200)
    assert {item["id"].split(":")[0] for item in dees} == {"referral_claimed", "referral_completed", "points"}

    for limit in (1, 2, 3):
        assert pages(shop, "/api/customers/9101/activities", limit) == adas
    for kind in ("points", "referral", "review", "google_review"):
        expected = [item for item in adas if item["kind"] == kind]
        assert pages(shop, "/api/customers/9101/activities", 1, kind=kind) == expected
    assert pages(shop, "/api/activities", 1, kind="admin") == [i for i in everything if i["kind"] == "admin"]

    new_reviews = []

    def new_review():
        body = signed(shop, "9101", product_id="880002", rating=4, title="Nice", body="Fits")
        new_reviews.append(submitted(shop.storefront("POST", "/reviews", json=body))["id"])

    assert pages(shop, "/api/customers/9101/activities", 2, new_review) == adas
    latest = pages(shop, "/api/customers/9101/activities", 200)
    assert [item["ref"]["id"] for item in latest[: len(new_reviews)]] == new_reviews[::-1]
    assert latest[len(new_reviews) :] == adas

    assert shop.api("GET", "/api/customers/nobody/activities").status_code == 404
    assert shop.api("GET", "/api/activities", params={"cursor": "garbage"}).status_code == 400
