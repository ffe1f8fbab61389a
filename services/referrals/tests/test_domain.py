"""The referral rules without nameko or a database."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.referrals import domain
from shared.errors import Conflict, NotFound
from shared.events import DiscountCodeUsed, DiscountCodeVoided, OrderPlaced, PointsAwarded

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# --- codes and emails ---------------------------------------------------------------


def test_link_codes_are_eight_base32_characters_from_forty_random_bits():
    assert domain.new_link_code(lambda n: b"\x00" * n) == "AAAAAAAA"
    assert domain.new_link_code(lambda n: b"\xff" * n) == "77777777"
    codes = {domain.new_link_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 8 and set(code) <= set(BASE32) for code in codes)


def test_codes_match_whatever_their_case_and_surrounding_spaces():
    assert domain.normalize_code("  welcome-ab12cd34 ") == "WELCOME-AB12CD34"


@pytest.mark.parametrize(
    "email",
    [
        "katesmith@example.com",
        "Kate.Smith@Example.com",
        "k.a.t.e.smith+friend@example.com",
        "KATESMITH+a+b@EXAMPLE.COM",
        " kate.smith@example.com ",
    ],
)
def test_email_key_ignores_case_dots_and_plus_tags_in_the_local_part(email):
    assert domain.email_key(email) == "katesmith@example.com"


def test_email_key_keeps_the_domain_apart_and_its_dots():
    assert domain.email_key("kate@mail.example.com") == "kate@mail.example.com"
    assert domain.email_key("kate@example.org") != domain.email_key("kate@example.com")


def test_email_key_of_nothing_is_nothing():
    assert domain.email_key(None) is None
    assert domain.email_key("") is None
    assert domain.email_key("no-at-sign") is None


# --- referrers ----------------------------------------------------------------------


def test_an_active_member_may_refer():
    member = {"customer_id": "1", "email": "a@example.com", "status": "active"}
    assert domain.ensure_active_referrer(member, "1") is member


def test_an_unknown_or_excluded_member_has_no_working_link():
    with pytest.raises(NotFound):
        domain.ensure_active_referrer(None, "1")
    with pytest.raises(NotFound) as excluded:
        domain.ensure_active_referrer({"customer_id": "1", "status": "excluded"}, "1")
    assert "excluded" in excluded.value.message


# --- claims -------------------------------------------------------------------------


def facts(**overrides):
    fields = {
        "referee_email_key": "bob@example.com",
        "referrer_email_key": "alice@example.com",
        "is_existing_customer": False,
        "is_already_referred": False,
        "recent_claims_from_ip": 0,
    }
    fields.update(overrides)
    return domain.ClaimFacts(**fields)


def test_a_new_friends_claim_goes_ahead():
    assert domain.claim_refusal(facts(), max_claims_per_ip_per_week=10) is None


def test_a_referrer_without_an_email_can_still_be_claimed_for():
    assert domain.claim_refusal(facts(referrer_email_key=None), 10) is None


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"referee_email_key": "alice@example.com"}, domain.SELF_REFERRAL),
        ({"is_existing_customer": True}, domain.EXISTING_CUSTOMER),
        ({"is_already_referred": True}, domain.ALREADY_REFERRED),
        ({"recent_claims_from_ip": 10}, domain.TOO_MANY_CLAIMS),
    ],
)
def test_each_refused_claim_says_why(overrides, kind):
    refusal = domain.claim_refusal(facts(**overrides), max_claims_per_ip_per_week=10)
    assert refusal.kind == kind
    assert refusal.message == domain.REFUSAL_MESSAGES[kind]


def test_self_referral_is_named_before_the_other_reasons():
    # The referrer is also an existing customer: the first reason wins.
    refusal = domain.claim_refusal(
        facts(referee_email_key="alice@example.com", is_existing_customer=True), 10
    )
    assert refusal.kind == domain.SELF_REFERRAL


def test_up_to_the_weekly_limit_of_claims_per_address_is_allowed():
    assert domain.claim_refusal(facts(recent_claims_from_ip=2), max_claims_per_ip_per_week=3) is None
    assert (
        domain.claim_refusal(facts(recent_claims_from_ip=3), max_claims_per_ip_per_week=3).kind
        == domain.TOO_MANY_CLAIMS
    )


def test_the_claim_rate_window_is_the_last_seven_days():
    assert domain.claim_window_start(NOW) == NOW - timedelta(days=7)


def test_a_new_referral_is_pending_with_the_email_and_coupon_steps_reached():
    clicked = NOW - timedelta(minutes=5)
    referral = domain.new_referral(
        referral_id="r1",
        shop_id="s1",
        code="ABCDEFGH",
        referrer={"customer_id": "1", "email": "alice@example.com", "status": "active"},
        referee_email="Bob.B+x@example.com",
        discount_code="welcome-aaaa",
        link_clicked_at=clicked,
        client_ip="10.0.0.1",
        now=NOW,
    )
    assert referral["status"] == domain.PENDING
    assert referral["referee_email_key"] == "bobb@example.com"
    assert referral["discount_code"] == "WELCOME-AAAA"
    assert (referral["link_clicked_at"], referral["email_entered_at"], referral["coupon_issued_at"]) == (
        clicked,
        NOW,
        NOW,
    )
    assert referral["order_placed_at"] is None
    assert referral["referrer_reward_points"] is None
    assert referral["occurred_at"] == NOW
    event = domain.referral_claimed(referral)
    assert (event.referral_id, event.referrer_customer_id, event.discount_code) == ("r1", "1", "WELCOME-AAAA")


# --- completion ---------------------------------------------------------------------


def order(**fields):
    values = {
        "order_id": "o1",
        "customer_id": "2",
        "email": "bob@example.com",
        "financial_status": "paid",
        "subtotal": "10",
        "discount_codes": ["welcome-aaaa"],
    }
    values.update(fields)
    return OrderPlaced(**values)


def referral_row(**fields):
    values = {
        "id": "r1",
        "status": domain.PENDING,
        "referrer_customer_id": "1",
        "referrer_email": "alice.w@example.com",
        "referee_email": "bob@example.com",
    }
    values.update(fields)
    return SimpleNamespace(**values)


def test_only_a_paid_order_with_a_code_or_an_email_may_complete_a_referral():
    assert domain.may_complete_referrals(order())
    assert domain.may_complete_referrals(order(discount_codes=[]))
    assert domain.may_complete_referrals(order(email=None))
    assert not domain.may_complete_referrals(order(financial_status="pending"))
    assert not domain.may_complete_referrals(order(email=None, discount_codes=[" "]))
    assert not domain.may_complete_referrals(order(test=True))


def test_order_codes_are_matched_case_insensitively_once_each():
    assert domain.order_code_keys(order(discount_codes=["welcome-a", "WELCOME-A", " other "])) == [
        "OTHER",
        "WELCOME-A",
    ]


def test_the_first_pending_candidate_is_completed():
    first, second = referral_row(id="r1"), referral_row(id="r2")
    assert domain.referral_completed_by(order(), [first, second]) is first


def test_a_referral_no_longer_pending_is_not_completed_again():
    assert domain.referral_completed_by(order(), [referral_row(status=domain.COMPLETED)]) is None
    assert domain.referral_completed_by(order(), [referral_row(status=domain.CANCELLED)]) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"customer_id": "1"},  # the referrer's account
        {"customer_id": None, "email": "AliceW+shop@example.com"},  # the referrer's mailbox
    ],
)
def test_the_referrers_own_order_never_completes_their_referral(fields):
    assert domain.referral_completed_by(order(**fields), [referral_row()]) is None


def test_a_referrer_without_an_email_is_recognised_by_customer_id_only():
    mine = referral_row(referrer_email=None)
    assert domain.referral_completed_by(order(customer_id="1"), [mine]) is None
    assert domain.referral_completed_by(order(customer_id="3", email=None), [mine]) is mine


def test_completion_records_the_order_and_when_it_was_placed():
    placed = NOW - timedelta(hours=2)
    done = domain.completion(order(created_at=placed), order_event_at=NOW - timedelta(hours=1), now=NOW)
    assert (done.order_id, done.referee_customer_id, done.order_placed_at, done.completed_at) == (
        "o1",
        "2",
        placed,
        NOW,
    )
    # Without the platform's own time, the event's occurrence stands in.
    assert domain.completion(order(), order_event_at=placed, now=NOW).order_placed_at == placed
    event = domain.referral_completed(referral_row(), done)
    assert (event.referral_id, event.referrer_customer_id, event.order_id, event.referee_customer_id) == (
        "r1",
        "1",
        "o1",
        "2",
    )


# --- the welcome code's status --------------------------------------------------------


def test_only_points_news_of_a_code_that_names_a_referral_is_about_a_welcome_code():
    assert domain.is_welcome_code(DiscountCodeUsed(code="W-1", order_id="o1", referral_id="r1"))
    assert domain.is_welcome_code(
        DiscountCodeVoided(code="W-1", referral_id="r1", reason="referral_cancelled")
    )
    assert not domain.is_welcome_code(DiscountCodeUsed(code="R-1", order_id="o1"))
    assert not domain.is_welcome_code(DiscountCodeVoided(code="R-1", reason="reversed"))


# --- cancellation ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [domain.PENDING, domain.COMPLETED])
def test_pending_and_completed_referrals_can_be_cancelled(status):
    cancellation = domain.cancel(status, "admin@shop", NOW)
    assert cancellation == domain.Cancellation(
        previous_status=status, cancelled_at=NOW, cancelled_by="admin@shop"
    )
    event = domain.referral_cancelled(referral_row(status=domain.CANCELLED), cancellation.previous_status)
    assert event.previous_status == status


def test_cancelling_is_final():
    with pytest.raises(Conflict) as second:
        domain.cancel(domain.CANCELLED, "admin@shop", NOW)
    assert "already cancelled" in second.value.message


# --- the referrer's reward --------------------------------------------------------------


def award(reason, reference="r1"):
    return PointsAwarded(
        customer_id="1", activity_id=7, points=500, reason=reason, reference=reference, balance_after=500
    )


def test_only_referral_awards_are_a_referrers_reward():
    assert domain.rewarded_referral(award("referral")) == "r1"
    assert domain.rewarded_referral(award("order")) is None
    assert domain.rewarded_referral(award("referral", reference=None)) is None
