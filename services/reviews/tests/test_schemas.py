"""RPC input validation: a client mistake is a 422 that names the field."""

import pytest

from services.reviews.schemas import ActivityQuery, GoogleReviewSubmission, ReviewSubmission
from shared.errors import Unprocessable
from shared.pagination import parse_query

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

VALID = {
    "shop_id": "shp_1",
    "customer_id": "c1",
    "product_id": "p1",
    "rating": 5,
    "title": "Great",
    "body": "Fits well",
    "media_urls": ["https://img.example/1.jpg", "http://img.example/2.png"],
}


def invalid_fields(model, params):
    with pytest.raises(Unprocessable) as raised:
        parse_query(model, params)
    return {detail["field"] for detail in raised.value.details}


def test_a_valid_review_keeps_its_fields():
    submission = parse_query(ReviewSubmission, VALID).model_dump(mode="json")

    assert submission["rating"] == 5
    assert submission["media_urls"] == ["https://img.example/1.jpg", "http://img.example/2.png"]


def test_title_body_and_media_are_optional():
    submission = parse_query(
        ReviewSubmission, {"shop_id": "shp_1", "customer_id": "c1", "product_id": "p1", "rating": 3}
    )

    assert (submission.title, submission.body, submission.media_urls) == ("", "", [])


def test_platform_ids_given_as_numbers_are_kept_as_text():
    submission = parse_query(ReviewSubmission, {**VALID, "customer_id": 7001, "product_id": 42})

    assert (submission.customer_id, submission.product_id) == ("7001", "42")


@pytest.mark.parametrize("rating", [0, 6, "five"])
def test_rating_must_be_one_to_five(rating):
    assert invalid_fields(ReviewSubmission, {**VALID, "rating": rating}) == {"rating"}


@pytest.mark.parametrize(("field", "limit"), [("title", 200), ("body", 5000)])
def test_title_and_body_have_length_limits(field, limit):
    assert parse_query(ReviewSubmission, {**VALID, field: "x" * limit})
    assert invalid_fields(ReviewSubmission, {**VALID, field: "x" * (limit + 1)}) == {field}


def test_at_most_ten_media_urls():
    urls = [f"https://img.example/{n}.jpg" for n in range(11)]

    assert parse_query(ReviewSubmission, {**VALID, "media_urls": urls[:10]})
    assert invalid_fields(ReviewSubmission, {**VALID, "media_urls": urls}) == {"media_urls"}


@pytest.mark.parametrize("url", ["ftp://img.example/1.jpg", "javascript:alert(1)", "not a url"])
def test_media_urls_must_be_http_urls(url):
    assert invalid_fields(ReviewSubmission, {**VALID, "media_urls": ["https://ok.example/a.jpg", url]}) == {
        "media_urls.1"
    }


def test_missing_required_fields_are_each_named():
    assert invalid_fields(ReviewSubmission, {"shop_id": "shp_1"}) == {"customer_id", "product_id", "rating"}


def test_google_review_url_must_be_an_http_url():
    assert parse_query(
        GoogleReviewSubmission,
        {"shop_id": "s", "customer_id": "c", "review_url": "https://g.page/r/abc/review"},
    )
    assert invalid_fields(
        GoogleReviewSubmission, {"shop_id": "s", "customer_id": "c", "review_url": "mailto:x@example.com"}
    ) == {"review_url"}


def test_feed_status_must_be_a_known_status():
    assert parse_query(ActivityQuery, {"shop_id": "s", "status": "approved"}).status == "approved"
    assert invalid_fields(ActivityQuery, {"shop_id": "s", "status": "deleted"}) == {"status"}
