"""The points merchant API end to end (docs/points.md): a merchant adjusts
points, redeems rewards, excludes, reverses, edits profiles and the program,
reads the audit trail and exports the ledger, each call over HTTP through
the gateway to the real points service, scoped by the admin key."""

import csv
import io
import uuid

import pytest

from tests.support import wait_for


def new_member(shop, customer_id: str, email: str, first_name="Ann", last_name="Lee") -> dict:
    shop.customer_created(customer_id, email, first_name=first_name, last_name=last_name)
    response = wait_for(
        lambda: (r := shop.api("GET", f"/api/customers/{customer_id}")).status_code == 200 and r
    )
    assert response, f"member {customer_id} never appeared"
    return response.json()["customer"]


def adjust(shop, customer_id: str, points: int, reason: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return shop.api(
        "POST",
        f"/api/customers/{customer_id}/points-adjustments",
        json={"points": points, "reason": reason},
        headers=headers,
    )


def profile(shop, customer_id: str) -> dict:
    response = shop.api("GET", f"/api/customers/{customer_id}")
    assert response.status_code == 200, response.text
    return response.json()["customer"]


def create_reward(shop, **reward) -> dict:
    response = shop.api("POST", "/api/rewards", json=reward)
    assert response.status_code == 201, response.text
    return response.json()


def audit(shop, **params) -> list[dict]:
    response = shop.api("GET", "/api/audit-log", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def fields_of(error: dict) -> list:
    return [detail["field"] for detail in error["details"]]


# --- adjustments ---------------------------------------------------------------------------


def test_an_admin_adjusts_points_up_and_down_with_a_reason(shop):
    new_member(shop, "6001", "ann@example.com")
    actor = f"api_key:admin@{shop.id}"

    credit = adjust(shop, "6001", 120, "Goodwill for a late parcel")
    debit = adjust(shop, "6001", -20, "Duplicate credit")

    assert credit.status_code == debit.status_code == 201
    given = credit.json()
    assert given["activity"]["action"] == "Adjusted by admin: Goodwill for a late parcel"
    assert (given["activity"]["type"], given["activity"]["points"], given["activity"]["balance_after"]) == (
        "adjusted",
        120,
        120,
    )
    assert given["activity"]["actor"] == actor
    assert given["customer"]["balance"] == 120
    assert debit.json()["customer"]["balance"] == debit.json()["activity"]["balance_after"] == 100

    customer = profile(shop, "6001")
    assert (customer["balance"], customer["available_points"]) == (100, 100)
    assert (customer["lifetime_earned"], customer["lifetime_redeemed"]) == (
        0,
        0,
    )  # adjustments change neither
    history = shop.api("GET", "/api/customers/6001/activities").json()
    assert [(a["points"], a["summary"]) for a in history["items"]] == [
        (-20, "Adjusted by admin: Duplicate credit"),
        (120, "Adjusted by admin: Goodwill for a late parcel"),
    ]
    entries = audit(shop, customer_id="6001")
    assert [(e["action"], e["reason"], e["actor"]) for e in entries] == [
        ("points_adjusted", "Duplicate credit", actor),
        ("points_adjusted", "Goodwill for a late parcel", actor),
    ]
    # The customer by email and name, not their id alone.
    assert {(e["customer_email"], e["customer_name"]) for e in entries} == {("ann@example.com", "Ann Lee")}


def test_an_adjustment_below_zero_is_refused_and_changes_nothing(shop):
    new_member(shop, "6002", "bo@example.com")
    assert adjust(shop, "6002", 30, "Welcome").status_code == 201

    error = error_of(adjust(shop, "6002", -31, "Too much"), 422)

    assert fields_of(error) == ["points"]
    assert profile(shop, "6002")["balance"] == 30
    assert [e["reason"] for e in audit(shop, customer_id="6002")] == ["Welcome"]


def test_a_retried_adjustment_counts_once_and_a_reused_key_is_a_conflict(shop):
    new_member(shop, "6003", "cy@example.com")
    key = str(uuid.uuid4())

    first = adjust(shop, "6003", 50, "Survey reward", key=key)
    retry = adjust(shop, "6003", 50, "Survey reward", key=key)
    reused = adjust(shop, "6003", 500, "Survey reward", key=key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert error_of(reused, 409)["code"] == "conflict"
    assert profile(shop, "6003")["balance"] == 50
    assert len(shop.api("GET", "/api/customers/6003/activities").json()["items"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 0, "reason": "Nothing"}, "points"),
        ({"points": "10", "reason": "Text is not a number"}, "points"),
        ({"points": 10}, "reason"),
        ({"points": 10, "reason": "x" * 501}, "reason"),
    ],
)
def test_a_bad_adjustment_is_422_naming_the_field(shop, body, field):
    new_member(shop, "6004", "di@example.com")
    response = shop.api("POST", "/api/customers/6004/points-adjustments", json=body)
    assert fields_of(error_of(response, 422)) == [field]
    assert profile(shop, "6004")["balance"] == 0


# --- rewards and redemptions -----------------------------------------------------------------


def test_a_member_redeems_a_reward_for_a_discount_code(shop):
    new_member(shop, "6101", "eve@example.com")
    reward = create_reward(shop, name="$5 off", kind="fixed_amount", value="5", points_cost=500)
    assert adjust(shop, "6101", 650, "Migration from the old program").status_code == 201
    key = str(uuid.uuid4())

    redeemed = shop.api(
        "POST",
        "/api/customers/6101/redemptions",
        json={"reward_id": reward["id"]},
        headers={"Idempotency-Key": key},
    )
    retried = shop.api(
        "POST",
        "/api/customers/6101/redemptions",
        json={"reward_id": reward["id"]},
        headers={"Idempotency-Key": key},
    )

    assert redeemed.status_code == retried.status_code == 201
    result = redeemed.json()
    assert retried.json()["code"] == result["code"]
    assert result["points_spent"] == 500
    assert result["reward"]["id"] == reward["id"]
    assert result["activity"]["action"] == "Redeemed $5 off"
    assert result["activity"]["points"] == -500
    assert (result["customer"]["balance"], result["customer"]["lifetime_redeemed"]) == (150, 500)
    code = shop.api("GET", f"/api/discount-codes/{result['code']}").json()
    assert (code["kind"], code["status"], code["customer_id"]) == ("redemption", "active", "6101")
    assert shop.storefront("GET", f"/discount-codes/{result['code']}").json()["valid"] is True
    assert profile(shop, "6101")["balance"] == 150

    # 150 points left: not enough for another.
    short = error_of(
        shop.api("POST", "/api/customers/6101/redemptions", json={"reward_id": reward["id"]}), 422
    )
    assert "not enough points" in short["message"]
    assert profile(shop, "6101")["balance"] == 150

    # The shopper uses the code at checkout: it is used, and refused after that.
    shop.order(6190, "6101", "eve@example.com", "40.00", discount_codes=[result["code"].lower()])
    used = wait_for(
        lambda: (
            (c := shop.api("GET", f"/api/discount-codes/{result['code']}").json())["status"] == "used" and c
        )
    )
    assert used
    assert used["order_id"] == "6190"
    assert shop.storefront("GET", f"/discount-codes/{result['code']}").json() | {"value": None} == {
        "code": result["code"],
        "valid": False,
        "reason": "used",
        "value_type": "fixed_amount",
        "value": None,
    }


def test_rewards_are_listed_and_checked(shop):
    shipping = create_reward(shop, name="Free shipping", kind="free_shipping", points_cost=300)
    percent = create_reward(shop, name="10% off", kind="percentage", value=10, points_cost=800, active=False)

    listed = shop.api("GET", "/api/rewards").json()["items"]

    assert (shipping["value"], shipping["active"]) == (None, True)
    assert (percent["kind"], percent["active"]) == ("percentage", False)
    assert {r["id"] for r in listed} == {shipping["id"], percent["id"]}
    bad = shop.api(
        "POST", "/api/rewards", json={"name": "Half", "kind": "percentage", "value": 150, "points_cost": 100}
    )
    assert fields_of(error_of(bad, 422)) == ["value"]
    entries = audit(shop)
    assert [e["action"] for e in entries] == ["reward_created", "reward_created"]
    assert {(e["customer_email"], e["customer_name"]) for e in entries} == {(None, None)}  # shop-wide


def test_redeeming_an_unknown_reward_is_422(shop):
    new_member(shop, "6102", "fay@example.com")
    response = shop.api("POST", "/api/customers/6102/redemptions", json={"reward_id": 999999})
    assert fields_of(error_of(response, 422)) == ["reward_id"]


# --- exclusion ---------------------------------------------------------------------------------


def test_an_excluded_member_cannot_redeem_until_re_included(shop):
    new_member(shop, "6201", "gus@example.com")
    reward = create_reward(shop, name="$5 off", kind="fixed_amount", value="5", points_cost=100)
    assert adjust(shop, "6201", 300, "Welcome").status_code == 201

    excluded = shop.api("PUT", "/api/customers/6201/exclusion", json={"reason": "Reseller account"})
    refused = shop.api("POST", "/api/customers/6201/redemptions", json={"reward_id": reward["id"]})
    # Admin adjustments still apply to an excluded member.
    adjusted = adjust(shop, "6201", -50, "Chargeback")
    included = shop.api("DELETE", "/api/customers/6201/exclusion")
    redeemed = shop.api("POST", "/api/customers/6201/redemptions", json={"reward_id": reward["id"]})

    assert excluded.status_code == 200
    assert excluded.json()["status"] == "excluded"
    assert error_of(refused, 409)["code"] == "conflict"
    assert adjusted.status_code == 201
    assert included.status_code == 200
    assert included.json()["status"] == "active"
    assert redeemed.status_code == 201
    assert profile(shop, "6201")["balance"] == 150
    assert [(e["action"], e["reason"]) for e in audit(shop, customer_id="6201")] == [
        ("reward_redeemed", None),
        ("customer_included", None),
        ("points_adjusted", "Chargeback"),
        ("customer_excluded", "Reseller account"),
        ("points_adjusted", "Welcome"),
    ]


# --- reversals ---------------------------------------------------------------------------------


def test_an_entry_is_reversed_once(shop):
    new_member(shop, "6301", "hal@example.com")
    shop.order(63001, "6301", "hal@example.com", "80.00")
    assert wait_for(lambda: profile(shop, "6301")["balance"] == 80)
    earned = shop.api("GET", "/api/customers/6301/activities").json()["items"][0]
    assert earned["summary"] == "Placed order #63001"

    reversed_ = shop.api(
        "POST", f"/api/point-activities/{earned['ref']['id']}/reversal", json={"reason": "Test order"}
    )
    again = shop.api("POST", f"/api/point-activities/{earned['ref']['id']}/reversal")

    assert reversed_.status_code == 201
    reversal = reversed_.json()
    assert (reversal["points"], reversal["balance_after"], reversal["reverses_activity_id"]) == (
        -80,
        0,
        earned["ref"]["id"],
    )
    assert reversal["action"] == "Reversed: Placed order #63001"
    assert error_of(again, 409)["code"] == "conflict"
    assert (
        error_of(shop.api("POST", f"/api/point-activities/{reversal['id']}/reversal"), 409)["code"]
        == "conflict"
    )
    customer = profile(shop, "6301")
    assert (customer["balance"], customer["lifetime_earned"]) == (0, 0)
    entry = audit(shop, customer_id="6301")[0]
    assert (entry["action"], entry["reason"]) == ("activity_reversed", "Test order")


def test_reversing_a_redemption_gives_the_points_back_and_voids_its_code(shop):
    new_member(shop, "6302", "ida@example.com")
    reward = create_reward(shop, name="$5 off", kind="fixed_amount", value="5", points_cost=100)
    assert adjust(shop, "6302", 100, "Welcome").status_code == 201
    redemption = shop.api("POST", "/api/customers/6302/redemptions", json={"reward_id": reward["id"]}).json()

    response = shop.api("POST", f"/api/point-activities/{redemption['activity']['id']}/reversal")

    assert response.status_code == 201
    assert response.json()["points"] == 100
    assert profile(shop, "6302")["balance"] == 100
    assert shop.api("GET", f"/api/discount-codes/{redemption['code']}").json()["status"] == "voided"
    assert shop.storefront("GET", f"/discount-codes/{redemption['code']}").json()["valid"] is False


def test_an_unknown_activity_is_404(shop):
    assert error_of(shop.api("POST", "/api/point-activities/99999999/reversal"), 404)["code"] == "not_found"
    assert (
        error_of(shop.api("POST", "/api/point-activities/not-a-number/reversal"), 404)["code"] == "not_found"
    )


# --- profiles, the program and the member list ----------------------------------------------------


def test_an_admin_edits_a_profile_and_the_tier_follows_the_program(shop):
    new_member(shop, "6401", "jo@example.com")
    program = shop.api(
        "PUT",
        "/api/program",
        json={"vip_tiers": [{"name": "Silver", "threshold": 100}, {"name": "Gold", "threshold": 1000}]},
    )
    assert program.status_code == 200, program.text

    edited = shop.api(
        "PATCH",
        "/api/customers/6401",
        json={"name": "Jo March", "birthday": "1990-05-17", "vip_tier": "Gold"},
    )
    assert edited.status_code == 200, edited.text
    assert {k: edited.json()[k] for k in ("name", "birthday", "vip_tier", "vip_tier_manual")} == {
        "name": "Jo March",
        "birthday": "1990-05-17",
        "vip_tier": "Gold",
        "vip_tier_manual": True,
    }

    # Only the fields sent change; null hands the tier back to the rules.
    cleared = shop.api("PATCH", "/api/customers/6401", json={"vip_tier": None}).json()
    assert (cleared["name"], cleared["birthday"], cleared["vip_tier"], cleared["vip_tier_manual"]) == (
        "Jo March",
        "1990-05-17",
        None,
        False,
    )
    cleared = shop.api("PATCH", "/api/customers/6401", json={"birthday": None}).json()
    assert (cleared["name"], cleared["birthday"]) == ("Jo March", None)

    unknown_tier = shop.api("PATCH", "/api/customers/6401", json={"vip_tier": "Platinum"})
    assert fields_of(error_of(unknown_tier, 422)) == ["vip_tier"]
    bad_date = shop.api("PATCH", "/api/customers/6401", json={"birthday": "1990-13-01"})
    assert fields_of(error_of(bad_date, 422)) == ["birthday"]
    assert [e["action"] for e in audit(shop, customer_id="6401")] == ["customer_updated"] * 3


def test_the_program_is_replaced_as_a_whole_and_drives_earning(shop):
    defaults = shop.api("GET", "/api/program").json()
    assert defaults["points_per_currency_unit"] == "1"
    assert defaults["vip_tiers"] == []

    stored = shop.api("PUT", "/api/program", json={"points_per_currency_unit": "2", "review_points": 75})
    assert stored.status_code == 200, stored.text
    assert shop.api("GET", "/api/program").json() == stored.json()
    assert stored.json()["points_per_currency_unit"] == "2"
    assert (stored.json()["review_points"], stored.json()["google_review_points"]) == (75, 100)

    # A second PUT replaces the document: review_points is back to its default.
    replaced = shop.api("PUT", "/api/program", json={"points_per_currency_unit": "2"}).json()
    assert replaced["review_points"] == 50

    new_member(shop, "6501", "kit@example.com")
    shop.order(65001, "6501", "kit@example.com", "30.00")
    assert wait_for(lambda: profile(shop, "6501")["balance"] == 60)

    bad = shop.api("PUT", "/api/program", json={"pending_days": 30, "expiry_days": 10})
    assert fields_of(error_of(bad, 422)) == ["expiry_days"]
    assert shop.api("GET", "/api/program").json() == replaced
    assert [e["action"] for e in audit(shop)] == ["program_updated", "program_updated"]


def test_members_are_listed_newest_first_searched_and_paged(shop):
    new_member(shop, "6601", "lea@example.com", first_name="Lea", last_name="Stone")
    new_member(shop, "6602", "max@example.com", first_name="Max", last_name="Byrne")
    new_member(shop, "6603", "mia@example.com", first_name="Mia", last_name="Stone")

    everyone = shop.api("GET", "/api/customers").json()
    by_email = shop.api("GET", "/api/customers", params={"q": "ma"}).json()
    by_name = shop.api("GET", "/api/customers", params={"q": "stone"}).json()
    first = shop.api("GET", "/api/customers", params={"limit": "2"}).json()
    rest = shop.api("GET", "/api/customers", params={"limit": "2", "cursor": first["next_cursor"]}).json()

    assert [c["customer_id"] for c in everyone["items"]] == ["6603", "6602", "6601"]
    assert [c["customer_id"] for c in by_email["items"]] == ["6602"]
    assert [c["customer_id"] for c in by_name["items"]] == ["6603", "6601"]
    assert [c["customer_id"] for c in first["items"] + rest["items"]] == ["6603", "6602", "6601"]
    assert rest["next_cursor"] is None
    assert fields_of(error_of(shop.api("GET", "/api/customers", params={"limit": "500"}), 422)) == ["limit"]


def test_a_members_history_is_paged(shop):
    new_member(shop, "6701", "ned@example.com")
    for n in range(1, 4):
        assert adjust(shop, "6701", n, f"Step {n}").status_code == 201

    first = shop.api("GET", "/api/customers/6701/activities", params={"limit": "2"}).json()
    rest = shop.api(
        "GET", "/api/customers/6701/activities", params={"limit": "2", "cursor": first["next_cursor"]}
    ).json()

    assert [a["points"] for a in first["items"] + rest["items"]] == [3, 2, 1]
    assert rest["next_cursor"] is None


# --- the CSV export ---------------------------------------------------------------------------------


def test_the_export_has_every_matching_row_with_the_reason(shop, monkeypatch):
    from services.gateway import csv_export

    new_member(shop, "6801", "ola@example.com")
    shop.order(68001, "6801", "ola@example.com", "25.00")
    assert wait_for(lambda: profile(shop, "6801")["balance"] == 25)
    assert adjust(shop, "6801", -5, 'Damaged, "crushed" box').status_code == 201
    # One row per page: the later pages are asked for while the body
    # streams, after the route's worker has finished.
    monkeypatch.setattr(csv_export, "EXPORT_PAGE_SIZE", 1)

    response = shop.api("GET", "/api/activities/points.csv")
    adjusted_only = shop.api("GET", "/api/activities/points.csv", params={"type": "adjusted"})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="point-activities-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [
        (r["customer_id"], r["customer_email"], r["type"], r["action"], r["points"], r["balance_after"])
        for r in rows
    ] == [
        ("6801", "ola@example.com", "adjusted", 'Adjusted by admin: Damaged, "crushed" box', "-5", "20"),
        ("6801", "ola@example.com", "earned", "Placed order #68001", "25", "25"),
    ]
    assert rows[0]["actor"] == f"api_key:admin@{shop.id}"
    assert rows[1]["actor"] == "system"
    assert all(r["activity_id"].isdigit() and r["uncollected_points"] == "0" for r in rows)
    feed = shop.api("GET", "/api/activities/points", params={"q": "ola@"}).json()["items"]
    assert [(r["activity_id"], r["occurred_at"]) for r in rows] == [
        (str(a["id"]), a["occurred_at"]) for a in feed
    ]
    assert [r["type"] for r in csv.DictReader(io.StringIO(adjusted_only.text))] == ["adjusted"]


