"""The webhooks service in a real nameko container, on real RabbitMQ and a
real database (SQLite, or PostgreSQL with LOYALTY_TEST_DB=postgresql),
delivering to a real HTTP server on loopback (LOYALTY_ALLOW_HTTP_WEBHOOKS=1).
The clock is frozen and moved by hand: retries and the 24 h windows are
reached without waiting for them."""

import contextlib

import pytest
from cryptography.fernet import Fernet
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from services.webhooks import operations
from services.webhooks.models import deliveries, metadata
from services.webhooks.service import MIGRATIONS, WebhooksService
from services.webhooks.tests.receiver import Reply, start_receiver
from shared.clock import FrozenClock, utcnow
from shared.database import Database
from shared.db import make_engine
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import (
    MemberExcluded,
    MemberTierChanged,
    Payload,
    PointsAwarded,
    PointsDeducted,
    ReviewApproved,
    make_event,
)
from shared.outbox import events_exchange
from tests.support import make_event_publisher, wait_for

SHOP = "shp_alpha"
DOMAIN = "alpha.myshopify.com"
OTHER_SHOP = "shp_beta"


@pytest.fixture
def clock():
    return FrozenClock(utcnow())


@pytest.fixture
def database_url(database_url_factory):
    return database_url_factory("webhooks")


@pytest.fixture
def start_webhooks(amqp_uri, database_url, container_factory, monkeypatch):
    monkeypatch.setenv("LOYALTY_ALLOW_HTTP_WEBHOOKS", "1")
    monkeypatch.setenv("LOYALTY_WEBHOOK_TIMEOUT_SECONDS", "0.5")

    @contextlib.contextmanager
    def start(service_cls):
        container = container_factory(service_cls, {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url})
        container.start()
        with ServiceRpcProxy("webhooks", {"AMQP_URI": amqp_uri}, timeout=15) as proxy:
            yield proxy

    return start


@pytest.fixture
def webhooks(start_webhooks, clock):
    class WebhooksAtTestTime(WebhooksService):
        db = Database(metadata, MIGRATIONS, clock=clock)

    with start_webhooks(WebhooksAtTestTime) as proxy:
        yield proxy


@pytest.fixture
def webhooks_sent_by_hand(start_webhooks, clock):
    """The service with its sender's ticks run by the test (an RPC in place
    of the timer), so which deliveries share a tick is the test's choice."""

    class WebhooksSentByHand(WebhooksService):
        db = Database(metadata, MIGRATIONS, clock=clock)

        @rpc
        def send_due_deliveries(self):
            return operations.send_due_deliveries(self.db)

    with start_webhooks(WebhooksSentByHand) as proxy:
        yield proxy


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def publish(amqp_uri):
    publisher = make_event_publisher(amqp_uri)

    def publish(source: str, payload: Payload, shop_id: str = SHOP) -> str:
        body = make_event(source, shop_id, payload).model_dump(mode="json")
        publisher.publish(
            body,
            exchange=events_exchange(source),
            routing_key=body["type"],
            message_id=body["event_id"],
            type=body["type"],
            declare=[events_exchange(source)],
        )
        return body["event_id"]

    return publish


@pytest.fixture
def delivery_rows(database_url):
    engine = make_engine(database_url)

    def rows(event_id):
        with engine.connect() as conn:
            return conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).all()

    yield rows
    engine.dispose()


@pytest.fixture
def handled(database_url):
    """Whether the service has handled an event (its inbox row)."""
    engine = make_engine(database_url)
    processed = metadata.tables["processed_events"]

    def handled(event_id):
        with engine.connect() as conn:
            return conn.execute(select(processed).where(processed.c.event_id == event_id)).first() is not None

    yield handled
    engine.dispose()


def earned(customer_id="c1", points=10, reason="order"):
    return PointsAwarded(
        customer_id=customer_id, activity_id=1, points=points, reason=reason, balance_after=points
    )


def deducted(kind, points, action):
    return PointsDeducted(
        customer_id="c1", activity_id=2, type=kind, points=points, action=action, balance_after=40
    )


