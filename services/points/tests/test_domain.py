"""The points rules, without nameko or a database."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.points import domain
from services.points.domain import Lot, MemberTotals
from shared.errors import Unprocessable
from shared.points_api import ProgramRules, VipTier

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def lot(lot_id, remaining, earned_days_ago=0, pending_days=0, expiry_days=None, now=T0):
    earned_at = now - days(earned_days_ago)
    return Lot(
        id=lot_id,
        remaining=remaining,
        earned_at=earned_at,
        available_at=earned_at + days(pending_days),
        expires_at=earned_at + days(expiry_days) if expiry_days else None,
    )


@pytest.mark.parametrize(
    ("subtotal", "rate", "points"),
    [
        ("100.00", "1", 100),
        ("99.99", "1", 99),  # floor, never rounded up
        ("10.50", "1.5", 15),  # 15.75
        ("0.99", "1", 0),
        ("0", "1", 0),
        ("-5", "1", 0),  # a credit note earns nothing
        ("100", "0", 0),
        ("19.99", "0.1", 1),
    ],
)
def test_an_order_earns_the_floor_of_subtotal_times_rate(subtotal, rate, points):
    assert domain.points_for_order(Decimal(subtotal), Decimal(rate)) == points


@pytest.mark.parametrize(("rounding", "points"), [("floor", 15), ("round", 16), ("ceil", 16)])
def test_the_program_chooses_how_order_points_round(rounding, points):
    assert domain.points_for_order(Decimal("10.50"), Decimal("1.5"), rounding) == points  # 15.75


def test_rounding_half_up_and_exact_amounts():
    assert domain.points_for_order(Decimal("10.50"), Decimal("1"), "round") == 11
    assert domain.points_for_order(Decimal("10.49"), Decimal("1"), "round") == 10
    assert domain.points_for_order(Decimal("10.00"), Decimal("1"), "ceil") == 10
    assert domain.points_for_order(Decimal("10.01"), Decimal("1"), "ceil") == 11


def test_only_active_members_earn():
    assert domain.can_earn(domain.MEMBER_ACTIVE)
    assert not domain.can_earn(domain.MEMBER_EXCLUDED)


def test_default_program_settings():
    settings = ProgramRules()
    assert settings.points_per_currency_unit == Decimal("1")
    assert (settings.rounding, settings.pending_days, settings.expiry_days) == ("floor", 0, None)
    assert (
        settings.signup_points,
        settings.review_points,
        settings.google_review_points,
        settings.referrer_reward_points,
    ) == (0, 50, 100, 500)
    assert (settings.referee_coupon.type, settings.referee_coupon.value) == ("fixed", Decimal("5"))


def test_a_partial_refund_takes_back_its_share_of_the_points():
    assert domain.points_to_take_back(100, Decimal("100"), Decimal("0"), 0, Decimal("25")) == 25


def test_a_full_refund_takes_back_exactly_what_the_order_earned():
    # 99.99 at rate 1 earned 99; refunding 99.99 takes back 99, not 100.
    assert domain.points_to_take_back(99, Decimal("99.99"), Decimal("0"), 0, Decimal("99.99")) == 99


def test_refunds_never_take_back_more_than_the_order_earned_in_total():
    # A refund that includes shipping can exceed the subtotal.
    assert domain.points_to_take_back(100, Decimal("100"), Decimal("0"), 0, Decimal("130")) == 100
    # After 80 points were taken back, at most 20 remain to take.
    assert domain.points_to_take_back(100, Decimal("100"), Decimal("80"), 80, Decimal("50")) == 20
    # Nothing remains once everything was taken back.
    assert domain.points_to_take_back(100, Decimal("100"), Decimal("100"), 100, Decimal("10")) == 0


def test_refunds_in_parts_add_up_to_the_whole_without_rounding_drift():
    order_points, subtotal = 101, Decimal("101.00")
    refunded, taken = Decimal("0"), 0
    for part in [Decimal("33.67")] * 3:
        due = domain.points_to_take_back(order_points, subtotal, refunded, taken, part)
        refunded, taken = refunded + part, taken + due
    assert taken == 101


def test_a_refund_of_an_order_that_earned_nothing_takes_nothing():
    assert domain.points_to_take_back(0, Decimal("0.50"), Decimal("0"), 0, Decimal("0.50")) == 0


def test_earning_raises_balance_and_lifetime_earned():
    posting = domain.post(MemberTotals(balance=10, lifetime_earned=10), "earned", 25)
    assert (posting.points, posting.balance_after, posting.uncollected_points) == (25, 35, 0)
    assert posting.totals.lifetime_earned == 35


def test_a_refund_records_what_it_could_not_collect_and_lowers_lifetime_by_the_whole_due():
    posting = domain.post(MemberTotals(balance=30, lifetime_earned=100), "refunded", -30, uncollected=70)
    assert (posting.points, posting.balance_after, posting.uncollected_points) == (-30, 0, 70)
    # Refunded points were not really earned, whether collected or not.
    assert posting.totals.lifetime_earned == 0


def test_a_posting_below_zero_is_a_bug_not_a_customer_error():
    with pytest.raises(ValueError, match="below zero"):
        domain.post(MemberTotals(balance=10), "adjusted", -11)
    assert domain.post(MemberTotals(balance=10), "adjusted", -10).balance_after == 0


def test_redeeming_counts_towards_lifetime_redeemed():
    posting = domain.post(MemberTotals(balance=100, lifetime_earned=100), "redeemed", -40)
    assert (posting.balance_after, posting.totals.lifetime_redeemed, posting.totals.lifetime_earned) == (
        60,
        40,
        100,
    )


def test_adjustments_leave_lifetime_totals_alone_but_reversals_correct_them():
    totals = MemberTotals(balance=100, lifetime_earned=100, lifetime_redeemed=40)
    assert domain.post(totals, "adjusted", 25).totals == MemberTotals(125, 100, 40)
    assert domain.post(totals, "adjusted", -60, reverses="earned").totals == MemberTotals(40, 40, 40)
    assert domain.post(totals, "adjusted", 40, reverses="redeemed").totals == MemberTotals(140, 100, 0)
    assert domain.post(totals, "adjusted", 30, reverses="refunded").totals == MemberTotals(130, 130, 40)
    assert domain.post(totals, "adjusted", 10, reverses="expired").totals == MemberTotals(110, 100, 40)


def test_an_unknown_activity_type_is_refused():
    with pytest.raises(ValueError, match="unknown activity type"):
        domain.post(MemberTotals(), "gifted", 5)


def test_actions_read_like_the_dashboard():
    label = domain.order_label("123", "#1001")
    assert domain.placed_order_action(label) == "Placed order #1001"
    assert domain.refunded_order_action(label) == "Order #1001 refunded"
    assert domain.order_label("123", None) == "#123"
    assert domain.reference("order", "123") == "order:123"


def test_missing_profile_fields_never_overwrite_what_is_known():
    current = {"email": "jane@example.com", "first_name": None, "last_name": "Doe"}
    given = {"email": "other@example.com", "first_name": "Jane", "last_name": None}
    assert domain.missing_profile_fields(current, given) == {"first_name": "Jane"}


def test_display_name_and_email_normalization():
    assert domain.display_name("Jane", "Doe") == "Jane Doe"
    assert domain.display_name(None, "Doe") == "Doe"
    assert domain.display_name(None, None) is None
    assert domain.normalize_email("  Jane@Example.COM ") == "jane@example.com"
    assert domain.normalize_email("  ") is None


def test_new_codes_are_prefixed_base32_and_random():
    code = domain.new_discount_code("WELCOME", random_bytes=lambda n: b"\x00" * n)
    assert code == "WELCOME-AAAAAAAA"
    codes = {domain.new_discount_code("WELCOME") for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == len("WELCOME-") + 8 and c == c.upper() for c in codes)


def test_codes_match_case_insensitively():
    assert domain.normalize_code(" welcome-abcd2345 ") == "WELCOME-ABCD2345"


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        ("active", (True, None)),
        ("used", (False, "used")),
        ("voided", (False, "voided")),
        (None, (False, "unknown")),
    ],
)
def test_code_validity_at_checkout(status, verdict):
    assert domain.code_validity(status) == verdict


# --- lots: pending, spending, expiry ------------------------------------------------------


def test_a_new_lot_waits_out_the_return_window_and_expires_from_when_it_was_earned():
    settings = ProgramRules(pending_days=14, expiry_days=365)
    assert domain.lot_dates(T0, settings, pending=True) == (T0 + days(14), T0 + days(365))
    # Bonuses and adjustments are spendable at once.
    assert domain.lot_dates(T0, settings, pending=False) == (T0, T0 + days(365))
    assert domain.lot_dates(T0, ProgramRules(), pending=True) == (T0, None)


def test_pending_points_become_available_when_the_window_ends_not_before():
    order_lot = lot(1, 100, pending_days=14)
    assert (domain.pending_points([order_lot], T0), domain.available_points([order_lot], T0)) == (100, 0)
    just_before = T0 + days(14) - timedelta(seconds=1)
    assert domain.available_points([order_lot], just_before) == 0
    assert (
        domain.pending_points([order_lot], T0 + days(14)),
        domain.available_points([order_lot], T0 + days(14)),
    ) == (0, 100)


def test_spending_takes_the_oldest_available_points_first():
    lots = [lot(3, 50, earned_days_ago=1), lot(1, 30, earned_days_ago=10), lot(2, 40, earned_days_ago=5)]
    plan = domain.plan_spending(lots, 60, T0)
    assert [(spent.id, take) for spent, take in plan] == [(1, 30), (2, 30)]


def test_spending_never_touches_pending_or_expired_points_and_says_why_not():
    lots = [
        lot(1, 100, pending_days=14),
        lot(2, 20, earned_days_ago=400, expiry_days=365),
        lot(3, 30, earned_days_ago=2),
    ]
    assert [(s.id, t) for s, t in domain.plan_spending(lots, 30, T0)] == [(3, 30)]
    with pytest.raises(Unprocessable) as refused:
        domain.plan_spending(lots, 31, T0, field="reward_id")
    assert "30 points are available (100 more are pending)" in refused.value.message
    assert refused.value.details[0]["field"] == "reward_id"


def test_a_take_back_starts_with_its_own_lot_even_while_pending():
    lots = [lot(1, 50, earned_days_ago=30), lot(2, 80, pending_days=14)]
    plan, uncollected = domain.plan_take_back(lots, 100, T0, own_lot_id=2)
    assert [(s.id, t) for s, t in plan] == [(2, 80), (1, 20)]
    assert uncollected == 0


def test_a_take_back_never_goes_below_zero_and_reports_the_rest():
    lots = [lot(1, 10, earned_days_ago=30), lot(2, 5, pending_days=14), lot(3, 0)]
    plan, uncollected = domain.plan_take_back(lots, 100, T0, own_lot_id=3)
    # Another order's pending points are not taken: they may be refunded too.
    assert [(s.id, t) for s, t in plan] == [(1, 10)]
    assert uncollected == 90


def test_lots_expire_at_their_expiry_instant_not_a_second_before():
    expiring = lot(1, 70, earned_days_ago=0, expiry_days=30)
    assert domain.expired_points([expiring], T0 + days(30) - timedelta(seconds=1)) == []
    assert [x.id for x in domain.expired_points([expiring], T0 + days(30))] == [1]
    assert domain.expired_points([lot(2, 0, expiry_days=1)], T0 + days(5)) == []  # spent already


def test_the_next_expiry_adds_up_every_lot_expiring_that_day():
    lots = [
        lot(1, 10, earned_days_ago=5, expiry_days=30),
        lot(2, 15, earned_days_ago=5, expiry_days=30),
        lot(3, 99, earned_days_ago=1, expiry_days=30),
        lot(4, 7),
    ]
    assert domain.next_expiry(lots, T0) == (25, (T0 + days(25)).date())
    assert domain.next_expiry([lot(4, 7)], T0) is None


# --- reversals, tiers, birthdays, names ------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "reverses_id", "already", "refusal"),
    [
        (50, None, False, None),
        (-20, None, False, None),
        (50, 7, False, "this entry is itself a reversal; make an adjustment instead"),
        (50, None, True, "this entry has already been reversed"),
        (0, None, False, "this entry moved no points; there is nothing to reverse"),
    ],
)
def test_which_entries_can_be_reversed(points, reverses_id, already, refusal):
    assert domain.reversal_refusal("earned", points, reverses_id, already) == refusal


def test_the_tier_follows_lifetime_points_unless_set_by_hand():
    tiers = (
        VipTier(name="Silver", threshold=500),
        VipTier(name="Gold", threshold=2000),
        VipTier(name="Bronze", threshold=0),
    )
    assert domain.tier_for(0, tiers) == "Bronze"
    assert domain.tier_for(499, tiers) == "Bronze"
    assert domain.tier_for(500, tiers) == "Silver"
    assert domain.tier_for(10_000, tiers) == "Gold"
    assert domain.tier_for(10_000, ()) is None
    assert domain.vip_tier("Bronze", 10_000, tiers) == "Bronze"
    assert domain.vip_tier(None, 10_000, tiers) == "Gold"


def test_birthdays_are_celebrated_on_the_day_and_leap_day_ones_on_28_february():
    assert domain.birthday_key(date(1990, 3, 7)) == "03-07"
    assert domain.birthday_keys_on(date(2026, 3, 7)) == ["03-07"]
    assert domain.birthday_keys_on(date(2027, 2, 28)) == ["02-28", "02-29"]
    assert domain.birthday_keys_on(date(2028, 2, 28)) == ["02-28"]  # 2028 has a 29th
    assert domain.birthday_keys_on(date(2028, 2, 29)) == ["02-29"]


def test_an_admins_name_splits_into_first_and_last():
    assert domain.split_name("Mary Ann Smith") == ("Mary Ann", "Smith")
    assert domain.split_name("  Cher ") == ("Cher", None)
    assert domain.split_name("") == (None, None)
    assert domain.name_key("Mary Ann", "Smith") == "mary ann smith"


def test_actions_of_admin_entries_read_like_the_dashboard():
    assert domain.adjustment_action("goodwill") == "Adjusted by admin: goodwill"
    assert domain.redemption_action("$5 off") == "Redeemed $5 off"
    assert domain.reversal_action("Placed order #1001") == "Reversed: Placed order #1001"


@pytest.mark.parametrize(
    ("test", "financial_status", "is_paid", "member_status", "reason"),
    [
        (True, "paid", True, "active", "test_order"),
        (True, "pending", False, "active", "test_order"),  # a test order never earns, paid or not
        (False, "voided", False, "active", "voided"),
        (False, "REFUNDED", False, "active", "refunded"),
        (False, "paid", True, "excluded", "member_excluded"),
        (False, "pending", False, "excluded", None),  # may still be paid after re-inclusion
        (False, "pending", False, "active", None),
        (False, "paid", True, "active", None),
    ],
)
def test_an_order_that_will_never_earn_says_why(test, financial_status, is_paid, member_status, reason):
    assert domain.no_points_reason(test, financial_status, is_paid, member_status) == reason
