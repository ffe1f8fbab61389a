"""The points merchant API (docs/points.md, "HTTP (gateway)"): every route
asks the points service for the key's shop with the admin as actor, checks
bodies first (a 422 naming the field, nothing asked), and the CSV export
streams page after page."""

import csv
import io
import logging
import uuid

import pytest
import requests
from nameko.exceptions import RemoteError

from services.gateway.tests.conftest import answer
from shared.errors import Conflict, NotFound, Unprocessable

PROFILE = {
    "customer_id": "1001",
    "email": "ann@example.com",
    "first_name": "Ann",
    "last_name": "Lee",
    "name": "Ann Lee",
    "birthday": None,
    "status": "active",
    "vip_tier": None,
    "vip_tier_manual": False,
    "balance": 60,
    "pending_points": 0,
    "available_points": 60,
    "lifetime_earned": 60,
    "lifetime_redeemed": 0,
    "member_since": "2026-11-01T10:00:00Z",
    "next_expiry": None,
}


def activity(activity_id, **fields):
    return {
        "id": activity_id,
        "customer_id": "1001",
        "customer_email": "ann@example.com",
        "type": "earned",
        "action": "Placed order #1001",
        "points": 40,
        "balance_after": 40,
        "uncollected_points": 0,
        "actor": "system",
        "occurred_at": "2026-11-20T10:00:00Z",
        "pending_until": None,
        "reverses_activity_id": None,
        **fields,
    }


REWARD = {
    "id": 3,
    "name": "$5 off",
    "kind": "fixed_amount",
    "value": "5",
    "points_cost": 500,
    "active": True,
    "created_at": "2026-11-01T10:00:00Z",
}
PROGRAM = {
    "points_per_currency_unit": "1",
    "rounding": "floor",
    "pending_days": 0,
    "expiry_days": None,
    "signup_points": 0,
    "birthday_points": 0,
    "review_points": 50,
    "photo_review_bonus_points": 0,
    "google_review_points": 100,
    "referrer_reward_points": 500,
    "referee_coupon": {"type": "fixed", "value": "5"},
    "vip_tiers": [],
}


def actor(shop):
    return f"api_key:admin@{shop.id}"


def only_call(rpc):
    rpc.call_async.assert_called_once()
    return rpc.call_async.call_args.kwargs


# --- every route: the key's shop, the admin as actor, the right arguments ----------