def subscribe(webhooks, url, topics=("points.earned",), shop_id=SHOP):
    return webhooks.create_subscription(shop_id=shop_id, shop_domain=DOMAIN, url=url, topics=list(topics))


def attempts(webhooks, subscription, shop_id=SHOP):
    return webhooks.list_attempts(shop_id=shop_id, subscription_id=subscription["id"])["items"]


def attempts_made(webhooks, subscription, count):
    return wait_for(lambda: len(attempts(webhooks, subscription)) >= count) and attempts(
        webhooks, subscription
    )


def test_an_event_reaches_the_subscriber_signed_with_its_secret(webhooks, receiver, publish):
    subscription = subscribe(webhooks, receiver.url)
    assert subscription["status"] == "active"
    assert subscription["signing_secret"].startswith("whsec_")
    assert "signing_secret" not in webhooks.list_subscriptions(shop_id=SHOP)["items"][0]

    event_id = publish("points", earned(points=25))

    assert wait_for(lambda: receiver.received)
    request = receiver.received[0]
    assert request.signed_with(subscription["signing_secret"])
    assert not request.signed_with("whsec_someone_else")
    assert request.path == "/hooks/loyalty"
    assert request.headers["X-Loyalty-Topic"] == "points.earned"
    assert request.headers["X-Loyalty-Event-Id"] == event_id
    assert request.headers["X-Loyalty-Shop-Domain"] == DOMAIN
    assert request.headers["Content-Type"] == "application/json"
    document = request.document
    assert document["id"] == event_id
    assert document["topic"] == "points.earned"
    assert document["shop"] == DOMAIN
    assert document["occurred_at"]
    assert document["data"]["customer_id"] == "c1"
    assert document["data"]["points"] == 25
    [attempt] = attempts_made(webhooks, subscription, 1)
    assert attempt["outcome"] == "delivered"
    assert attempt["status_code"] == 200
    assert attempt["event_id"] == event_id
    assert attempt["next_retry_at"] is None


def test_only_subscribed_topics_of_the_subscriptions_shop_are_delivered(
    webhooks, receiver, publish, delivery_rows, handled
):
    subscription = subscribe(webhooks, receiver.url, topics=("member.tier_changed",))
    adjusted = publish("points", earned(reason="adjustment"))  # points.adjusted: not subscribed
    elsewhere = publish(
        "points",
        MemberTierChanged(customer_id="c1", from_tier=None, to_tier="Gold", reason="earned"),
        OTHER_SHOP,
    )
    tier = publish(
        "points", MemberTierChanged(customer_id="c1", from_tier="Silver", to_tier="Gold", reason="earned")
    )

    assert wait_for(lambda: receiver.received)
    assert receiver.event_ids() == [tier]
    assert receiver.received[0].document["data"] == {
        "customer_id": "c1",
        "from_tier": "Silver",
        "to_tier": "Gold",
        "reason": "earned",
    }
    assert wait_for(lambda: handled(adjusted) and handled(elsewhere))
    assert delivery_rows(adjusted) == []
    assert delivery_rows(elsewhere) == []
    assert [a["topic"] for a in attempts(webhooks, subscription)] == ["member.tier_changed"]


def test_points_leaving_a_balance_and_members_leaving_the_program_reach_their_topics(
    webhooks, receiver, publish
):
    subscribe(webhooks, receiver.url, topics=("points.redeemed", "points.expired", "member.excluded"))
    redeemed = publish("points", deducted("redeemed", -50, "Redeemed $5 off"))
    publish("points", deducted("refunded", -10, "Order #1 refunded"))  # not subscribed
    expired = publish("points", deducted("expired", -40, "Points expired"))
    excluded = publish("points", MemberExcluded(customer_id="c1", reason="staff account"))

    assert wait_for(lambda: len(receiver.received) >= 3)
    topics = {request.document["id"]: request.headers["X-Loyalty-Topic"] for request in receiver.received}
    assert topics == {redeemed: "points.redeemed", expired: "points.expired", excluded: "member.excluded"}
    [redemption] = [r.document["data"] for r in receiver.received if r.document["id"] == redeemed]
    assert (redemption["points"], redemption["balance_after"], redemption["action"]) == (
        -50,
        40,
        "Redeemed $5 off",
    )


