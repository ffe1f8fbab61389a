"""GET /api/activities and /api/customers/{id}/activities at the gateway:
the three services asked together for the same window and position, their
pages merged, and a service that does not answer named in `unavailable`
while the others' items are still shown."""

from datetime import UTC, datetime

from nameko.exceptions import RemoteError, UnknownService

from services.gateway.tests.conftest import answer
from services.gateway.timeline import cursor_of
from shared.errors import NotFound
from shared.timeline import position

WINDOW = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}


def item(item_id: str, occurred_at: str, kind: str) -> dict:
    return {
        "id": item_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "customer_id": "1001",
        "customer_email": "ann@example.com",
        "customer_name": "Ann Lee",
        "summary": "…",
        "points": None,
        "ref": {},
    }


POINTS = {
    "items": [
        item("points:9", "2026-03-01T12:00:00+00:00", "points"),
        item("points:8", "2026-03-01T10:00:00+00:00", "points"),
    ],
    "more": True,
}
REFERRALS = {"items": [item("referral_claimed:r1", "2026-03-01T11:00:00+00:00", "referral")], "more": False}
REVIEWS = {"items": [item("review_submitted:v1", "2026-03-01T12:00:00+00:00", "review")], "more": False}


def test_the_timeline_merges_the_services_pages_newest_first(gateway, shop):
    answer(gateway.points.timeline, POINTS)
    answer(gateway.referrals.timeline, REFERRALS)
    answer(gateway.reviews.timeline, REVIEWS)
    start = position(datetime(2026, 3, 1, 13, tzinfo=UTC), "admin", 4)

    response = shop.api("GET", "/api/activities", params={**WINDOW, "limit": 3, "cursor": cursor_of(start)})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["id"] for i in body["items"]] == ["review_submitted:v1", "points:9", "referral_claimed:r1"]
    assert body["unavailable"] == []
    next_page = position(datetime(2026, 3, 1, 11, tzinfo=UTC), "referral_claimed", "r1")
    assert body["next_cursor"] == cursor_of(next_page)
    for proxy in (gateway.points, gateway.referrals, gateway.reviews):
        proxy.timeline.call_async.assert_called_once_with(
            shop_id=shop.id,
            from_="2026-03-01T00:00:00+00:00",
            to="2026-03-02T00:00:00+00:00",
            limit=3,
            after=["2026-03-01T13:00:00+00:00", "admin", 4],
        )


def test_a_customers_timeline_asks_for_that_customer_and_a_non_member_is_404(gateway, shop):
    answer(gateway.points.timeline, POINTS)
    answer(gateway.referrals.timeline, REFERRALS)
    answer(gateway.reviews.timeline, REVIEWS)

    body = shop.api("GET", "/api/customers/1001/activities", params={"limit": 10}).json()

    assert len(body["items"]) == 4
    assert body["next_cursor"] is not None  # points has more
    assert gateway.referrals.timeline.call_async.call_args.kwargs["customer_id"] == "1001"
    assert gateway.referrals.timeline.call_async.call_args.kwargs["after"] is None

    answer(gateway.points.timeline, NotFound("customer 1002 is not a member of this shop"))
    assert shop.api("GET", "/api/customers/1002/activities").status_code == 404


def test_a_service_that_does_not_answer_is_named_and_the_rest_still_merged(gateway, shop):
    answer(gateway.points.timeline, RemoteError("OperationalError", "database is locked"))
    answer(gateway.referrals.timeline, REFERRALS)
    gateway.reviews.timeline.call_async.side_effect = UnknownService("reviews")

    body = shop.api("GET", "/api/activities", params=WINDOW).json()

    assert body["unavailable"] == ["points", "reviews"]
    assert [i["id"] for i in body["items"]] == ["referral_claimed:r1"]
    assert body["next_cursor"] is None


def test_bad_queries_are_refused_before_any_service_is_asked(gateway, shop):
    for params, status in [
        ({"cursor": "garbage"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 201}, 422),
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, 422),
        ({"from": "2026-03-01T00:00:00"}, 422),
    ]:
        assert shop.api("GET", "/api/activities", params=params).status_code == status, params
    gateway.points.timeline.call_async.assert_not_called()


def test_one_kind_asks_only_the_service_that_tells_of_it(gateway, shop):
    answer(gateway.reviews.timeline, REVIEWS)

    body = shop.api("GET", "/api/customers/1001/activities", params={"kind": "review"}).json()

    assert [i["id"] for i in body["items"]] == ["review_submitted:v1"]
    assert body["unavailable"] == []
    assert gateway.reviews.timeline.call_async.call_args.kwargs["kind"] == "review"
    gateway.points.timeline.call_async.assert_not_called()
    gateway.referrals.timeline.call_async.assert_not_called()
    assert shop.api("GET", "/api/activities", params={"kind": "gift"}).status_code == 422