ROUTES = [
    # method, path, request kwargs, points RPC, the kwargs it gets (besides shop_id), status
    (
        "GET",
        "/api/customers",
        {"params": {"q": "ann", "cursor": "c1", "limit": "20"}},
        "list_customers",
        {"q": "ann", "cursor": "c1", "limit": 20},
        200,
    ),
    ("GET", "/api/customers", {}, "list_customers", {"q": None, "cursor": None, "limit": 50}, 200),
    (
        "PATCH",
        "/api/customers/1001",
        {"json": {"name": " Ann Smith ", "birthday": "1990-05-17"}},
        "update_customer",
        {"customer_id": "1001", "changes": {"name": "Ann Smith", "birthday": "1990-05-17"}, "actor": "ACTOR"},
        200,
    ),
    (
        "POST",
        "/api/customers/1001/points-adjustments",
        {"json": {"points": -25, "reason": "Damaged parcel"}},
        "adjust_points",
        {
            "customer_id": "1001",
            "points": -25,
            "reason": "Damaged parcel",
            "actor": "ACTOR",
            "idempotency_key": None,
        },
        201,
    ),
    (
        "POST",
        "/api/customers/1001/redemptions",
        {"json": {"reward_id": 3}},
        "redeem_reward",
        {"customer_id": "1001", "reward_id": 3, "actor": "ACTOR", "idempotency_key": None},
        201,
    ),
    (
        "PUT",
        "/api/customers/1001/exclusion",
        {"json": {"reason": "Reseller"}},
        "exclude_customer",
        {"customer_id": "1001", "actor": "ACTOR", "reason": "Reseller"},
        200,
    ),
    (
        "PUT",
        "/api/customers/1001/exclusion",
        {},
        "exclude_customer",
        {"customer_id": "1001", "actor": "ACTOR", "reason": None},
        200,
    ),
    (
        "DELETE",
        "/api/customers/1001/exclusion",
        {},
        "include_customer",
        {"customer_id": "1001", "actor": "ACTOR", "reason": None},
        200,
    ),
    (
        "POST",
        "/api/point-activities/77/reversal",
        {"json": {"reason": "Order was a test"}},
        "reverse_activity",
        {"activity_id": 77, "actor": "ACTOR", "reason": "Order was a test"},
        201,
    ),
    (
        "POST",
        "/api/point-activities/77/reversal",
        {},
        "reverse_activity",
        {"activity_id": 77, "actor": "ACTOR", "reason": None},
        201,
    ),
    ("GET", "/api/rewards", {}, "list_rewards", {}, 200),
    (
        "POST",
        "/api/rewards",
        {"json": {"name": "Free shipping", "kind": "free_shipping", "points_cost": 300}},
        "create_reward",
        {
            "reward": {
                "name": "Free shipping",
                "kind": "free_shipping",
                "value": None,
                "points_cost": 300,
                "active": True,
            },
            "actor": "ACTOR",
        },
        201,
    ),
    (
        "POST",
        "/api/rewards",
        {"json": {"name": "10% off", "kind": "percentage", "value": 10, "points_cost": 800, "active": False}},
        "create_reward",
        {
            "reward": {
                "name": "10% off",
                "kind": "percentage",
                "value": "10",
                "points_cost": 800,
                "active": False,
            },
            "actor": "ACTOR",
        },
        201,
    ),
    ("GET", "/api/program", {}, "get_program", {}, 200),
    (
        "PUT",
        "/api/program",
        {
            "json": {
                "expiry_days": 365,
                "pending_days": 14,
                "points_per_currency_unit": "1.5",
                "vip_tiers": [{"name": "Gold", "threshold": 1000}],
            }
        },
        "update_program",
        {
            "settings": {
                **PROGRAM,
                "expiry_days": 365,
                "pending_days": 14,
                "points_per_currency_unit": "1.5",
                "vip_tiers": [{"name": "Gold", "threshold": 1000}],
            },
            "actor": "ACTOR",
        },
        200,
    ),
]


@pytest.mark.parametrize(("method", "path", "sent", "rpc_name", "expected", "status"), ROUTES)
def test_each_route_asks_points_for_the_keys_shop(
    gateway, shop, method, path, sent, rpc_name, expected, status
):
    rpc = getattr(gateway.points, rpc_name)
    answer(rpc, {"answered_by": rpc_name})

    response = shop.api(method, path, **sent)

    assert response.status_code == status, response.text
    assert response.json() == {"answered_by": rpc_name}
    expected = {name: actor(shop) if value == "ACTOR" else value for name, value in expected.items()}
    assert only_call(rpc) == {"shop_id": shop.id, **expected}


def test_the_audit_log_passes_its_filters_and_window(gateway, shop):
    answer(gateway.points.list_audit_log, {"items": [], "next_cursor": None})

    response = shop.api(
        "GET",
        "/api/audit-log",
        params={
            "customer_id": "1001",
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-02-01T00:00:00Z",
            "cursor": "c3",
            "limit": "10",
        },
    )

    assert response.json() == {"items": [], "next_cursor": None}
    assert only_call(gateway.points.list_audit_log) == {
        "shop_id": shop.id,
        "customer_id": "1001",
        "from_": "2026-01-01T00:00:00+00:00",
        "to": "2026-02-01T00:00:00+00:00",
        "cursor": "c3",
        "limit": 10,
    }