def test_a_bad_export_query_is_a_json_422(shop):
    response = shop.api("GET", "/api/activities/points.csv", params={"from": "yesterday"})
    assert fields_of(error_of(response, 422)) == ["from"]


# --- keys and shops ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/customers"),
    ("PATCH", "/api/customers/1"),
    ("GET", "/api/customers/1/activities"),
    ("POST", "/api/customers/1/points-adjustments"),
    ("POST", "/api/customers/1/redemptions"),
    ("PUT", "/api/customers/1/exclusion"),
    ("DELETE", "/api/customers/1/exclusion"),
    ("POST", "/api/point-activities/1/reversal"),
    ("GET", "/api/rewards"),
    ("POST", "/api/rewards"),
    ("GET", "/api/program"),
    ("PUT", "/api/program"),
    ("GET", "/api/audit-log"),
    ("GET", "/api/activities/points.csv"),
]


def test_every_points_route_needs_the_key(system, shop):
    for method, path in ROUTES:
        missing = system.http.request(method, system.url(path), json={}, timeout=10)
        wrong = shop.api(method, path, key="lk_" + uuid.uuid4().hex, json={})
        assert error_of(missing, 401)["code"] == "unauthorized", path
        assert error_of(wrong, 401)["code"] == "unauthorized", path


