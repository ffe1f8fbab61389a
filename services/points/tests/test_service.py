"""The points service in its real container, on the real broker and database:
events in, ledger and codes changed, RPC answers and events out."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import func, insert, select, update

from services.points.models import (
    discount_codes,
    members,
    metadata,
    order_awards,
    order_refunds,
    point_activities,
    point_lots,
)
from shared.clock import FrozenClock
from shared.database import Database
from shared.errors import BadRequest, NotFound, Unprocessable
from shared.events import (
    CustomerCreated,
    GoogleReviewApproved,
    OrderPlaced,
    OrderRefunded,
    ReferralCancelled,
    ReferralCompleted,
    ReviewApproved,
)
from shared.points_api import Activity
from tests.support import wait_for

processed_events = metadata.tables["processed_events"]
outbox = metadata.tables["outbox"]


def order(order_id, customer_id="c1", subtotal="100.00", status="paid", codes=(), email=None):
    return OrderPlaced(
        order_id=order_id,
        order_name=f"#{order_id}",
        customer_id=customer_id,
        email=email,
        financial_status=status,
        subtotal=Decimal(subtotal),
        discount_codes=list(codes),
    )


def refund(order_id, refund_id, amount):
    return OrderRefunded(order_id=order_id, refund_id=refund_id, amount=Decimal(amount))


def review(review_id, customer_id="c1"):
    return ReviewApproved(review_id=review_id, customer_id=customer_id, product_id="p1", rating=5)


def customer_or_none(rpc, shop_id, customer_id="c1"):
    try:
        return rpc.get_customer(shop_id, customer_id)
    except NotFound:
        return None


def balance_is(rpc, shop_id, expected, customer_id="c1"):
    customer = wait_for(
        lambda: (c := customer_or_none(rpc, shop_id, customer_id)) and c["balance"] == expected and c
    )
    assert customer, f"balance never reached {expected}: {customer_or_none(rpc, shop_id, customer_id)}"
    return customer


def handled(rows, *event_ids):
    assert wait_for(lambda: all(rows(processed_events, event_id=str(e)) for e in event_ids)), (
        "events were not handled"
    )


# --- orders ----------------------------------------------------------------------------


def test_an_order_paid_twice_earns_once(rpc, publish, rows, shop_id):
    # orders/create already paid, then orders/paid: two events, one order.
    created = publish("gateway", shop_id, order("1001", subtotal="120.99"))
    paid = publish("gateway", shop_id, order("1001", subtotal="120.99"))
    handled(rows, created, paid)

    customer = balance_is(rpc, shop_id, 120)
    assert [
        (a["type"], a["action"], a["points"], a["balance_after"]) for a in customer["recent_activities"]
    ] == [("earned", "Placed order #1001", 120, 120)]
    [award] = rows(order_awards, shop_id=shop_id)
    assert (award.order_id, award.points, award.rate) == ("1001", 120, Decimal("1"))


def test_an_unpaid_order_makes_a_member_without_points_and_earns_when_paid(rpc, publish, rows, shop_id):
    publish("gateway", shop_id, order("1002", status="pending", email="Jane@Example.com"))
    customer = wait_for(lambda: customer_or_none(rpc, shop_id))
    assert customer["email"] == "Jane@Example.com"
    assert (customer["balance"], customer["recent_activities"]) == (0, [])
    assert rows(order_awards, shop_id=shop_id) == []

    publish("gateway", shop_id, order("1002", status="paid"))
    customer = balance_is(rpc, shop_id, 100)
    assert customer["lifetime_earned"] == 100
    assert len(customer["recent_activities"]) == 1


def test_the_rate_of_the_program_applies_and_is_kept_with_the_award(rpc, publish, rows, set_program, shop_id):
    set_program(shop_id, points_per_currency_unit=Decimal("1.5"))
    publish("gateway", shop_id, order("1003", subtotal="10.50"))
    balance_is(rpc, shop_id, 15)  # floor(15.75)
    [award] = rows(order_awards, shop_id=shop_id)
    assert award.rate == Decimal("1.5")


def test_a_redelivered_event_has_one_effect(rpc, publish, rows, shop_id):
    event_id = uuid.uuid4()
    publish("gateway", shop_id, order("1004"), event_id=event_id)
    publish("gateway", shop_id, order("1004"), event_id=event_id)
    # One worker handles the queue in order: once the next order shows, both
    # copies of the first have been handled.
    publish("gateway", shop_id, order("1005", subtotal="1"))
    customer = balance_is(rpc, shop_id, 101)
    assert [a["action"] for a in customer["recent_activities"]] == [
        "Placed order #1005",
        "Placed order #1004",
    ]
    assert len(rows(processed_events, event_id=str(event_id))) == 1


def test_an_excluded_member_earns_nothing(rpc, publish, rows, db, published_by_points, shop_id):
    awarded = published_by_points("points_awarded")
    publish("gateway", shop_id, CustomerCreated(customer_id="c1", email="x@example.com"))
    wait_for(lambda: customer_or_none(rpc, shop_id))
    with db.begin() as conn:
        conn.execute(update(members).where(members.c.shop_id == shop_id).values(status="excluded"))

    handled(
        rows, publish("gateway", shop_id, order("1006")), publish("reviews", shop_id, review("r-excluded"))
    )
    customer = rpc.get_customer(shop_id, "c1")
    assert (customer["status"], customer["balance"], customer["recent_activities"]) == ("excluded", 0, [])
    # The order is kept as one that earned nothing, and why.
    assert [(row.order_id, row.points) for row in rows(order_awards, shop_id=shop_id)] == [("1006", 0)]
    award = rpc.get_order(shop_id, "1006")
    assert (award["points"], award["no_points_reason"], award["activity_id"]) == (0, "member_excluded", None)
    assert awarded() == []


def test_a_paid_order_announces_points_awarded(rpc, publish, published_by_points, shop_id):
    awarded = published_by_points("points_awarded")
    publish("gateway", shop_id, order("1007", subtotal="42"))
    [event] = wait_for(awarded)
    assert event["shop_id"] == shop_id
    assert event["source"] == "points"
    customer = rpc.get_customer(shop_id, "c1")
    assert event["payload"] == {
        "customer_id": "c1",
        "activity_id": customer["recent_activities"][0]["id"],
        "points": 42,
        "reason": "order",
        "reference": "1007",
        "balance_after": 42,
    }


# --- refunds ------------------------------------------------------------------------------


def test_a_refund_takes_back_its_share_at_the_rate_the_order_earned(rpc, publish, shop_id, set_program):
    set_program(shop_id, points_per_currency_unit=Decimal("2"))
    publish("gateway", shop_id, order("2001", subtotal="100"))
    balance_is(rpc, shop_id, 200)
    set_program(shop_id, points_per_currency_unit=Decimal("1"))  # today's rule; the order keeps its own

    publish("gateway", shop_id, refund("2001", "rf-1", "25"))
    customer = balance_is(rpc, shop_id, 150)
    assert customer["recent_activities"][0] | {"id": None, "occurred_at": None} == {
        "id": None,
        "customer_id": "c1",
        "customer_email": None,
        "customer_name": None,
        "type": "refunded",
        "action": "Order #2001 refunded",
        "points": -50,
        "balance_after": 150,
        "occurred_at": None,
        "uncollected_points": 0,
        "actor": "system",
        "pending_until": None,
        "reverses_activity_id": None,
    }
    assert customer["lifetime_earned"] == 150


def test_refunds_never_take_more_than_earned_nor_go_below_zero(rpc, publish, rows, db, shop_id):
    publish("gateway", shop_id, order("2002", subtotal="100"))
    balance_is(rpc, shop_id, 100)
    # The member spent 60 of them meanwhile.
    rpc.adjust_points(shop_id, "c1", -60, "spent at the pop-up store", "api_key:test")

    full = publish("gateway", shop_id, refund("2002", "rf-full", "100"))
    again = publish("gateway", shop_id, refund("2002", "rf-full", "100"))  # same refund, new event
    shipping = publish("gateway", shop_id, refund("2002", "rf-shipping", "15"))
    unknown = publish("gateway", shop_id, refund("no-such-order", "rf-x", "50"))
    handled(rows, full, again, shipping, unknown)

    customer = rpc.get_customer(shop_id, "c1")
    assert customer["balance"] == 0
    refunds = rows(point_activities, shop_id=shop_id, type="refunded")
    assert [(r.points, r.uncollected_points, r.balance_after, r.reference) for r in refunds] == [
        (-40, 60, 0, "refund:rf-full")
    ]
    # A refund of an order not seen is kept, waiting for it.
    assert [
        (r.refund_id, r.points, r.applied_at is not None) for r in rows(order_refunds, shop_id=shop_id)
    ] == [("rf-full", 100, True), ("rf-shipping", 0, True), ("rf-x", 0, False)]
    [award] = rows(order_awards, shop_id=shop_id)
    assert (award.refunded_points, award.refunded_amount) == (100, Decimal("115"))


# --- the ledger invariant -------------------------------------------------------------------


@pytest.mark.parametrize("max_workers", [10])
def test_balance_equals_the_ledger_under_concurrent_events(rpc, publish, rows, db, shop_id):
    event_ids = [publish("reviews", shop_id, review(f"r{i}")) for i in range(30)]
    event_ids += [publish("gateway", shop_id, order(f"30{i}", subtotal="10")) for i in range(5)]
    handled(rows, *event_ids)
    event_ids = [publish("gateway", shop_id, refund(f"30{i}", f"rf{i}", "5")) for i in range(5)]
    handled(rows, *event_ids)

    ledger = rows(point_activities, shop_id=shop_id)
    assert len(ledger) == 40
    with db.connect() as conn:
        member = conn.execute(select(members).where(members.c.shop_id == shop_id)).one()
        total = conn.execute(
            select(func.sum(point_activities.c.points)).where(point_activities.c.shop_id == shop_id)
        ).scalar()
    assert member.balance == total == 30 * 50 + 5 * 10 - 5 * 5
    # Every entry starts from the balance the previous one left: no lost update.
    running = 0
    for entry in ledger:
        running += entry.points
        assert entry.balance_after == running


# --- members and awards ---------------------------------------------------------------------


def test_customers_reviews_and_referrals_earn_once_each(
    rpc, publish, rows, set_program, published_by_points, shop_id
):
    awarded = published_by_points("points_awarded")
    set_program(shop_id, signup_points=10)
    signed_up = CustomerCreated(
        customer_id="c1", email="Jane.Doe@Example.com", first_name="Jane", last_name="Doe"
    )
    event_ids = [
        publish("gateway", shop_id, signed_up),
        publish("gateway", shop_id, signed_up),
        publish("reviews", shop_id, review("rev-1")),
        publish("reviews", shop_id, review("rev-1")),
        publish("reviews", shop_id, GoogleReviewApproved(submission_id="g-1", customer_id="c1")),
        publish(
            "referrals",
            shop_id,
            ReferralCompleted(
                referral_id="ref-1", referrer_customer_id="c1", referee_email="f@example.com", order_id="9"
            ),
        ),
    ]
    handled(rows, *event_ids)

    customer = balance_is(rpc, shop_id, 10 + 50 + 100 + 500)
    assert sorted(a["action"] for a in customer["recent_activities"]) == [
        "Google review",
        "Referred a friend",
        "Signed up",
        "Wrote a review",
    ]
    assert {
        k: customer[k]
        for k in (
            "customer_id",
            "email",
            "first_name",
            "last_name",
            "name",
            "birthday",
            "vip_tier",
            "status",
            "pending_points",
            "lifetime_earned",
            "lifetime_redeemed",
        )
    } == {
        "customer_id": "c1",
        "email": "Jane.Doe@Example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "name": "Jane Doe",
        "birthday": None,
        "vip_tier": None,
        "status": "active",
        "pending_points": 0,
        "lifetime_earned": 660,
        "lifetime_redeemed": 0,
    }
    assert datetime.fromisoformat(customer["member_since"]) <= datetime.now(UTC)

    events = wait_for(lambda: len(got := awarded()) == 4 and got)
    assert sorted(
        (e["payload"]["reason"], e["payload"]["reference"], e["payload"]["points"]) for e in events
    ) == [
        ("google_review", "g-1", 100),
        ("referral", "ref-1", 500),
        ("review", "rev-1", 50),
        ("signup", "c1", 10),
    ]

    found = rpc.find_member_by_email(shop_id, "  jane.doe@EXAMPLE.com ")
    assert found["customer_id"] == "c1"
    assert "recent_activities" not in found
    assert rpc.find_member_by_email(shop_id, "nobody@example.com") is None


def test_a_shop_never_sees_another_shops_customer(rpc, publish, shop_id):
    publish("gateway", shop_id, order("4001"))
    balance_is(rpc, shop_id, 100)
    other_shop = f"{shop_id}_other"
    with pytest.raises(NotFound):
        rpc.get_customer(other_shop, "c1")
    assert rpc.list_activities(other_shop)["rows"] == []
    with pytest.raises(NotFound):
        rpc.get_customer(shop_id, "no-such-customer")


# --- discount codes ----------------------------------------------------------------------------


def test_a_welcome_code_is_issued_once_per_referral(rpc, shop_id):
    code = rpc.issue_referral_welcome_code(shop_id, "ref-1", "Friend@Example.com")
    assert code["code"].startswith("WELCOME-")
    assert len(code["code"]) == 16
    assert (
        code["kind"],
        code["status"],
        code["referral_id"],
        code["value_type"],
        Decimal(code["value"]),
    ) == ("referral_welcome", "active", "ref-1", "fixed", Decimal("5"))
    assert rpc.issue_referral_welcome_code(shop_id, "ref-1", "friend@example.com") == code
    assert rpc.get_discount_code(shop_id, code["code"].lower()) == code
    assert rpc.issue_referral_welcome_code(shop_id, "ref-2", "friend@example.com")["code"] != code["code"]

    with pytest.raises(Unprocessable) as refused:
        rpc.issue_referral_welcome_code(shop_id, "ref-3", "not-an-email")
    assert refused.value.details[0]["field"] == "referee_email"
    with pytest.raises(NotFound):
        rpc.get_discount_code(shop_id, "WELCOME-NOPE")
    with pytest.raises(NotFound):
        rpc.get_discount_code(f"{shop_id}_other", code["code"])


def test_a_welcome_code_of_a_refused_claim_is_voided_and_announced(rpc, published_by_points, shop_id):
    voided = published_by_points("discount_code_voided")
    code = rpc.issue_referral_welcome_code(shop_id, "ref-lost", "zoe@example.com")["code"]
    rpc.void_unclaimed_welcome_code(shop_id, "ref-lost")
    rpc.void_unclaimed_welcome_code(shop_id, "ref-lost")  # again: nothing more
    assert rpc.check_discount_code(shop_id, code)["reason"] == "voided"
    events = wait_for(lambda: (got := voided()) and got)
    assert [(e["payload"]["code"], e["payload"]["reason"]) for e in events] == [(code, "claim_refused")]


def test_cancelling_a_referral_voids_its_code_and_checkout_rejects_it(
    rpc, publish, published_by_points, shop_id
):
    voided_events = published_by_points("discount_code_voided")
    code = rpc.issue_referral_welcome_code(shop_id, "ref-1", "friend@example.com")["code"]
    assert rpc.check_discount_code(shop_id, code)["valid"] is True

    cancelled = ReferralCancelled(
        referral_id="ref-1",
        referrer_customer_id="c1",
        referee_email="friend@example.com",
        previous_status="pending",
    )
    publish("referrals", shop_id, cancelled)
    check = wait_for(lambda: (c := rpc.check_discount_code(shop_id, code))["reason"] == "voided" and c)
    assert check == {
        "code": code,
        "valid": False,
        "reason": "voided",
        "value_type": "fixed",
        "value": check["value"],
    }
    assert rpc.get_discount_code(shop_id, code)["voided_at"] is not None

    [event] = wait_for(voided_events)
    assert event["payload"] == {
        "code": code,
        "customer_email": "friend@example.com",
        "referral_id": "ref-1",
        "reason": "referral_cancelled",
    }
    assert rpc.check_discount_code(shop_id, "WELCOME-NOPE") == {
        "code": "WELCOME-NOPE",
        "valid": False,
        "reason": "unknown",
        "value_type": None,
        "value": None,
    }


def test_an_order_using_a_code_marks_it_used_and_a_later_cancel_leaves_it_used(
    rpc, publish, rows, published_by_points, shop_id
):
    voided_events = published_by_points("discount_code_voided")
    code = rpc.issue_referral_welcome_code(shop_id, "ref-1", "friend@example.com")["code"]
    publish("gateway", shop_id, order("5001", customer_id="c9", status="pending", codes=[code.lower()]))
    used = wait_for(lambda: (c := rpc.get_discount_code(shop_id, code))["status"] == "used" and c)
    assert (used["order_id"], used["customer_id"]) == ("5001", "c9")
    assert rpc.check_discount_code(shop_id, code)["reason"] == "used"

    cancel = publish(
        "referrals",
        shop_id,
        ReferralCancelled(
            referral_id="ref-1",
            referrer_customer_id="c1",
            referee_email="friend@example.com",
            previous_status="completed",
        ),
    )
    handled(rows, cancel)
    assert rpc.get_discount_code(shop_id, code)["status"] == "used"
    assert voided_events() == []
    assert [r.status for r in rows(discount_codes, shop_id=shop_id)] == ["used"]


def test_a_code_an_order_uses_is_announced_once(rpc, publish, rows, published_by_points, shop_id):
    used_events = published_by_points("discount_code_used")
    code = rpc.issue_referral_welcome_code(shop_id, "ref-1", "friend@example.com")["code"]
    voided = rpc.issue_referral_welcome_code(shop_id, "ref-2", "other@example.com")["code"]
    rpc.void_unclaimed_welcome_code(shop_id, "ref-2")

    handled(
        rows,
        publish(
            "gateway",
            shop_id,
            order("5101", customer_id="c9", status="pending", codes=[code.lower(), voided]),
        ),
    )
    # The order again once paid, and another order naming the used code.
    handled(
        rows,
        publish("gateway", shop_id, order("5101", customer_id="c9", codes=[code])),
        publish("gateway", shop_id, order("5102", customer_id="c8", codes=[code])),
    )

    [event] = wait_for(used_events)
    assert (event["shop_id"], event["source"]) == (shop_id, "points")
    assert event["payload"] == {"code": code, "order_id": "5101", "customer_id": "c9", "referral_id": "ref-1"}
    assert len(rows(outbox, shop_id=shop_id, event_type="discount_code_used")) == 1
    assert rpc.get_discount_code(shop_id, voided)["status"] == "voided"


# --- the activity feed -----------------------------------------------------------------------


def seed_feed(db, shop_id, now):
    """23 activities over two members, with ties on occurred_at."""
    with db.begin() as conn:
        for customer_id, email in (("alice", "Alice@Example.com"), ("bob", "bob@example.com")):
            conn.execute(
                insert(members).values(
                    shop_id=shop_id,
                    customer_id=customer_id,
                    email=email,
                    email_lower=email.lower(),
                    status="active",
                    balance=0,
                    lifetime_earned=0,
                    lifetime_redeemed=0,
                    created_at=now,
                )
            )
        for i in range(23):
            conn.execute(
                insert(point_activities).values(
                    shop_id=shop_id,
                    customer_id="alice" if i % 3 else "bob",
                    type="refunded" if i % 5 == 0 else "earned",
                    action=f"activity {i}",
                    points=1,
                    balance_after=i,
                    uncollected_points=0,
                    actor="system",
                    occurred_at=now - timedelta(minutes=i // 4),
                )
            )


def activities_of(page):
    """A page of compact rows as the activities they stand for, checked
    against the gateway's contract (shared.points_api.Activity)."""
    items = [dict(zip(page["columns"], row, strict=True)) for row in page["rows"]]
    assert [Activity.model_validate(item).model_dump(mode="json") for item in items] == items
    return items