def test_customer_detail_still_answers_under_customer(gateway, shop):
    answer(gateway.points.get_customer, {**PROFILE, "recent_activities": []})
    answer(gateway.referrals.list_customer_referrals, {"items": []})
    answer(gateway.reviews.list_customer_reviews, {"reviews": [], "google_reviews": []})
    response = shop.api("GET", "/api/customers/1001")
    assert response.json()["customer"] == {**PROFILE, "recent_activities": []}


POINTS_ROUTES = sorted(
    {(method, path) for method, path, *_ in ROUTES}
    | {("GET", "/api/audit-log"), ("GET", "/api/activities/points.csv")}
)


@pytest.mark.parametrize(("method", "path"), POINTS_ROUTES)
def test_every_points_route_needs_a_valid_key(gateway, shop, method, path):
    missing = gateway.request(method, path, json={})
    wrong = shop.api(method, path, key="lk_" + uuid.uuid4().hex, json={})

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert gateway.points.mock_calls == []


# --- bodies and headers checked before anything is asked ------------------------------

BAD_BODIES = [
    (
        "POST",
        "/api/customers/1001/points-adjustments",
        {"points": 0, "reason": "x"},
        "points",
        "must not be 0",
    ),
    ("POST", "/api/customers/1001/points-adjustments", {"points": "10", "reason": "x"}, "points", "integer"),
    ("POST", "/api/customers/1001/points-adjustments", {"points": 10.5, "reason": "x"}, "points", "integer"),
    ("POST", "/api/customers/1001/points-adjustments", {"points": True, "reason": "x"}, "points", "integer"),
    (
        "POST",
        "/api/customers/1001/points-adjustments",
        {"points": 10_000_000, "reason": "x"},
        "points",
        "less than or equal",
    ),
    ("POST", "/api/customers/1001/points-adjustments", {"points": 10}, "reason", "required"),
    (
        "POST",
        "/api/customers/1001/points-adjustments",
        {"points": 10, "reason": "   "},
        "reason",
        "at least 1 character",
    ),
    (
        "POST",
        "/api/customers/1001/points-adjustments",
        {"points": 10, "reason": "x" * 501},
        "reason",
        "at most 500",
    ),
    ("POST", "/api/customers/1001/redemptions", {}, "reward_id", "required"),
    ("POST", "/api/customers/1001/redemptions", {"reward_id": "3"}, "reward_id", "integer"),
    ("PUT", "/api/customers/1001/exclusion", {"reason": "x" * 501}, "reason", "at most 500"),
    ("POST", "/api/point-activities/77/reversal", {"reason": 12}, "reason", "string"),
    ("PATCH", "/api/customers/1001", {"birthday": "17/05/1990"}, "birthday", "YYYY-MM-DD"),
    ("PATCH", "/api/customers/1001", {"birthday": "1990-02-30"}, "birthday", "not a real date"),
    ("PATCH", "/api/customers/1001", {"birthday": "2999-01-01"}, "birthday", "past date"),
    ("PATCH", "/api/customers/1001", {"name": " "}, "name", "at least 1 character"),
    ("PATCH", "/api/customers/1001", {"vip_tier": ""}, "vip_tier", "at least 1 character"),
    ("PATCH", "/api/customers/1001", {"birth_day": "1990-05-17"}, "birth_day", "not permitted"),
    ("PATCH", "/api/customers/1001", {}, None, "at least one of name, birthday, vip_tier"),
    ("POST", "/api/rewards", {"kind": "fixed_amount", "value": "5", "points_cost": 500}, "name", "required"),
    (
        "POST",
        "/api/rewards",
        {"name": "$5", "kind": "gift_card", "value": "5", "points_cost": 500},
        "kind",
        "fixed_amount",
    ),
    ("POST", "/api/rewards", {"name": "$5", "kind": "fixed_amount", "points_cost": 500}, "value", "required"),
    (
        "POST",
        "/api/rewards",
        {"name": "%", "kind": "percentage", "value": "120", "points_cost": 500},
        "value",
        "at most 100",
    ),
    (
        "POST",
        "/api/rewards",
        {"name": "$5", "kind": "fixed_amount", "value": "five", "points_cost": 500},
        "value",
        "decimal",
    ),
    (
        "POST",
        "/api/rewards",
        {"name": "$5", "kind": "fixed_amount", "value": "-5", "points_cost": 500},
        "value",
        "greater than 0",
    ),
    (
        "POST",
        "/api/rewards",
        {"name": "Ship", "kind": "free_shipping", "value": "5", "points_cost": 500},
        "value",
        "left out",
    ),
    (
        "POST",
        "/api/rewards",
        {"name": "$5", "kind": "fixed_amount", "value": "5", "points_cost": 0},
        "points_cost",
        "greater than or equal to 1",
    ),
    (
        "POST",
        "/api/rewards",
        {"name": "$5", "kind": "fixed_amount", "value": "5", "points_cost": 500, "active": "yes"},
        "active",
        "boolean",
    ),
    ("PUT", "/api/program", {"rounding": "down"}, "rounding", "floor"),
    ("PUT", "/api/program", {"points_per_currency_unit": "0"}, "points_per_currency_unit", "greater than 0"),
    ("PUT", "/api/program", {"points_per_currency_unit": "1001"}, "points_per_currency_unit", "less than"),
    ("PUT", "/api/program", {"pending_days": 30, "expiry_days": 30}, "expiry_days", "more than pending_days"),
    ("PUT", "/api/program", {"expiry_days": 0}, "expiry_days", "greater than or equal to 1"),
    ("PUT", "/api/program", {"signup_points": -1}, "signup_points", "greater than or equal to 0"),
    (
        "PUT",
        "/api/program",
        {"referee_coupon": {"type": "percentage", "value": 150}},
        "referee_coupon.value",
        "at most 100",
    ),
    (
        "PUT",
        "/api/program",
        {"vip_tiers": [{"name": "Gold", "threshold": 100}, {"name": "gold", "threshold": 200}]},
        "vip_tiers",
        "names must be different",
    ),
    (
        "PUT",
        "/api/program",
        {"vip_tiers": [{"name": f"T{n}", "threshold": n} for n in range(21)]},
        "vip_tiers",
        "at most 20",
    ),
    ("PUT", "/api/program", {"expiry_day": 365}, "expiry_day", "not permitted"),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "why"), BAD_BODIES)
