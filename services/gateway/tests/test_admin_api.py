"""The admin API: every /api route needs the shop's key, and the key — never
the request — decides which shop's data the services are asked about."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.gateway.tests.conftest import answer
from shared.errors import Conflict, NotFound

ADMIN_ROUTES = [
    ("GET", "/api/activities/points"),
    ("GET", "/api/activities/referrals"),
    ("GET", "/api/activities/reviews"),
    ("GET", "/api/activities/google-reviews"),
    ("GET", "/api/customers/1001"),
    ("GET", "/api/discount-codes/WELCOME-1"),
    ("GET", "/api/referrals/ref_1"),
    ("POST", "/api/referrals/ref_1/cancel"),
    ("POST", "/api/reviews/rev_1/approve"),
    ("POST", "/api/reviews/rev_1/reject"),
    ("POST", "/api/google-reviews/gr_1/approve"),
    ("POST", "/api/google-reviews/gr_1/reject"),
]

PAGE = {
    "items": [
        {
            "id": 7,
            "customer_id": "1001",
            "customer_email": "ann@example.com",
            "type": "earned",
            "action": "Placed order #1001",
            "points": 40,
            "balance_after": 40,
            "occurred_at": "2026-11-20T10:00:00Z",
        }
    ],
    "next_cursor": "WyIyMDI2LTExLTIwVDEwOjAwOjAwKzAwOjAwIiwgN10",
}


def rpc_calls(gateway):
    return gateway.points.mock_calls + gateway.referrals.mock_calls + gateway.reviews.mock_calls


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_needs_a_valid_key(gateway, shop, method, path):
    missing = gateway.request(method, path)
    wrong = shop.api(method, path, key="lk_" + uuid.uuid4().hex + uuid.uuid4().hex)
    not_bearer = gateway.request(method, path, headers={"Authorization": f"Basic {shop.admin_key}"})

    for response in (missing, wrong, not_bearer):
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["code"] == "unauthorized"
    assert rpc_calls(gateway) == []


def test_the_key_decides_the_shop_for_every_call(gateway, shop, other_shop):
    answer(gateway.points.list_activities, PAGE)

    mine = shop.api("GET", "/api/activities/points", params={"shop_id": other_shop.id})
    theirs = other_shop.api("GET", "/api/activities/points")

    assert mine.status_code == theirs.status_code == 200
    asked_for = [call.kwargs["shop_id"] for call in gateway.points.list_activities.call_async.call_args_list]
    assert asked_for == [shop.id, other_shop.id]


def test_point_feed_passes_the_default_window_and_page(gateway, shop):
    answer(gateway.points.list_activities, PAGE)

    response = shop.api("GET", "/api/activities/points")

    assert response.status_code == 200
    assert response.json() == PAGE
    kwargs = gateway.points.list_activities.call_async.call_args.kwargs
    assert {k: kwargs[k] for k in ("shop_id", "type", "q", "cursor", "limit")} == {
        "shop_id": shop.id,
        "type": "all",
        "q": None,
        "cursor": None,
        "limit": 50,
    }
    window_from, window_to = (datetime.fromisoformat(kwargs[k]) for k in ("from_", "to"))
    assert window_to - window_from == timedelta(days=30)
    assert abs(datetime.now(UTC) - window_to) < timedelta(minutes=1)


def test_point_feed_passes_the_filters_given(gateway, shop):
    answer(gateway.points.list_activities, {"items": [], "next_cursor": None})

    response = shop.api(
        "GET",
        "/api/activities/points",
        params={
            "type": "earned",
            "q": "ann@",
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-02-01T00:00:00+01:00",
            "cursor": "abc",
            "limit": "10",
        },
    )

    assert response.json() == {"items": [], "next_cursor": None}
    gateway.points.list_activities.call_async.assert_called_once_with(
        shop_id=shop.id,
        type="earned",
        q="ann@",
        from_="2026-01-01T00:00:00+00:00",
        to="2026-02-01T00:00:00+01:00",
        cursor="abc",
        limit=10,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "500"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"from": "2026-01-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"type": "gifted"}, "type"),
        ({"to": "-15577"}, "to"),  # not a unix timestamp
        ({"to": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]}, "to"),  # which one?
    ],
)
def test_an_invalid_query_is_422_naming_the_field(gateway, shop, params, field):
    response = shop.api("GET", "/api/activities/points", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unprocessable"
    assert field in [d["field"] for d in error["details"]]
    assert rpc_calls(gateway) == []


def test_a_window_that_ends_before_it_starts_is_422(gateway, shop):
    response = shop.api(
        "GET",
        "/api/activities/referrals",
        params={"from": "2026-03-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert rpc_calls(gateway) == []


@pytest.mark.parametrize(
    ("path", "service", "method", "status"),
    [
        ("/api/activities/referrals", "referrals", "list_activities", "completed"),
        ("/api/activities/reviews", "reviews", "list_activities", "pending"),
        ("/api/activities/google-reviews", "reviews", "list_google_review_activities", "approved"),
    ],
)
def test_status_feeds_ask_their_service(gateway, shop, path, service, method, status):
    rpc = getattr(getattr(gateway, service), method)
    answer(rpc, {"items": [{"id": "x1", "status": status}], "next_cursor": None})

    filtered = shop.api("GET", path, params={"status": status, "limit": "5"})
    unfiltered = shop.api("GET", path, params={"status": ""})  # the dashboard's "All"

    assert unfiltered.status_code == 200
    assert filtered.json()["items"] == [{"id": "x1", "status": status}]
    first, second = (call.kwargs for call in rpc.call_async.call_args_list)
    assert (first["shop_id"], first["status"], first["limit"]) == (shop.id, status, 5)
    assert (second["shop_id"], second["status"], second["limit"]) == (shop.id, None, 50)
    assert shop.api("GET", path, params={"status": "lost"}).status_code == 422


def test_customer_detail_asks_points_referrals_and_reviews_at_once_and_merges_them(gateway, shop):
    profile = {"customer_id": "1001", "email": "ann@example.com", "balance": 60, "recent_activities": []}
    referrals = {
        "items": [
            {
                "id": "ref_1",
                "role": "referrer",
                "referee_email": "bob@example.com",
                "status": "completed",
                "referrer_reward_points": 500,
            }
        ]
    }
    reviews = {
        "reviews": [
            {
                "id": "rev_1",
                "product_id": "p-1",
                "status": "approved",
                "reward_points": 50,
                "photo_bonus_points": 25,
            }
        ],
        "google_reviews": [{"id": "gr_1", "status": "pending", "reward_points": None}],
    }
    timeline = []

    def traced(service, method, value):
        """Answer `value`, noting when the call goes out and when its answer is awaited."""
        pending_reply = method.call_async.return_value

        def ask(**kwargs):
            timeline.append(("ask", service))
            return pending_reply

        def reply():
            timeline.append(("await", service))
            return value

        method.call_async.side_effect = ask
        pending_reply.result.side_effect = reply

    traced("points", gateway.points.get_customer, profile)
    traced("referrals", gateway.referrals.list_customer_referrals, referrals)
    traced("reviews", gateway.reviews.list_customer_reviews, reviews)

    response = shop.api("GET", "/api/customers/1001")

    assert response.status_code == 200
    assert response.json() == {
        "customer": profile,
        "referrals": referrals["items"],
        "reviews": reviews["reviews"],
        "google_reviews": reviews["google_reviews"],
        "unavailable": [],
    }
    # All three questions are out before the first answer is waited for.
    assert [step for step, _ in timeline] == ["ask"] * 3 + ["await"] * 3
    for method in (
        gateway.points.get_customer,
        gateway.referrals.list_customer_referrals,
        gateway.reviews.list_customer_reviews,
    ):
        method.call_async.assert_called_once_with(shop_id=shop.id, customer_id="1001")


def test_customer_detail_without_referrals_or_reviews_still_shows_the_profile(gateway, shop):
    profile = {"customer_id": "1001", "email": "ann@example.com", "balance": 60, "recent_activities": []}
    answer(gateway.points.get_customer, profile)
    answer(gateway.referrals.list_customer_referrals, RemoteError("OperationalError", "database is locked"))
    gateway.reviews.list_customer_reviews.call_async.side_effect = UnknownService("reviews")

    response = shop.api("GET", "/api/customers/1001")

    assert response.status_code == 200
    assert response.json() == {
        "customer": profile,
        "referrals": None,
        "reviews": None,
        "google_reviews": None,
        "unavailable": ["referrals", "reviews"],
    }


def test_a_customer_the_service_does_not_know_is_404(gateway, shop):
    answer(gateway.points.get_customer, NotFound("no such customer", {"customer_id": "404"}))
    answer(gateway.referrals.list_customer_referrals, {"items": []})
    answer(gateway.reviews.list_customer_reviews, {"reviews": [], "google_reviews": []})

    response = shop.api("GET", "/api/customers/404")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no such customer", "details": {"customer_id": "404"}}
    }


def test_discount_code_and_referral_lookups(gateway, shop):
    answer(gateway.points.get_discount_code, {"code": "WELCOME-1", "status": "active"})
    answer(gateway.referrals.get_referral, {"id": "ref_1", "status": "pending"})

    assert shop.api("GET", "/api/discount-codes/WELCOME-1").json()["status"] == "active"
    assert shop.api("GET", "/api/referrals/ref_1").json() == {"id": "ref_1", "status": "pending"}
    gateway.points.get_discount_code.call_async.assert_called_once_with(shop_id=shop.id, code="WELCOME-1")
    gateway.referrals.get_referral.call_async.assert_called_once_with(shop_id=shop.id, referral_id="ref_1")


def test_cancelling_a_referral_names_the_key_as_actor(gateway, shop):
    answer(gateway.referrals.cancel_referral, {"id": "ref_1", "status": "cancelled"})

    response = shop.api("POST", "/api/referrals/ref_1/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    gateway.referrals.cancel_referral.call_async.assert_called_once_with(
        shop_id=shop.id, referral_id="ref_1", actor=f"api_key:admin@{shop.id}"
    )


def test_cancelling_twice_is_the_services_409(gateway, shop):
    answer(gateway.referrals.cancel_referral, Conflict("referral is already cancelled"))
    response = shop.api("POST", "/api/referrals/ref_1/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("path", "method", "id_field"),
    [
        ("/api/reviews/rev_1/approve", "approve_review", "review_id"),
        ("/api/reviews/rev_1/reject", "reject_review", "review_id"),
        ("/api/google-reviews/rev_1/approve", "approve_google_review", "submission_id"),
        ("/api/google-reviews/rev_1/reject", "reject_google_review", "submission_id"),
    ],
)
def test_moderation_goes_to_reviews_with_the_actor(gateway, shop, path, method, id_field):
    rpc = getattr(gateway.reviews, method)
    answer(rpc, {"id": "rev_1", "status": "approved" if "approve" in method else "rejected"})

    response = shop.api("POST", path)

    assert response.status_code == 200
    rpc.call_async.assert_called_once_with(
        **{"shop_id": shop.id, id_field: "rev_1", "actor": f"api_key:admin@{shop.id}"}
    )


def test_moderation_with_another_verb_is_not_a_route(gateway, shop):
    response = shop.api("POST", "/api/reviews/rev_1/delete")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