def all_pages(rpc, shop_id, **filters):
    items, cursor, pages = [], None, 0
    while True:
        result = rpc.list_activities(shop_id, cursor=cursor, limit=5, **filters)
        items += activities_of(result)
        pages += 1
        cursor = result["next_cursor"]
        if cursor is None:
            return items, pages


def test_keyset_pages_return_every_activity_exactly_once_newest_first(rpc, db, shop_id):
    now = datetime.now(UTC) - timedelta(minutes=1)
    seed_feed(db, shop_id, now)
    with db.connect() as conn:
        expected = (
            conn.execute(
                select(point_activities.c.id)
                .where(point_activities.c.shop_id == shop_id)
                .order_by(point_activities.c.occurred_at.desc(), point_activities.c.id.desc())
            )
            .scalars()
            .all()
        )

    items, pages = all_pages(rpc, shop_id)
    assert [item["id"] for item in items] == expected
    assert pages == 5
    assert set(items[0]) == {
        "id",
        "customer_id",
        "customer_email",
        "customer_name",
        "type",
        "action",
        "points",
        "balance_after",
        "uncollected_points",
        "actor",
        "occurred_at",
        "pending_until",
        "reverses_activity_id",
    }

    refunded, _ = all_pages(rpc, shop_id, type="refunded")
    assert len(refunded) == 5
    assert {i["type"] for i in refunded} == {"refunded"}

    alice, _ = all_pages(rpc, shop_id, q="  ALI")
    assert len(alice) == 15
    assert {i["customer_email"] for i in alice} == {"Alice@Example.com"}
    assert all_pages(rpc, shop_id, q="%")[0] == []  # wildcards are matched literally

    window = rpc.list_activities(
        shop_id, from_=(now - timedelta(minutes=1, seconds=30)).isoformat(), to=now.isoformat()
    )
    assert {item["action"] for item in activities_of(window)} == {f"activity {i}" for i in range(8)}


