"""Tier changes as facts (SPEC §7 "Tier changes"), in the real container on
the real broker and database: every cause announces `member_tier_changed`
exactly once with what the tier was, what it became and why; a change
that leaves the tier where it was announces nothing; the customer's
timeline shows each change."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from services.points.tests.test_service import handled, order, refund
from shared.clock import FrozenClock
from shared.database import Database
from tests.support import wait_for

ADMIN = "api_key:support@shop"
TIERS = [{"name": "Silver", "threshold": 100}, {"name": "Gold", "threshold": 500}]


@pytest.fixture
def tier_events(published_by_points, shop_id):
    """() -> (from_tier, to_tier, reason) of each member_tier_changed of this shop so far."""
    bodies = published_by_points("member_tier_changed")

    def changes():
        return [
            (body["payload"]["from_tier"], body["payload"]["to_tier"], body["payload"]["reason"])
            for body in bodies()
            if body["shop_id"] == shop_id
        ]

    return changes


@pytest.fixture
def awarded(published_by_points, shop_id):
    """(reference) -> waits for the points_awarded of that order (or bonus)."""
    bodies = published_by_points("points_awarded")

    def wait_for_award(reference):
        assert wait_for(
            lambda: any(
                body["shop_id"] == shop_id and body["payload"]["reference"] == reference for body in bodies()
            )
        ), f"no points_awarded for {reference}"

    return wait_for_award


def events_are(tier_events, *expected):
    """Waits for the events, then checks that they are all there are."""
    assert wait_for(lambda: len(tier_events()) >= len(expected)), tier_events()
    assert tier_events() == list(expected)


def test_earning_across_a_threshold_announces_the_change_once_and_earning_within_a_tier_nothing(
    rpc, publish, tier_events, awarded, shop_id
):
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="150"))
    events_are(tier_events, (None, "Silver", "earned"))

    publish("gateway", shop_id, order("2", subtotal="50"))
    awarded("2")  # announced after any tier change of the same transaction
    assert tier_events() == [(None, "Silver", "earned")]
    assert rpc.get_customer(shop_id, "c1")["vip_tier"] == "Silver"

    publish("gateway", shop_id, order("3", subtotal="400"))
    events_are(tier_events, (None, "Silver", "earned"), ("Silver", "Gold", "earned"))


def test_the_event_carries_the_shop_and_the_customer(rpc, publish, published_by_points, shop_id):
    bodies = published_by_points("member_tier_changed")
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="100"))
    [body] = wait_for(bodies)
    assert (body["type"], body["source"], body["shop_id"]) == ("member_tier_changed", "points", shop_id)
    assert datetime.fromisoformat(body["occurred_at"]) <= datetime.now(UTC)
    assert body["payload"] == {
        "customer_id": "c1",
        "from_tier": None,
        "to_tier": "Silver",
        "reason": "earned",
    }


def test_a_refund_back_below_the_threshold_and_a_reversal_each_announce_their_change(
    rpc, publish, tier_events, shop_id
):
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="150"))
    publish("gateway", shop_id, order("2", subtotal="400"))
    events_are(tier_events, (None, "Silver", "earned"), ("Silver", "Gold", "earned"))

    publish("gateway", shop_id, refund("2", "r2", "100"))  # 450 lifetime points: Silver
    events_are(
        tier_events, (None, "Silver", "earned"), ("Silver", "Gold", "earned"), ("Gold", "Silver", "refunded")
    )

    activities = rpc.get_customer(shop_id, "c1")["recent_activities"]
    [second_order] = [a for a in activities if a["action"] == "Placed order #2"]
    rpc.reverse_activity(shop_id, second_order["id"], ADMIN, "ordered by mistake")  # 50 left
    events_are(
        tier_events,
        (None, "Silver", "earned"),
        ("Silver", "Gold", "earned"),
        ("Gold", "Silver", "refunded"),
        ("Silver", None, "reversed"),
    )
    assert rpc.get_customer(shop_id, "c1")["vip_tier"] is None


def test_an_admin_setting_and_clearing_a_tier_announces_each_real_change(rpc, publish, tier_events, shop_id):
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="150"))
    events_are(tier_events, (None, "Silver", "earned"))

    # Setting by hand the tier they already have changes no tier.
    assert rpc.update_customer(shop_id, "c1", {"vip_tier": "Silver"}, ADMIN)["vip_tier_manual"] is True
    assert rpc.update_customer(shop_id, "c1", {"vip_tier": "Gold"}, ADMIN)["vip_tier"] == "Gold"
    events_are(tier_events, (None, "Silver", "earned"), ("Silver", "Gold", "manual_set"))

    cleared = rpc.update_customer(shop_id, "c1", {"vip_tier": None}, ADMIN)
    assert (cleared["vip_tier"], cleared["vip_tier_manual"]) == ("Silver", False)
    events_are(
        tier_events,
        (None, "Silver", "earned"),
        ("Silver", "Gold", "manual_set"),
        ("Gold", "Silver", "manual_unset"),
    )


def test_a_redelivered_order_changes_the_tier_once(rpc, publish, rows, tier_events, awarded, shop_id):
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    event_id = uuid.uuid4()
    first = publish("gateway", shop_id, order("1", subtotal="150"), event_id=event_id)
    publish("gateway", shop_id, order("1", subtotal="150"), event_id=event_id)
    publish("gateway", shop_id, order("2", subtotal="1"))
    handled(rows, first)
    awarded("2")  # one worker, in order: both copies of the first were handled before it
    assert tier_events() == [(None, "Silver", "earned")]


def test_new_thresholds_apply_at_the_next_ledger_entry_even_an_expiry(
    points_service, rpc, publish, rows, tier_events, shop_id
):
    """Raising a threshold moves nobody at once; the member's next ledger
    entry, here their points expiring on a clock moved 31 days, does."""
    clock = FrozenClock(datetime.now(UTC))
    next(ext for ext in points_service.extensions if isinstance(ext, Database)).clock = clock
    rpc.update_program(shop_id, {"vip_tiers": TIERS, "expiry_days": 30}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="150"))
    events_are(tier_events, (None, "Silver", "earned"))

    rpc.update_program(
        shop_id, {"vip_tiers": [{"name": "Silver", "threshold": 200}], "expiry_days": 30}, ADMIN
    )
    assert rpc.get_customer(shop_id, "c1")["vip_tier"] == "Silver"

    clock.advance(days=31)
    with entrypoint_hook(points_service, "expire_points") as expire_points:
        expire_points()
    events_are(tier_events, (None, "Silver", "earned"), ("Silver", None, "expired"))
    assert rpc.get_customer(shop_id, "c1")["vip_tier"] is None


def test_a_member_starts_in_a_tier_from_zero_points_without_a_change(
    rpc, publish, tier_events, awarded, shop_id
):
    rpc.update_program(shop_id, {"vip_tiers": [{"name": "Member", "threshold": 0}, *TIERS]}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="10"))
    awarded("1")
    assert rpc.get_customer(shop_id, "c1")["vip_tier"] == "Member"
    publish("gateway", shop_id, order("2", subtotal="100"))
    events_are(tier_events, ("Member", "Silver", "earned"))


def test_the_customers_timeline_shows_each_tier_change_above_the_entry_that_made_it(
    rpc, publish, tier_events, shop_id
):
    rpc.update_program(shop_id, {"vip_tiers": TIERS}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="150"))
    events_are(tier_events, (None, "Silver", "earned"))
    rpc.update_customer(shop_id, "c1", {"vip_tier": "Gold"}, ADMIN)

    now = datetime.now(UTC)
    window = {"from_": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}
    items = rpc.timeline(shop_id, **window, limit=50, customer_id="c1")["items"]
    assert [(item["kind"], item["summary"]) for item in items] == [
        ("admin", "Profile edited: VIP tier"),
        ("points", "Tier changed: Silver → Gold"),
        ("points", "Tier changed: no tier → Silver"),
        ("points", "Placed order #1"),
    ]
    gold, silver = items[1], items[2]
    assert (gold["ref"]["reason"], gold["ref"]["actor"], gold["ref"]["activity_id"]) == (
        "manual_set",
        ADMIN,
        None,
    )
    assert (silver["ref"]["reason"], silver["ref"]["actor"], silver["ref"]["activity_id"]) == (
        "earned",
        "system",
        items[3]["ref"]["id"],
    )
    assert silver["points"] is None
    assert rpc.timeline(shop_id, **window, limit=50, kind="points")["items"] == items[1:]