def test_a_failed_delivery_is_tried_again_after_a_500_and_after_a_timeout(webhooks, receiver, publish, clock):
    receiver.replies.extend([Reply(500), Reply(200, delay_seconds=2.0)])
    subscription = subscribe(webhooks, receiver.url, topics=("review.approved",))
    event_id = publish("reviews", ReviewApproved(review_id="r1", customer_id="c1", product_id="p1", rating=5))

    [first] = attempts_made(webhooks, subscription, 1)
    assert (first["outcome"], first["status_code"]) == ("retrying", 500)
    assert first["error"].startswith("HTTP 500")
    assert first["next_retry_at"] > first["attempted_at"]

    clock.advance(hours=1)
    second = attempts_made(webhooks, subscription, 2)[0]
    assert (second["outcome"], second["status_code"]) == ("retrying", None)
    assert second["error"] == "timeout: no answer within 0.5 s"

    clock.advance(hours=1)
    third = attempts_made(webhooks, subscription, 3)[0]
    assert (third["outcome"], third["status_code"], third["attempt"]) == ("delivered", 200, 3)
    assert receiver.event_ids() == [event_id] * 3
    assert all(request.signed_with(subscription["signing_secret"]) for request in receiver.received)


def test_a_subscription_failing_for_24_hours_is_disabled_and_can_be_resumed(webhooks, receiver, clock):
    receiver.default = Reply(503)
    subscription = subscribe(webhooks, receiver.url)
    test = webhooks.send_test(shop_id=SHOP, subscription_id=subscription["id"])
    assert test["topic"] == "test"

    [first] = attempts_made(webhooks, subscription, 1)
    assert first["outcome"] == "retrying"
    assert receiver.received[0].headers["X-Loyalty-Topic"] == "test"
    failing = webhooks.list_subscriptions(shop_id=SHOP)["items"][0]
    assert failing["status"] == "active"
    assert failing["failing_since"] is not None

    clock.advance(hours=24)
    last = attempts_made(webhooks, subscription, 2)[0]
    assert (last["outcome"], last["status_code"], last["next_retry_at"]) == ("failed", 503, None)
    [disabled] = webhooks.list_subscriptions(shop_id=SHOP)["items"]
    assert disabled["status"] == "disabled"
    assert "failed for 24 hours" in disabled["disabled_reason"]

    resumed = webhooks.set_subscription_status(
        shop_id=SHOP, subscription_id=subscription["id"], status="active"
    )
    assert (resumed["status"], resumed["disabled_reason"], resumed["failing_since"]) == ("active", None, None)


def test_a_delivery_given_up_by_a_disabling_in_its_own_tick_stays_given_up(
    webhooks_sent_by_hand, receiver, clock, delivery_rows
):
    webhooks = webhooks_sent_by_hand
    receiver.default = Reply(503)
    subscription = subscribe(webhooks, receiver.url)
    ref = {"shop_id": SHOP, "subscription_id": subscription["id"]}
    webhooks.send_test(**ref)
    assert webhooks.send_due_deliveries() == 1  # failing since now

    clock.advance(hours=24)
    late = webhooks.send_test(**ref)
    # One tick: the first delivery's retry (due first) disables the
    # subscription and gives up the late one, whose 503 comes back after.
    assert webhooks.send_due_deliveries() == 2
    [disabled] = webhooks.list_subscriptions(shop_id=SHOP)["items"]
    assert disabled["status"] == "disabled"
    [given_up] = delivery_rows(late["event_id"])
    assert (given_up.status, given_up.next_attempt_at) == ("failed", None)

    receiver.default = Reply(200)
    webhooks.set_subscription_status(status="active", **ref)
    clock.advance(hours=1)
    assert webhooks.send_due_deliveries() == 0  # nothing given up comes back on resuming
    assert [request.headers["X-Loyalty-Topic"] for request in receiver.received] == ["test"] * 3


