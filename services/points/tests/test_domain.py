"""The points rules, without nameko or a database."""
from decimal import Decimal

import pytest

from services.points import domain
from services.points.domain import MemberTotals
from shared.errors import Unprocessable


@pytest.mark.parametrize("subtotal, rate, points", [
    ("100.00", "1", 100),
    ("99.99", "1", 99),           # floor, never rounded up
    ("10.50", "1.5", 15),         # 15.75
    ("0.99", "1", 0),
    ("0", "1", 0),
    ("-5", "1", 0),               # a credit note earns nothing
    ("100", "0", 0),
    ("19.99", "0.1", 1),
])
def test_an_order_earns_the_floor_of_subtotal_times_rate(subtotal, rate, points):
    assert domain.points_for_order(Decimal(subtotal), Decimal(rate)) == points


def test_only_active_members_earn():
    assert domain.can_earn(domain.MEMBER_ACTIVE)
    assert not domain.can_earn(domain.MEMBER_EXCLUDED)


def test_default_program_settings():
    settings = domain.ProgramSettings()
    assert settings.points_per_currency_unit == Decimal("1")
    assert (settings.signup_points, settings.review_points, settings.google_review_points,
            settings.referrer_reward_points) == (0, 50, 100, 500)
    assert (settings.referee_coupon_type, settings.referee_coupon_value) == ("fixed", Decimal("5"))


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


def test_a_refund_never_takes_the_balance_below_zero_and_records_the_rest_as_uncollected():
    posting = domain.post(MemberTotals(balance=30, lifetime_earned=100), "refunded", -100)
    assert posting.points == -30
    assert posting.balance_after == 0
    assert posting.uncollected_points == 70
    # Refunded points were not really earned, whether collected or not.
    assert posting.totals.lifetime_earned == 0


def test_a_refund_on_an_empty_balance_collects_nothing():
    posting = domain.post(MemberTotals(balance=0, lifetime_earned=50), "refunded", -50)
    assert (posting.points, posting.balance_after, posting.uncollected_points) == (0, 0, 50)


def test_other_movements_may_not_overdraw_the_balance():
    with pytest.raises(Unprocessable):
        domain.post(MemberTotals(balance=10), "adjusted", -11)
    posting = domain.post(MemberTotals(balance=10), "adjusted", -10)
    assert posting.balance_after == 0


def test_redeeming_counts_towards_lifetime_redeemed():
    posting = domain.post(MemberTotals(balance=100, lifetime_earned=100), "redeemed", -40)
    assert (posting.balance_after, posting.totals.lifetime_redeemed, posting.totals.lifetime_earned) == (60, 40, 100)


def test_an_unknown_activity_type_is_refused():
    with pytest.raises(ValueError):
        domain.post(MemberTotals(), "gifted", 5)


def test_balance_always_equals_the_sum_of_postings():
    totals, ledger = MemberTotals(), []
    for activity_type, points in [("earned", 100), ("refunded", -30), ("earned", 50),
                                  ("refunded", -500), ("adjusted", 7), ("redeemed", -7)]:
        posting = domain.post(totals, activity_type, points)
        ledger.append(posting.points)
        totals = posting.totals
        assert totals.balance == sum(ledger) >= 0


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


@pytest.mark.parametrize("status, verdict", [
    ("active", (True, None)), ("used", (False, "used")), ("voided", (False, "voided")),
    (None, (False, "unknown")),
])
def test_code_validity_at_checkout(status, verdict):
    assert domain.code_validity(status) == verdict
