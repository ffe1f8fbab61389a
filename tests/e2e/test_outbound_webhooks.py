"""Outbound webhooks end to end: a merchant subscribes an endpoint through
the admin API, a paid order's points reach it signed, and the merchant
reads every attempt, sends a test, pauses and deletes; the API refuses
URLs and topics it cannot serve, and one shop never sees another's."""

import pytest

from services.webhooks.tests.receiver import start_receiver
from tests.support import wait_for

SUBSCRIPTIONS = "/api/webhook-subscriptions"


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("LOYALTY_ALLOW_HTTP_WEBHOOKS", "1")  # http to loopback
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def deliveries(shop, subscription_id, **params):
    response = shop.api("GET", f"{SUBSCRIPTIONS}/{subscription_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_paid_orders_points_reach_the_merchants_endpoint(shop, receiver):
    created = shop.api("POST", SUBSCRIPTIONS, json={"url": receiver.url, "topics": ["points.earned"]})
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert set(subscription) >= {"id", "url", "topics", "signing_secret", "status"}
    assert subscription["status"] == "active"
    listed = shop.api("GET", SUBSCRIPTIONS).json()["items"]
    assert [item["id"] for item in listed] == [subscription["id"]]
    assert "signing_secret" not in listed[0]  # shown once

    shop.customer_created("8101", "ola@example.com")
    shop.order(81001, "8101", "ola@example.com", "120.00")

    assert wait_for(lambda: receiver.received, timeout=30)
    request = receiver.received[0]
    assert request.signed_with(subscription["signing_secret"])
    assert request.headers["X-Loyalty-Shop-Domain"] == shop.domain
    assert request.document["shop"] == shop.domain
    assert request.document["topic"] == "points.earned"
    assert request.document["data"]["customer_id"] == "8101"
    assert wait_for(lambda: deliveries(shop, subscription["id"])["items"])
    [attempt] = deliveries(shop, subscription["id"])["items"]
    assert (attempt["outcome"], attempt["status_code"]) == ("delivered", 200)
    assert attempt["event_id"] == request.headers["X-Loyalty-Event-Id"]

    test = shop.api("POST", f"{SUBSCRIPTIONS}/{subscription['id']}/test")
    assert test.status_code == 202, test.text
    assert wait_for(lambda: len(receiver.received) == 2)
    assert receiver.received[1].headers["X-Loyalty-Topic"] == "test"
    assert wait_for(lambda: len(deliveries(shop, subscription["id"])["items"]) == 2)
    first_page = deliveries(shop, subscription["id"], limit=1)
    assert first_page["items"][0]["topic"] == "test"  # newest first
    second_page = deliveries(shop, subscription["id"], limit=1, cursor=first_page["next_cursor"])
    assert second_page["items"][0]["topic"] == "points.earned"

    paused = shop.api("PATCH", f"{SUBSCRIPTIONS}/{subscription['id']}", json={"status": "paused"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    not_sent = shop.api("POST", f"{SUBSCRIPTIONS}/{subscription['id']}/test")
    assert not_sent.status_code == 409, not_sent.text
    assert not_sent.json()["error"]["code"] == "conflict"
    assert "paused" in not_sent.json()["error"]["message"]
    deleted = shop.api("DELETE", f"{SUBSCRIPTIONS}/{subscription['id']}")
    assert deleted.json() == {"id": subscription["id"], "deleted": True}
    assert shop.api("GET", SUBSCRIPTIONS).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://example.com/hook", "topics": ["points.earned"]}, "url"),
        ({"url": "ftp://example.com/hook", "topics": ["points.earned"]}, "url"),
        ({"url": "https://10.1.2.3/hook", "topics": ["points.earned"]}, "url"),
        ({"url": "https://169.254.169.254/", "topics": ["points.earned"]}, "url"),
        ({"url": "https://example.com/hook", "topics": ["orders.created"]}, "topics.0"),
        ({"url": "https://example.com/hook", "topics": []}, "topics"),
        ({"url": "https://example.com/hook"}, "topics"),
        ({"url": "https://example.com/hook", "topics": ["points.earned"], "secret": "x"}, "secret"),
    ],
)
def test_urls_and_topics_that_cannot_be_served_are_refused_with_the_field(shop, body, field):
    response = shop.api("POST", SUBSCRIPTIONS, json=body)
    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]


def test_a_status_other_than_active_or_paused_is_refused(shop):
    created = shop.api(
        "POST", SUBSCRIPTIONS, json={"url": "https://example.com/h", "topics": ["review.approved"]}
    )
    response = shop.api("PATCH", f"{SUBSCRIPTIONS}/{created.json()['id']}", json={"status": "disabled"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_another_shop_cannot_see_or_touch_a_subscription(shop, other_shop):
    created = shop.api(
        "POST", SUBSCRIPTIONS, json={"url": "https://example.com/h", "topics": ["points.earned"]}
    )
    path = f"{SUBSCRIPTIONS}/{created.json()['id']}"

    assert other_shop.api("GET", SUBSCRIPTIONS).json()["items"] == []
    assert other_shop.api("GET", path + "/deliveries").status_code == 404
    assert other_shop.api("POST", path + "/test").status_code == 404
    assert other_shop.api("PATCH", path, json={"status": "paused"}).status_code == 404
    assert other_shop.api("DELETE", path).status_code == 404

    [still] = shop.api("GET", SUBSCRIPTIONS).json()["items"]
    assert still["status"] == "active"


def test_a_retried_create_with_its_idempotency_key_answers_the_same_subscription(shop):
    body = {"url": "https://example.com/hooks/retried", "topics": ["points.earned"]}
    key = {"Idempotency-Key": "add-webhook-1"}
    first = shop.api("POST", SUBSCRIPTIONS, json=body, headers=dict(key))
    again = shop.api("POST", SUBSCRIPTIONS, json=body, headers=dict(key))
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()  # same id, the signing secret as first shown
    assert [item["id"] for item in shop.api("GET", SUBSCRIPTIONS).json()["items"]] == [first.json()["id"]]

    other_body = shop.api(
        "POST", SUBSCRIPTIONS, json={**body, "topics": ["review.approved"]}, headers=dict(key)
    )
    assert other_body.status_code == 409, other_body.text
    assert other_body.json()["error"]["details"] == {"header": "Idempotency-Key"}

    path = f"{SUBSCRIPTIONS}/{first.json()['id']}/test"
    test = shop.api("POST", path, headers={"Idempotency-Key": "send-test-1"})
    assert shop.api("POST", path, headers={"Idempotency-Key": "send-test-1"}).json() == test.json()