def test_a_customers_later_delivery_waits_for_the_earlier_one(
    webhooks, receiver, publish, clock, delivery_rows
):
    receiver.replies.append(Reply(500))
    subscription = subscribe(webhooks, receiver.url)
    first = publish("points", earned("c1", 1))
    assert attempts_made(webhooks, subscription, 1)
    second = publish("points", earned("c1", 2))
    assert wait_for(lambda: delivery_rows(second))
    # Another customer's delivery, scheduled after the second, goes out:
    # the sender has run since, and still held c1's second back.
    other = publish("points", earned("c2", 3))
    assert wait_for(lambda: other in receiver.event_ids())
    assert second not in receiver.event_ids()

    clock.advance(minutes=5)
    assert wait_for(lambda: second in receiver.event_ids())
    ids = receiver.event_ids()
    assert ids.index(first, 1) < ids.index(second)  # the retry of the first, then the second


def test_no_delivery_reaches_a_redirects_target(webhooks, receiver):
    target = start_receiver()
    try:
        receiver.default = Reply(302, location=target.url)
        subscription = subscribe(webhooks, receiver.url)
        webhooks.send_test(shop_id=SHOP, subscription_id=subscription["id"])

        [attempt] = attempts_made(webhooks, subscription, 1)
        assert (attempt["outcome"], attempt["status_code"]) == ("retrying", 302)
        assert attempt["error"] == f"redirect to {target.url!r} not followed"
        assert target.received == []
    finally:
        target.server.shutdown()
        target.server.server_close()


def test_without_the_test_flag_a_name_resolving_to_loopback_is_refused(webhooks, receiver, monkeypatch):
    monkeypatch.delenv("LOYALTY_ALLOW_HTTP_WEBHOOKS")
    subscription = subscribe(webhooks, f"https://localhost:{receiver.port}/hooks")
    webhooks.send_test(shop_id=SHOP, subscription_id=subscription["id"])

    [attempt] = attempts_made(webhooks, subscription, 1)
    assert attempt["outcome"] == "retrying"
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("refused: localhost resolves to a loopback address")
    assert receiver.received == []

    with pytest.raises(Unprocessable):
        subscribe(webhooks, receiver.url)  # http to loopback: tests only


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "http://example.com/hook",
        "https://127.0.0.1/hook",
    ],
)
def test_urls_into_private_networks_are_refused_when_subscribing(webhooks, url):
    with pytest.raises(Unprocessable) as refused:
        subscribe(webhooks, url)
    assert refused.value.details[0]["field"] == "url"
    assert webhooks.list_subscriptions(shop_id=SHOP)["items"] == []


def test_unknown_topics_are_refused(webhooks, receiver):
    with pytest.raises(Unprocessable) as refused:
        subscribe(webhooks, receiver.url, topics=("points.earned", "orders.created"))
    assert refused.value.details[0]["field"] == "topics.1"


def test_another_shop_can_neither_see_nor_change_a_subscription(webhooks, receiver):
    subscription = subscribe(webhooks, receiver.url)
    ref = {"shop_id": OTHER_SHOP, "subscription_id": subscription["id"]}

    assert webhooks.list_subscriptions(shop_id=OTHER_SHOP)["items"] == []
    for call in (webhooks.delete_subscription, webhooks.send_test, webhooks.list_attempts):
        with pytest.raises(NotFound):
            call(**ref)
    with pytest.raises(NotFound):
        webhooks.set_subscription_status(status="paused", **ref)

    assert webhooks.delete_subscription(shop_id=SHOP, subscription_id=subscription["id"])["deleted"] is True
    assert webhooks.list_subscriptions(shop_id=SHOP)["items"] == []


