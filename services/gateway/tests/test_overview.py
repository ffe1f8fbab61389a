"""GET /api/dashboard at the gateway: the range as whole UTC days, the three
services asked together, and a service that does not answer named in
`unavailable` while the others' parts are still shown."""

from datetime import UTC, datetime, timedelta

from nameko.exceptions import RemoteError, UnknownService

from services.gateway.tests.conftest import answer

POINTS = {
    "totals": {
        "points_earned": 120,
        "points_redeemed": 50,
        "points_refunded": 20,
        "points_expired": 5,
        "points_adjusted": -15,
        "active_members": 3,
        "new_members": 2,
        "outstanding_points": 30,
    },
    "series": [
        {"date": "2026-03-01", "earned": 120, "redeemed": 50, "expired": 0},
        {"date": "2026-03-02", "earned": 0, "redeemed": 0, "expired": 5},
    ],
    "recent": [{"id": 7, "type": "earned"}],
}
REFERRALS = {
    "totals": {
        "referrals": {"pending": 1, "completed": 2, "cancelled": 0},
        "referral_points_rewarded": 500,
        "referral_link_clicks": 9,
    },
    "recent": [{"id": "ref_1"}],
}
REVIEWS = {
    "totals": {
        "reviews": {"approved": 1, "pending": 0, "rejected": 1},
        "review_points_rewarded": 50,
        "google_reviews": {"approved": 0, "pending": 1, "rejected": 0},
        "reviews_average_rating": 3.5,
    },
    "recent_reviews": [{"id": "rv_1"}],
    "recent_google_reviews": [{"id": "gr_1"}],
}


def test_the_overview_joins_the_three_services_parts_for_whole_days(gateway, shop):
    answer(gateway.points.overview, POINTS)
    answer(gateway.referrals.overview, REFERRALS)
    answer(gateway.reviews.overview, REVIEWS)

    response = shop.api("GET", "/api/dashboard", params={"from": "2026-03-01", "to": "2026-03-02T15:00:00Z"})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "range": {"from": "2026-03-01T00:00:00+00:00", "to": "2026-03-02T23:59:59.999999+00:00"},
        "totals": POINTS["totals"] | REFERRALS["totals"] | REVIEWS["totals"],
        "series": POINTS["series"],
        "recent": {
            "points": POINTS["recent"],
            "referrals": REFERRALS["recent"],
            "reviews": REVIEWS["recent_reviews"],
            "google_reviews": REVIEWS["recent_google_reviews"],
        },
        "unavailable": [],
    }
    for proxy in (gateway.points, gateway.referrals, gateway.reviews):
        proxy.overview.call_async.assert_called_once_with(
            shop_id=shop.id, from_="2026-03-01", to="2026-03-02"
        )


def test_a_service_that_does_not_answer_is_named_and_the_rest_still_shown(gateway, shop):
    answer(gateway.points.overview, RemoteError("OperationalError", "database is locked"))
    answer(gateway.referrals.overview, REFERRALS)
    gateway.reviews.overview.call_async.side_effect = UnknownService("reviews")

    response = shop.api("GET", "/api/dashboard", params={"from": "2026-03-01", "to": "2026-03-02"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unavailable"] == ["points", "reviews"]
    assert body["totals"]["referrals"] == REFERRALS["totals"]["referrals"]
    assert body["totals"]["referral_link_clicks"] == 9
    assert body["totals"]["points_earned"] is None
    assert body["totals"]["reviews"] is None
    assert body["totals"]["reviews_average_rating"] is None
    assert body["series"] == [
        {"date": "2026-03-01", "earned": None, "redeemed": None, "expired": None},
        {"date": "2026-03-02", "earned": None, "redeemed": None, "expired": None},
    ]
    assert body["recent"] == {
        "points": [],
        "referrals": REFERRALS["recent"],
        "reviews": [],
        "google_reviews": [],
    }


def test_the_range_defaults_to_the_last_30_days_and_is_checked(gateway, shop):
    for proxy in (gateway.points, gateway.referrals, gateway.reviews):
        answer(proxy.overview, None)  # no part: only the range matters here

    today = datetime.now(UTC).date()
    body = shop.api("GET", "/api/dashboard").json()
    assert body["range"]["to"].startswith(today.isoformat())
    assert body["range"]["from"].startswith((today - timedelta(days=29)).isoformat())
    assert len(body["series"]) == 30

    for params, field in [
        ({"from": "2026-03-02", "to": "2026-03-01"}, None),
        ({"from": "2025-01-01", "to": "2026-03-01"}, None),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-03-01T10:00:00"}, "to"),
    ]:
        response = shop.api("GET", "/api/dashboard", params=params)
        assert response.status_code == 422, (params, response.text)
        if field:
            assert field in response.text