def test_a_bad_body_is_422_naming_the_field_and_why(gateway, shop, method, path, body, field, why):
    response = shop.api(method, path, json=body)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "unprocessable"
    assert [(d["field"], why in d["message"]) for d in error["details"]] == [(field, True)], error["details"]
    assert gateway.points.mock_calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers/1001/points-adjustments",
        "/api/customers/1001/redemptions",
        "/api/rewards",
        "/api/program",
    ],
)
def test_a_body_that_is_not_json_is_400(gateway, shop, path):
    method = "PUT" if path == "/api/program" else "POST"
    response = shop.api(method, path, data=b"points=10", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert gateway.points.mock_calls == []


@pytest.mark.parametrize(
    ("path", "body", "rpc_name"),
    [
        ("/api/customers/1001/points-adjustments", {"points": 10, "reason": "Goodwill"}, "adjust_points"),
        ("/api/customers/1001/redemptions", {"reward_id": 3}, "redeem_reward"),
    ],
)
def test_the_idempotency_key_is_passed_on(gateway, shop, path, body, rpc_name):
    rpc = getattr(gateway.points, rpc_name)
    answer(rpc, {"activity": activity(9), "customer": PROFILE})

    response = shop.api("POST", path, json=body, headers={"idempotency-key": "retry-7f3a"})
    too_long = shop.api("POST", path, json=body, headers={"Idempotency-Key": "k" * 201})

    assert response.status_code == 201
    assert only_call(rpc)["idempotency_key"] == "retry-7f3a"
    assert too_long.status_code == 422
    assert [d["field"] for d in too_long.json()["error"]["details"]] == ["Idempotency-Key"]


def test_clearing_the_birthday_and_the_hand_set_tier_sends_nulls(gateway, shop):
    answer(gateway.points.update_customer, PROFILE)

    response = shop.api("PATCH", "/api/customers/1001", json={"birthday": None, "vip_tier": None})
    shop.api("PATCH", "/api/customers/1001", json={"name": None})

    assert response.json() == PROFILE
    first, second = (
        call.kwargs["changes"] for call in gateway.points.update_customer.call_async.call_args_list
    )
    assert (first, second) == ({"birthday": None, "vip_tier": None}, {"name": None})


def test_a_blank_optional_reason_counts_as_none(gateway, shop):
    answer(gateway.points.exclude_customer, {**PROFILE, "status": "excluded"})
    response = shop.api("PUT", "/api/customers/1001/exclusion", json={"reason": "  "})
    assert response.json()["status"] == "excluded"
    assert only_call(gateway.points.exclude_customer)["reason"] is None


def test_an_activity_id_that_is_not_a_number_is_404(gateway, shop):
    response = shop.api("POST", "/api/point-activities/abc/reversal")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "no such activity",
        "details": {"activity_id": "abc"},
    }
    assert gateway.points.mock_calls == []


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (Conflict("this idempotency key was used for a different request"), 409, "conflict"),
        (
            Unprocessable("not enough points", [{"field": "points", "message": "100 needed, 60 available"}]),
            422,
            "unprocessable",
        ),
        (NotFound("no such customer", {"customer_id": "1001"}), 404, "not_found"),
    ],
)
def test_the_points_services_refusals_keep_their_status_and_details(gateway, shop, refusal, status, code):
    answer(gateway.points.adjust_points, refusal)

    response = shop.api(
        "POST", "/api/customers/1001/points-adjustments", json={"points": -100, "reason": "x"}
    )

    assert response.status_code == status
    assert response.json() == {
        "error": {"code": code, "message": refusal.message, "details": refusal.details}
    }