def test_a_paused_subscription_gets_no_deliveries_until_resumed(
    webhooks, receiver, publish, delivery_rows, handled
):
    subscription = subscribe(webhooks, receiver.url)
    paused = webhooks.set_subscription_status(
        shop_id=SHOP, subscription_id=subscription["id"], status="paused"
    )
    assert paused["status"] == "paused"
    with pytest.raises(Conflict) as refused:
        webhooks.send_test(shop_id=SHOP, subscription_id=subscription["id"])
    assert refused.value.details == {"id": subscription["id"], "status": "paused"}
    missed = publish("points", earned())
    assert wait_for(lambda: handled(missed))
    assert delivery_rows(missed) == []

    webhooks.set_subscription_status(shop_id=SHOP, subscription_id=subscription["id"], status="active")
    heard = publish("points", earned(points=2))

    assert wait_for(lambda: receiver.received)
    assert receiver.event_ids() == [heard]


def test_a_delivery_whose_secret_cannot_be_read_fails_alone(webhooks, receiver, monkeypatch):
    unreadable = subscribe(webhooks, receiver.url)
    monkeypatch.setenv("LOYALTY_SECRET_KEY", Fernet.generate_key().decode())  # the key changed
    readable = subscribe(webhooks, receiver.url)
    webhooks.send_test(shop_id=SHOP, subscription_id=unreadable["id"])
    webhooks.send_test(shop_id=SHOP, subscription_id=readable["id"])

    [failed] = attempts_made(webhooks, unreadable, 1)
    assert failed["outcome"] == "retrying"
    assert failed["error"].startswith("not sent: a stored secret cannot be decrypted")
    [delivered] = attempts_made(webhooks, readable, 1)
    assert delivered["outcome"] == "delivered"
    assert len(receiver.received) == 1
    assert receiver.received[0].signed_with(readable["signing_secret"])


def test_creating_with_an_idempotency_key_twice_makes_one_subscription_with_one_secret(
    webhooks, receiver, database_url
):
    first = webhooks.create_subscription(
        shop_id=SHOP, shop_domain=DOMAIN, url=receiver.url, topics=["points.earned"], idempotency_key="k-1"
    )
    again = webhooks.create_subscription(
        shop_id=SHOP, shop_domain=DOMAIN, url=receiver.url, topics=["points.earned"], idempotency_key="k-1"
    )
    assert again == first  # the same id, and the secret as first shown
    assert [item["id"] for item in webhooks.list_subscriptions(shop_id=SHOP)["items"]] == [first["id"]]
    with pytest.raises(Conflict) as refused:
        webhooks.create_subscription(
            shop_id=SHOP,
            shop_domain=DOMAIN,
            url=receiver.url,
            topics=["review.approved"],
            idempotency_key="k-1",
        )
    assert refused.value.details == {"header": "Idempotency-Key"}
    # Another shop's key is its own.
    other = webhooks.create_subscription(
        shop_id=OTHER_SHOP,
        shop_domain=DOMAIN,
        url=receiver.url,
        topics=["points.earned"],
        idempotency_key="k-1",
    )
    assert other["id"] != first["id"]
    # The stored answer holds no secret: only the subscription's encrypted copy does.
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(metadata.tables["idempotency_keys"].c.result)).scalars().all()
    engine.dispose()
    assert len(stored) == 2
    assert not any(created["signing_secret"] in text for text in stored for created in (first, other))

    webhooks.delete_subscription(shop_id=SHOP, subscription_id=first["id"])
    with pytest.raises(Conflict) as deleted:
        webhooks.create_subscription(
            shop_id=SHOP,
            shop_domain=DOMAIN,
            url=receiver.url,
            topics=["points.earned"],
            idempotency_key="k-1",
        )
    assert "deleted" in deleted.value.message


def test_a_test_sent_twice_with_one_idempotency_key_is_delivered_once(webhooks_sent_by_hand, receiver):
    webhooks = webhooks_sent_by_hand
    subscription, other = subscribe(webhooks, receiver.url), subscribe(webhooks, receiver.url)
    ref = {"shop_id": SHOP, "subscription_id": subscription["id"]}

    first = webhooks.send_test(idempotency_key="t-1", **ref)
    assert webhooks.send_test(idempotency_key="t-1", **ref) == first
    with pytest.raises(Conflict):
        webhooks.send_test(shop_id=SHOP, subscription_id=other["id"], idempotency_key="t-1")
    assert webhooks.send_due_deliveries() == 1
    assert receiver.event_ids() == [first["event_id"]]
