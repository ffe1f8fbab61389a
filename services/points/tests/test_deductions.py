"""Points leaving a balance, and members leaving or rejoining the program,
are facts other services hear (the merchants' outbound webhooks): each
redemption, refund, expiry, deduction and reversal announces
`points_deducted` once, with the ledger entry's type, its signed points and
the balance after; exclusion and re-inclusion announce `member_excluded`
and `member_included` once per real change."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import entrypoint_hook

from services.points.tests.test_service import order, refund
from shared.clock import FrozenClock
from shared.database import Database
from tests.support import wait_for

ADMIN = "api_key:support@shop"


@pytest.fixture
def deductions(published_by_points, shop_id):
    """() -> (type, points, balance_after, action) of each points_deducted of this shop so far."""
    bodies = published_by_points("points_deducted")

    def deducted():
        return [
            (
                body["payload"]["type"],
                body["payload"]["points"],
                body["payload"]["balance_after"],
                body["payload"]["action"],
            )
            for body in bodies()
            if body["shop_id"] == shop_id
        ]

    return deducted


def deducted_are(deductions, *expected):
    """Waits for the events, then checks that they are all there are."""
    assert wait_for(lambda: len(deductions()) >= len(expected)), deductions()
    assert deductions() == list(expected)


def test_every_way_points_leave_a_balance_is_announced_once_with_the_balance_after(
    points_service, rpc, publish, deductions, shop_id
):
    clock = FrozenClock(datetime.now(UTC))
    next(ext for ext in points_service.extensions if isinstance(ext, Database)).clock = clock
    rpc.update_program(shop_id, {"expiry_days": 30}, ADMIN)
    publish("gateway", shop_id, order("1", subtotal="300"))
    assert wait_for(lambda: rpc.get_customer(shop_id, "c1")["balance"] == 300)

    rpc.adjust_points(shop_id, "c1", -20, "chargeback", ADMIN)
    reward = rpc.create_reward(
        shop_id, {"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 50}, ADMIN
    )
    rpc.redeem_reward(shop_id, "c1", reward["id"], ADMIN)
    publish("gateway", shop_id, refund("1", "r1", "100"))  # a third of the order: 100 points
    deducted_are(
        deductions,
        ("adjusted", -20, 280, "Adjusted by admin: chargeback"),
        ("redeemed", -50, 230, "Redeemed $5 off"),
        ("refunded", -100, 130, "Order #1 refunded"),
    )

    clock.advance(days=31)
    with entrypoint_hook(points_service, "expire_points") as expire_points:
        expire_points()
    deducted_are(
        deductions,
        ("adjusted", -20, 280, "Adjusted by admin: chargeback"),
        ("redeemed", -50, 230, "Redeemed $5 off"),
        ("refunded", -100, 130, "Order #1 refunded"),
        ("expired", -130, 0, "Points expired"),
    )


def test_a_reversed_earning_is_announced_as_points_adjusted_away(rpc, publish, deductions, shop_id):
    publish("gateway", shop_id, order("1", subtotal="40"))
    assert wait_for(lambda: rpc.get_customer(shop_id, "c1")["balance"] == 40)
    [earned] = [a for a in rpc.get_customer(shop_id, "c1")["recent_activities"] if a["type"] == "earned"]
    rpc.reverse_activity(shop_id, earned["id"], ADMIN, "ordered by mistake")
    [(kind, points, balance_after, action)] = wait_for(deductions)
    assert (kind, points, balance_after) == ("adjusted", -40, 0)
    assert action.startswith("Reversed: ")


def test_excluding_and_including_a_member_is_announced_once_per_real_change(
    rpc, publish, published_by_points, shop_id
):
    excluded, included = published_by_points("member_excluded"), published_by_points("member_included")

    def of_this_shop(bodies):
        return [
            (body["payload"]["customer_id"], body["payload"]["reason"])
            for body in bodies()
            if body["shop_id"] == shop_id
        ]

    publish("gateway", shop_id, order("1", subtotal="10"))
    assert wait_for(lambda: rpc.get_customer(shop_id, "c1")["balance"] == 10)
    rpc.exclude_customer(shop_id, "c1", ADMIN, "staff account")
    rpc.exclude_customer(shop_id, "c1", ADMIN, "again")  # already excluded: no change
    rpc.include_customer(shop_id, "c1", ADMIN, "left the company")
    assert wait_for(lambda: of_this_shop(included)) == [("c1", "left the company")]
    assert of_this_shop(excluded) == [("c1", "staff account")]