def test_another_shops_key_cannot_see_or_touch_a_member(shop, other_shop):
    new_member(shop, "6901", "pia@example.com")
    assert adjust(shop, "6901", 200, "Welcome").status_code == 201
    reward = create_reward(shop, name="$5 off", kind="fixed_amount", value="5", points_cost=100)
    activity_id = shop.api("GET", "/api/customers/6901/activities").json()["items"][0]["ref"]["id"]
    theirs = create_reward(other_shop, name="$5 off", kind="fixed_amount", value="5", points_cost=100)

    attempts = [
        other_shop.api("GET", "/api/customers/6901"),
        other_shop.api("PATCH", "/api/customers/6901", json={"name": "Mallory"}),
        other_shop.api("GET", "/api/customers/6901/activities"),
        adjust(other_shop, "6901", -200, "Theft"),
        other_shop.api("POST", "/api/customers/6901/redemptions", json={"reward_id": theirs["id"]}),
        other_shop.api("PUT", "/api/customers/6901/exclusion"),
        other_shop.api("DELETE", "/api/customers/6901/exclusion"),
        other_shop.api("POST", f"/api/point-activities/{activity_id}/reversal"),
    ]

    for response in attempts:
        assert error_of(response, 404)["code"] == "not_found", response.request.url
    customer = profile(shop, "6901")
    assert (customer["balance"], customer["status"], customer["name"]) == (200, "active", "Ann Lee")

    # Nor can its own member spend this shop's reward, or see any of it.
    new_member(other_shop, "6902", "quin@example.com")
    assert adjust(other_shop, "6902", 500, "Welcome").status_code == 201
    foreign_reward = other_shop.api(
        "POST", "/api/customers/6902/redemptions", json={"reward_id": reward["id"]}
    )
    assert fields_of(error_of(foreign_reward, 422)) == ["reward_id"]
    assert [c["customer_id"] for c in other_shop.api("GET", "/api/customers").json()["items"]] == ["6902"]
    assert other_shop.api("GET", "/api/rewards").json()["items"] == [theirs]
    assert {e["customer_id"] for e in audit(other_shop)} == {None, "6902"}
    assert "pia@example.com" not in other_shop.api("GET", "/api/activities/points.csv").text
