"""The reviews service in a real nameko container, on real RabbitMQ and a
real database (SQLite, or PostgreSQL with LOYALTY_TEST_DB=postgresql)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from services.reviews.models import metadata
from services.reviews.service import MIGRATIONS, ReviewsService
from shared.clock import FrozenClock, utcnow
from shared.database import Database
from shared.db import make_engine
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import PointsAwarded, make_event
from shared.outbox import events_exchange
from tests.support import EventTap, make_event_publisher, wait_for

SHOP = "shp_alpha"
OTHER_SHOP = "shp_beta"


@pytest.fixture
def clock():
    # An hour ago, so new items fall inside the feeds' default last-30-days window.
    return FrozenClock(utcnow() - timedelta(hours=1))


@pytest.fixture
def database_url(database_url_factory):
    return database_url_factory("reviews")


@pytest.fixture
def start_service(amqp_uri, database_url, container_factory, clock):
    def start(**config):
        class ReviewsAtTestTime(ReviewsService):
            db = Database(metadata, MIGRATIONS, clock=clock)

        container = container_factory(
            ReviewsAtTestTime, {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url, **config}
        )
        container.start()
        return container

    return start


@pytest.fixture
def reviews(start_service, amqp_uri):
    start_service()
    with ServiceRpcProxy("reviews", {"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def tap(amqp_uri):
    tap = EventTap(amqp_uri, "reviews")
    yield tap
    tap.close()


@pytest.fixture
def outbox_count(database_url):
    engine = make_engine(database_url)
    outbox = metadata.tables["outbox"]

    def count(event_type, item_id):
        with engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.event_type == event_type, outbox.c.body.contains(item_id))
            ).scalar()

    yield count
    engine.dispose()


@pytest.fixture
def award_points(amqp_uri):
    """Publish a `points_awarded` from "points" the way its outbox relay does
    (confirmed and mandatory: it fails if no queue is bound)."""
    publisher = make_event_publisher(amqp_uri)

    def publish(shop_id, reason, reference, points, event_id=None):
        event = make_event(
            "points",
            shop_id,
            PointsAwarded(
                customer_id="c1",
                activity_id=1,
                points=points,
                reason=reason,
                reference=reference,
                balance_after=points,
            ),
        )
        body = event.model_dump(mode="json")
        if event_id is not None:
            body["event_id"] = event_id
        publisher.publish(
            body,
            exchange=events_exchange("points"),
            routing_key="points_awarded",
            message_id=body["event_id"],
            type="points_awarded",
            declare=[events_exchange("points")],
        )
        return body["event_id"]

    return publish


def submit(reviews, shop_id=SHOP, **fields):
    params = {
        "customer_id": "c1",
        "product_id": "p1",
        "rating": 5,
        "title": "Great",
        "body": "Fits well",
        "media_urls": [],
    }
    params.update(fields)
    return reviews.submit_review(shop_id, **params)


def test_health_answers_after_querying_the_database(reviews):
    assert reviews.health() == {"service": "reviews", "database": "ok"}


def test_a_submitted_review_is_pending_and_can_be_read_back(reviews, clock):
    review = submit(reviews, rating=4, media_urls=["https://img.example/1.jpg"])

    assert review["status"] == "pending"
    assert review["reward_points"] is None
    assert review["media_urls"] == ["https://img.example/1.jpg"]
    assert review["occurred_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert reviews.get_review(SHOP, review["id"]) == review


def test_invalid_review_is_refused_naming_the_fields(reviews):
    with pytest.raises(Unprocessable) as raised:
        submit(reviews, rating=6, title="x" * 201, media_urls=["ftp://img.example/1.jpg"])

    assert {d["field"] for d in raised.value.details} == {"rating", "title", "media_urls.0"}
    assert reviews.list_activities(SHOP)["items"] == []


def test_approval_publishes_review_approved_to_rabbitmq(reviews, tap, clock):
    review = submit(reviews, media_urls=["https://img.example/1.jpg"])
    clock.advance(minutes=5)

    approved = reviews.approve_review(SHOP, review["id"], "admin:key1")

    assert approved["status"] == "approved"
    assert approved["moderated_by"] == "admin:key1"
    assert approved["moderated_at"] == clock.now().isoformat().replace("+00:00", "Z")
    [event] = tap.wait_for_event("review_approved", review_id=review["id"])
    assert event["body"]["shop_id"] == SHOP
    assert event["body"]["source"] == "reviews"
    assert event["body"]["payload"] == {
        "review_id": review["id"],
        "customer_id": "c1",
        "product_id": "p1",
        "rating": 5,
        "has_media": True,
    }
    assert event["message_id"] == event["body"]["event_id"]


def test_approving_twice_returns_the_review_unchanged_and_publishes_once(reviews, tap, outbox_count, clock):
    review = submit(reviews)
    marker = submit(reviews, product_id="p2")

    first = reviews.approve_review(SHOP, review["id"], "admin:key1")
    clock.advance(minutes=5)
    second = reviews.approve_review(SHOP, review["id"], "admin:key2")
    reviews.approve_review(SHOP, marker["id"], "admin:key1")

    assert second == first
    # The relay publishes in outbox order: once the later approval's event
    # has arrived, a second event for the first review would have too.
    assert tap.wait_for_event("review_approved", review_id=marker["id"])
    assert len(tap.wait_for_event("review_approved", review_id=review["id"])) == 1
    assert outbox_count("review_approved", review["id"]) == 1


def test_a_decision_is_final(reviews, tap, outbox_count):
    approved = submit(reviews)
    rejected = submit(reviews)
    reviews.approve_review(SHOP, approved["id"], "admin")
    reviews.reject_review(SHOP, rejected["id"], "admin")

    with pytest.raises(Conflict):
        reviews.reject_review(SHOP, approved["id"], "admin")
    with pytest.raises(Conflict):
        reviews.approve_review(SHOP, rejected["id"], "admin")

    assert reviews.get_review(SHOP, approved["id"])["status"] == "approved"
    assert reviews.get_review(SHOP, rejected["id"])["status"] == "rejected"
    assert reviews.reject_review(SHOP, rejected["id"], "admin")["status"] == "rejected"
    assert outbox_count("review_approved", rejected["id"]) == 0


def test_another_shop_cannot_see_or_moderate_a_review(reviews, outbox_count):
    review = submit(reviews)

    for call in (
        lambda: reviews.get_review(OTHER_SHOP, review["id"]),
        lambda: reviews.approve_review(OTHER_SHOP, review["id"], "admin"),
        lambda: reviews.reject_review(OTHER_SHOP, review["id"], "admin"),
    ):
        with pytest.raises(NotFound):
            call()

    assert reviews.list_activities(OTHER_SHOP)["items"] == []
    assert reviews.get_review(SHOP, review["id"])["status"] == "pending"
    assert outbox_count("review_approved", review["id"]) == 0


def test_unknown_review_is_not_found(reviews):
    with pytest.raises(NotFound):
        reviews.get_review(SHOP, str(uuid.uuid4()))


def test_the_review_reward_is_recorded_once_however_often_it_is_delivered(
    start_service, amqp_uri, award_points
):
    # One worker: messages are handled strictly in queue order.
    start_service(max_workers=1)
    with ServiceRpcProxy("reviews", {"AMQP_URI": amqp_uri}, timeout=15) as reviews:
        review = submit(reviews)
        other = submit(reviews)
        reviews.approve_review(SHOP, review["id"], "admin")

        event_id = award_points(SHOP, "review", review["id"], 25)
        assert wait_for(lambda: reviews.get_review(SHOP, review["id"])["reward_points"]) == 25
        # The same event again (a second copy cannot change what the first did),
        # then an award for another review that tells us the copy was handled.
        award_points(SHOP, "review", review["id"], 99, event_id=event_id)
        award_points(SHOP, "review", other["id"], 10)
        assert wait_for(lambda: reviews.get_review(SHOP, other["id"])["reward_points"]) == 10

        assert reviews.get_review(SHOP, review["id"])["reward_points"] == 25
        assert reviews.list_activities(SHOP, status="approved")["items"][0]["reward_points"] == 25


def test_a_photo_reviews_bonus_is_recorded_beside_its_reward_in_either_order(
    start_service, amqp_uri, award_points
):
    start_service(max_workers=1)
    with ServiceRpcProxy("reviews", {"AMQP_URI": amqp_uri}, timeout=15) as reviews:
        review = submit(reviews, media_urls=["https://cdn.example.com/photo.jpg"])
        reviews.approve_review(SHOP, review["id"], "admin")

        award_points(SHOP, "photo_review", review["id"], 20)  # the bonus may come first
        award_points(SHOP, "review", review["id"], 50)
        assert wait_for(lambda: reviews.get_review(SHOP, review["id"])["reward_points"]) == 50

        item = reviews.list_activities(SHOP, status="approved")["items"][0]
        assert (item["reward_points"], item["photo_bonus_points"]) == (50, 20)


def test_rewards_for_other_shops_or_other_reasons_change_nothing(start_service, amqp_uri, award_points):
    start_service(max_workers=1)
    with ServiceRpcProxy("reviews", {"AMQP_URI": amqp_uri}, timeout=15) as reviews:
        review = submit(reviews)
        marker = submit(reviews)

        award_points(OTHER_SHOP, "review", review["id"], 25)
        award_points(SHOP, "order", review["id"], 30)
        award_points(SHOP, "review", marker["id"], 5)
        assert wait_for(lambda: reviews.get_review(SHOP, marker["id"])["reward_points"]) == 5

        assert reviews.get_review(SHOP, review["id"])["reward_points"] is None


def test_the_feed_pages_newest_first_by_keyset(reviews, clock):
    oldest = submit(reviews, product_id="p0")
    clock.advance(minutes=1)
    # Several reviews at the same instant: ties are broken by id.
    same_instant = [submit(reviews, product_id=f"p{n}") for n in range(1, 5)]
    clock.advance(minutes=1)
    newest = submit(reviews, product_id="p5")
    expected = [newest["id"], *sorted((r["id"] for r in same_instant), reverse=True), oldest["id"]]

    seen, cursor, pages = [], None, 0
    while True:
        result = reviews.list_activities(SHOP, cursor=cursor, limit=2)
        seen += [item["id"] for item in result["items"]]
        pages += 1
        cursor = result["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 3


def test_the_feed_filters_by_status_and_date_window(reviews, clock):
    month_ago = clock.now() - timedelta(days=40)
    clock.set(month_ago)
    old = submit(reviews)
    clock.set(month_ago + timedelta(days=39, minutes=30))
    pending = submit(reviews)
    approved = submit(reviews)
    reviews.approve_review(SHOP, approved["id"], "admin")

    default_window = reviews.list_activities(SHOP)["items"]
    only_approved = reviews.list_activities(SHOP, status="approved")["items"]
    old_window = reviews.list_activities(
        SHOP,
        from_=(month_ago - timedelta(days=1)).isoformat(),
        to=(month_ago + timedelta(days=1)).isoformat(),
    )["items"]

    assert {item["id"] for item in default_window} == {pending["id"], approved["id"]}
    assert [item["id"] for item in only_approved] == [approved["id"]]
    assert [item["id"] for item in old_window] == [old["id"]]
    with pytest.raises(Unprocessable) as raised:
        reviews.list_activities(SHOP, status="deleted")
    assert raised.value.details[0]["field"] == "status"


def test_ratings_roll_up_by_day_to_the_average_of_the_feeds_rows(reviews, clock):
    clock.set(datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    submit(reviews, rating=5)
    rejected = submit(reviews, rating=1)
    submit(reviews, OTHER_SHOP, rating=1)
    clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    approved = submit(reviews, rating=4)
    submit(reviews, rating=4)
    reviews.reject_review(SHOP, rejected["id"], "admin")
    reviews.approve_review(SHOP, approved["id"], "admin")
    reviews.submit_google_review(SHOP, "c7", "https://g.page/r/shop/review")  # no stars

    for first, last in [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-02"),
        ("2026-03-01", "2026-03-31"),
    ]:
        window = {"from_": f"{first}T00:00:00+00:00", "to": f"{last}T23:59:59.999999+00:00", "limit": 200}
        ratings = [item["rating"] for item in reviews.list_activities(SHOP, **window)["items"]]
        totals = reviews.overview(SHOP, first, last)["totals"]
        assert totals["reviews_average_rating"] == round(sum(ratings) / len(ratings), 2), (first, last)
    assert reviews.overview(SHOP, "2026-03-01", "2026-03-31")["totals"]["reviews_average_rating"] == 3.5
    assert reviews.overview(SHOP, "2026-03-03", "2026-03-31")["totals"]["reviews_average_rating"] is None
    assert reviews.overview(OTHER_SHOP, "2026-03-01", "2026-03-01")["totals"]["reviews_average_rating"] == 1


def test_google_review_submission_moderation_and_reward(reviews, tap, award_points):
    submission = reviews.submit_google_review(SHOP, "c7", "https://g.page/r/shop/review")
    assert submission["status"] == "pending"

    approved = reviews.approve_google_review(SHOP, submission["id"], "admin")
    assert reviews.approve_google_review(SHOP, submission["id"], "admin") == approved
    with pytest.raises(Conflict):
        reviews.reject_google_review(SHOP, submission["id"], "admin")

    [event] = tap.wait_for_event("google_review_approved", submission_id=submission["id"])
    assert event["body"]["payload"] == {"submission_id": submission["id"], "customer_id": "c7"}

    award_points(SHOP, "google_review", submission["id"], 100)
    assert wait_for(lambda: reviews.get_google_review(SHOP, submission["id"])["reward_points"]) == 100
    [item] = reviews.list_google_review_activities(SHOP, status="approved")["items"]
    assert (item["id"], item["reward_points"]) == (submission["id"], 100)


def test_google_reviews_are_validated_and_kept_per_shop(reviews):
    with pytest.raises(Unprocessable) as raised:
        reviews.submit_google_review(SHOP, "c7", "not a url")
    assert raised.value.details[0]["field"] == "review_url"

    submission = reviews.submit_google_review(SHOP, "c7", "https://g.page/r/shop/review")
    rejected = reviews.reject_google_review(SHOP, submission["id"], "admin")
    assert rejected["status"] == "rejected"
    with pytest.raises(NotFound):
        reviews.get_google_review(OTHER_SHOP, submission["id"])
    with pytest.raises(NotFound):
        reviews.approve_google_review(OTHER_SHOP, submission["id"], "admin")
    assert reviews.list_google_review_activities(OTHER_SHOP)["items"] == []


def test_a_google_review_earns_once_per_customer_however_its_address_is_spelt(reviews):
    first = reviews.submit_google_review(SHOP, "c7", "https://www.google.com/maps/reviews/abc?utm_source=x")

    for again in (
        "https://www.google.com/maps/reviews/abc",
        "http://WWW.GOOGLE.COM/maps/reviews/abc/",
        "https://www.google.com/maps/reviews/abc?entry=ttu#top",
    ):
        with pytest.raises(Conflict) as raised:
            reviews.submit_google_review(SHOP, "c7", again)
        assert raised.value.details == {"submission_id": first["id"], "status": "pending"}
    # Another review, another customer, another shop: each their own.
    assert reviews.submit_google_review(SHOP, "c7", "https://www.google.com/maps/reviews/xyz")
    assert reviews.submit_google_review(SHOP, "c8", "https://www.google.com/maps/reviews/abc")
    assert reviews.submit_google_review(OTHER_SHOP, "c7", "https://www.google.com/maps/reviews/abc")
    # Even once moderated, the same review is not submitted again.
    reviews.reject_google_review(SHOP, first["id"], "admin")
    with pytest.raises(Conflict):
        reviews.submit_google_review(SHOP, "c7", "https://www.google.com/maps/reviews/abc")
    mine = [
        item
        for item in reviews.list_customer_reviews(SHOP, "c7")["google_reviews"]
        if "abc" in item["review_url"]
    ]
    assert [item["id"] for item in mine] == [first["id"]]


def test_a_customers_reviews_and_google_reviews_newest_first_with_their_rewards(
    start_service, amqp_uri, award_points, clock
):
    start_service(max_workers=1)
    with ServiceRpcProxy("reviews", {"AMQP_URI": amqp_uri}, timeout=15) as reviews:
        first = submit(
            reviews, customer_id="c1", product_id="p1", media_urls=["https://cdn.example.com/1.jpg"]
        )
        clock.advance(minutes=1)
        second = submit(reviews, customer_id="c1", product_id="p2", rating=3)
        someone_elses = submit(reviews, customer_id="c2", product_id="p1")
        google = reviews.submit_google_review(SHOP, "c1", "https://g.page/r/shop/review")
        reviews.approve_review(SHOP, first["id"], "admin")
        reviews.reject_review(SHOP, second["id"], "admin")
        award_points(SHOP, "photo_review", first["id"], 20)
        award_points(SHOP, "review", first["id"], 50)
        assert wait_for(lambda: reviews.get_review(SHOP, first["id"])["reward_points"]) == 50

        found = reviews.list_customer_reviews(SHOP, "c1")

        assert [(r["id"], r["status"]) for r in found["reviews"]] == [
            (second["id"], "rejected"),
            (first["id"], "approved"),
        ]
        assert (found["reviews"][1]["reward_points"], found["reviews"][1]["photo_bonus_points"]) == (50, 20)
        assert [(g["id"], g["status"], g["review_url"]) for g in found["google_reviews"]] == [
            (google["id"], "pending", "https://g.page/r/shop/review")
        ]
        assert [r["id"] for r in reviews.list_customer_reviews(SHOP, "c2")["reviews"]] == [
            someone_elses["id"]
        ]
        assert [r["id"] for r in reviews.list_customer_reviews(SHOP, "c1", limit=1)["reviews"]] == [
            second["id"]
        ]


def test_a_customers_reviews_stay_in_their_shop(reviews):
    ours = submit(reviews, customer_id="c1")
    theirs = submit(reviews, shop_id=OTHER_SHOP, customer_id="c1")
    reviews.submit_google_review(SHOP, "c1", "https://g.page/r/shop/review")

    assert [r["id"] for r in reviews.list_customer_reviews(SHOP, "c1")["reviews"]] == [ours["id"]]
    assert reviews.list_customer_reviews(OTHER_SHOP, "c1") == {
        "reviews": [reviews.get_review(OTHER_SHOP, theirs["id"])],
        "google_reviews": [],
    }
    assert reviews.list_customer_reviews("shp_gamma", "c1") == {"reviews": [], "google_reviews": []}
    with pytest.raises(Unprocessable) as bad:
        reviews.list_customer_reviews(SHOP, "c1", limit=500)
    assert [d["field"] for d in bad.value.details] == ["limit"]