# --- the CSV export ---------------------------------------------------------------------


def answer_pages(rpc, *pages):
    """Each call answers the next page (or raises it, if an exception)."""
    rpc.call_async.return_value.result.side_effect = list(pages)


def csv_lines(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


HEADER = [
    "occurred_at",
    "customer_id",
    "customer_email",
    "type",
    "action",
    "points",
    "balance_after",
    "uncollected_points",
    "actor",
    "activity_id",
]


def test_the_export_streams_every_page_as_csv(gateway, shop):
    answer_pages(
        gateway.points.export_activities,
        {
            "items": [
                activity(
                    3,
                    action='Adjusted by admin: damaged, "crushed" box\nsecond line',
                    type="adjusted",
                    points=-15,
                    balance_after=25,
                    actor=f"api_key:admin@{shop.id}",
                ),
                activity(2),
            ],
            "next_cursor": "page-2",
        },
        {
            "items": [
                activity(
                    1,
                    type="refunded",
                    action="Order #1001 refunded",
                    points=-10,
                    balance_after=0,
                    uncollected_points=5,
                )
            ],
            "next_cursor": "page-3",
        },
        {"items": [], "next_cursor": None},
    )

    response = shop.api(
        "GET",
        "/api/activities/points.csv",
        params={
            "type": "all",
            "q": "ann",
            "from": "2026-11-01T00:00:00Z",
            "to": "2026-11-30T00:00:00Z",
            "cursor": "ignored",
            "limit": "5",
        },
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="point-activities-2026-11-01-to-2026-11-30.csv"'
    )
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert csv_lines(response) == [
        HEADER,
        [
            "2026-11-20T10:00:00Z",
            "1001",
            "ann@example.com",
            "adjusted",
            'Adjusted by admin: damaged, "crushed" box\nsecond line',
            "-15",
            "25",
            "0",
            f"api_key:admin@{shop.id}",
            "3",
        ],
        [
            "2026-11-20T10:00:00Z",
            "1001",
            "ann@example.com",
            "earned",
            "Placed order #1001",
            "40",
            "40",
            "0",
            "system",
            "2",
        ],
        [
            "2026-11-20T10:00:00Z",
            "1001",
            "ann@example.com",
            "refunded",
            "Order #1001 refunded",
            "-10",
            "0",
            "5",
            "system",
            "1",
        ],
    ]
    assert '"Adjusted by admin: damaged, ""crushed"" box\nsecond line"' in response.text
    calls = [call.kwargs for call in gateway.points.export_activities.call_async.call_args_list]
    assert [call["cursor"] for call in calls] == [None, "page-2", "page-3"]
    assert all(
        call
        == {
            "shop_id": shop.id,
            "type": "all",
            "q": "ann",
            "from_": "2026-11-01T00:00:00+00:00",
            "to": "2026-11-30T00:00:00+00:00",
            "cursor": call["cursor"],
            "limit": 5000,
        }
        for call in calls
    )


def test_pages_the_points_service_wrote_as_csv_are_streamed_as_they_are(gateway, shop):
    answer_pages(
        gateway.points.export_activities,
        {
            "csv": "2026-11-20T10:00:00Z,1001,a@example.com,earned,x,5,5,0,system,2\r\n",
            "rows": 1,
            "next_cursor": "p2",
        },
        {
            "csv": "2026-11-19T10:00:00Z,1001,a@example.com,earned,y,5,5,0,system,1\r\n",
            "rows": 1,
            "next_cursor": None,
        },
    )

    response = shop.api("GET", "/api/activities/points.csv")

    assert [line[-1] for line in csv_lines(response)] == [HEADER[-1], "2", "1"]


def test_an_empty_export_is_the_header_alone(gateway, shop):
    answer(gateway.points.export_activities, {"items": [], "next_cursor": None})
    response = shop.api("GET", "/api/activities/points.csv")
    assert response.status_code == 200
    assert response.content.decode() == ",".join(HEADER) + "\r\n"


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_out(gateway, shop):
    answer(
        gateway.points.export_activities,
        {
            "items": [
                activity(1, customer_email='=HYPERLINK("http://evil")@example.com', customer_id="+1001")
            ],
            "next_cursor": None,
        },
    )

    row = csv_lines(shop.api("GET", "/api/activities/points.csv"))[1]

    assert row[1:3] == ["'+1001", '\'=HYPERLINK("http://evil")@example.com']


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "gifted"}, "type"),
        ({"from": "2026-01-01"}, "from"),
        ({"from": "2026-03-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, None),
    ],
)
def test_a_bad_export_query_is_a_json_422_before_anything_streams(gateway, shop, params, field):
    response = shop.api("GET", "/api/activities/points.csv", params=params)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/json"
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert gateway.points.mock_calls == []


def test_a_first_page_the_service_refuses_is_a_json_error(gateway, shop):
    answer(gateway.points.export_activities, RemoteError("OperationalError", "database is locked"))

    response = shop.api("GET", "/api/activities/points.csv")

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_page_failing_mid_export_breaks_the_download_and_is_logged(gateway, shop, caplog):
    # A first page larger than the server's write buffer, so the headers
    # and some rows have gone out when the second page fails.
    first = {"items": [activity(n) for n in range(200, 100, -1)], "next_cursor": "page-2"}
    answer_pages(gateway.points.export_activities, first, RemoteError("OperationalError", "connection lost"))

    with caplog.at_level(logging.ERROR, logger="services.gateway.csv_export"):
        response = shop.api("GET", "/api/activities/points.csv", stream=True)
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            _ = response.content

    assert [r.getMessage() for r in caplog.records if r.name == "services.gateway.csv_export"] == [
        f"CSV export of point activities for shop {shop.id} stopped after 100 rows"
    ]
