"""The review rules, without nameko or a database."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from services.reviews import domain
from shared.errors import Conflict
from shared.events import GoogleReviewApproved, PointsAwarded, ReviewApproved

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def review_row(**overrides):
    fields = {"id": str(uuid.uuid4()), "customer_id": "c1", "product_id": "p1", "rating": 5, "media_urls": []}
    fields.update(overrides)
    return SimpleNamespace(**fields)


def award(reason, reference="r1"):
    return PointsAwarded(
        customer_id="c1", activity_id=7, points=50, reason=reason, reference=reference, balance_after=50
    )


def test_a_new_review_is_pending_unrewarded_and_dated_now():
    review = domain.new_review(
        "shop", "c1", "p1", 4, "Nice", "Fits well", ["https://img.example/1.jpg"], now=NOW
    )

    assert review["status"] == domain.PENDING
    assert review["reward_points"] is None
    assert review["occurred_at"] == NOW
    assert review["moderated_at"] is None
    assert uuid.UUID(review["id"])


def test_each_submission_gets_its_own_id():
    first = domain.new_google_review("shop", "c1", "https://g.page/r/1", now=NOW)
    second = domain.new_google_review("shop", "c1", "https://g.page/r/1", now=NOW)

    assert first["status"] == domain.PENDING
    assert first["id"] != second["id"]


@pytest.mark.parametrize("decision", [domain.APPROVED, domain.REJECTED])
def test_a_pending_item_takes_the_decision_with_actor_and_time(decision):
    moderation = domain.moderate(domain.REVIEW, domain.PENDING, decision, "admin:key1", NOW)

    assert moderation == domain.Moderation(status=decision, moderated_at=NOW, moderated_by="admin:key1")


@pytest.mark.parametrize("decision", [domain.APPROVED, domain.REJECTED])
def test_repeating_a_decision_changes_nothing(decision):
    assert domain.moderate(domain.REVIEW, decision, decision, "admin", NOW) is None


@pytest.mark.parametrize(
    ("current", "decision"), [(domain.APPROVED, domain.REJECTED), (domain.REJECTED, domain.APPROVED)]
)
def test_the_opposite_decision_is_a_conflict(current, decision):
    with pytest.raises(Conflict) as raised:
        domain.moderate(domain.GOOGLE_REVIEW, current, decision, "admin", NOW)

    assert raised.value.details == {"status": current}
    assert f"Google review is already {current}" in raised.value.message


def test_review_approved_says_whether_the_review_has_media():
    plain = domain.approval_event(domain.REVIEW, review_row())
    with_photo = domain.approval_event(domain.REVIEW, review_row(media_urls=["https://img.example/1.jpg"]))

    assert isinstance(plain, ReviewApproved)
    assert plain.has_media is False
    assert with_photo.has_media is True


def test_google_review_approved_names_the_submission_and_customer():
    submission = SimpleNamespace(id="sub-1", customer_id="c9")

    event = domain.approval_event(domain.GOOGLE_REVIEW, submission)

    assert event == GoogleReviewApproved(submission_id="sub-1", customer_id="c9")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("review", (domain.REVIEW, "reward_points")),
        ("photo_review", (domain.REVIEW, "photo_bonus_points")),
        ("google_review", (domain.GOOGLE_REVIEW, "reward_points")),
        ("order", None),
        ("referral", None),
    ],
)
def test_only_review_awards_are_a_reviews_reward(reason, expected):
    assert domain.rewarded_item(award(reason)) == expected


def test_an_award_without_reference_rewards_nothing():
    assert domain.rewarded_item(award("review", reference=None)) is None


@pytest.mark.parametrize(
    "spelling",
    [
        "https://www.google.com/maps/reviews/data=!4m8!14m7",
        "http://www.google.com/maps/reviews/data=!4m8!14m7",
        "HTTPS://WWW.Google.COM/maps/reviews/data=!4m8!14m7/",
        "https://www.google.com:443/maps/reviews/data=!4m8!14m7",
        "https://www.google.com/maps/reviews/data=!4m8!14m7?utm_source=email&utm_campaign=x",
        "https://www.google.com/maps/reviews/data=!4m8!14m7?entry=ttu&g_ep=Eg",
        "https://www.google.com/maps/reviews/data=!4m8!14m7#reviews",
        "  https://www.google.com/maps/reviews/data=!4m8!14m7  ",
    ],
)
def test_one_review_has_one_address_however_it_is_spelt(spelling):
    assert domain.normalize_review_url(spelling) == "https://www.google.com/maps/reviews/data=!4m8!14m7"
    assert domain.review_url_key(spelling) == domain.review_url_key(
        "https://www.google.com/maps/reviews/data=!4m8!14m7"
    )


def test_what_names_the_review_is_kept():
    base = domain.review_url_key("https://g.page/r/shop/review")
    assert domain.review_url_key("https://g.page/r/other-shop/review") != base
    assert domain.review_url_key("https://g.page/r/shop/review?id=2") != domain.review_url_key(
        "https://g.page/r/shop/review?id=3"
    )
    # Meaningful parameters in any order are the same address.
    assert (
        domain.normalize_review_url("https://x.example/r?b=2&a=1&utm_medium=x")
        == "https://x.example/r?a=1&b=2"
    )
    # The path's case is the site's to decide: kept.
    assert domain.review_url_key("https://g.co/kgs/AbC") != domain.review_url_key("https://g.co/kgs/abc")