def test_the_feed_refuses_bad_queries(rpc, shop_id):
    with pytest.raises(Unprocessable):
        rpc.list_activities(shop_id, type="gifted")
    with pytest.raises(Unprocessable):
        rpc.list_activities(shop_id, limit=500)
    with pytest.raises(BadRequest):
        rpc.list_activities(shop_id, cursor="not-a-cursor")


def test_health(rpc):
    assert rpc.health() == {"service": "points", "database": "ok"}


# --- merchant actions under concurrency -------------------------------------------------------


@pytest.mark.parametrize("max_workers", [25])
def test_concurrent_redemptions_and_deductions_never_overdraw(rpc, publish, rows, db, shop_id):
    """50 admin actions at once on one member: each succeeds or is refused
    for want of points (422); nothing else reaches the caller, and the
    ledger, the balance and the lots agree afterwards."""
    publish("gateway", shop_id, order("5001", subtotal="1000"))
    balance_is(rpc, shop_id, 1000)
    reward = rpc.create_reward(
        shop_id, {"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 50}, "api_key:test"
    )
    calls = [rpc.redeem_reward.call_async(shop_id, "c1", reward["id"], "api_key:test") for _ in range(25)]
    calls += [
        rpc.adjust_points.call_async(shop_id, "c1", -30, "chargeback", "api_key:test") for _ in range(25)
    ]
    succeeded, refused = 0, 0
    for call in calls:
        try:
            call.result()
            succeeded += 1
        except Unprocessable:
            refused += 1
    # 25 × 50 + 25 × 30 = 2000 wanted from 1000: some must be refused.
    assert succeeded + refused == 50
    assert refused > 0

    ledger = rows(point_activities, shop_id=shop_id)
    spent = -sum(entry.points for entry in ledger if entry.points < 0)
    with db.connect() as conn:
        balance = conn.execute(select(members.c.balance).where(members.c.shop_id == shop_id)).scalar()
        lots = conn.execute(
            select(func.sum(point_lots.c.remaining)).where(point_lots.c.shop_id == shop_id)
        ).scalar()
    assert balance == sum(entry.points for entry in ledger) == lots == 1000 - spent >= 0
    assert len(ledger) == 1 + succeeded
    assert all(entry.balance_after >= 0 for entry in ledger)
    # Refused only when what was left could not pay for it.
    assert balance < 50


# --- timers -----------------------------------------------------------------------------------


def test_the_expiry_and_birthday_timers_run_in_the_container_on_its_clock(
    points_service, rpc, publish, rows, shop_id
):
    """The timer entrypoints, fired by hand on the container's clock moved
    31 days ahead: the adjustment's points expire, the birthday pays."""
    clock = FrozenClock(datetime.now(UTC))
    next(ext for ext in points_service.extensions if isinstance(ext, Database)).clock = clock
    handled(rows, publish("gateway", shop_id, CustomerCreated(customer_id="c1", email="c1@example.com")))
    rpc.update_program(shop_id, {"expiry_days": 30, "birthday_points": 100}, "api_key:test")
    rpc.adjust_points(shop_id, "c1", 50, "welcome", "api_key:test")
    in_31_days = (clock.now() + timedelta(days=31)).date()
    rpc.update_customer(
        shop_id, "c1", {"birthday": in_31_days.replace(year=1992).isoformat()}, "api_key:test"
    )
    assert rpc.get_customer(shop_id, "c1")["next_expiry"]["points"] == 50

    clock.advance(days=31)
    with (
        entrypoint_hook(points_service, "expire_points") as expire_points,
        entrypoint_hook(points_service, "award_birthday_points") as award_birthday_points,
    ):
        expire_points()
        award_birthday_points()
        award_birthday_points()  # the next hourly run: nothing more

    customer = rpc.get_customer(shop_id, "c1")
    assert customer["balance"] == 100
    # The birthday's points expire in their turn.
    assert customer["next_expiry"] == {
        "points": 100,
        "date": (clock.now() + timedelta(days=30)).date().isoformat(),
    }
    assert [(a["type"], a["action"], a["points"]) for a in reversed(customer["recent_activities"])] == [
        ("adjusted", "Adjusted by admin: welcome", 50),
        ("expired", "Points expired", -50),
        ("earned", "Birthday", 100),
    ]
