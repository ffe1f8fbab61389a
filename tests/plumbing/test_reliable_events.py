"""The guarantees of docs/architecture.md, proved against real RabbitMQ and
the real database: outbox (nothing rolled back is published, nothing
committed is lost), inbox (one effect per event), bounded retries, dead
letters that can be listed and replayed."""

import json
import os
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from shared.db import UnitOfWork, make_engine
from shared.dead_letters import list_dead_letters, replay_dead_letters
from shared.entrypoints import handler_queues
from shared.events import OrderPlaced, make_event
from shared.migrations import upgrade_to_head
from shared.outbox import BatchPublisher, events_exchange, relay_pending_events
from shared.topology import dead_queue_name
from tests.plumbing.sample import services as sample
from tests.plumbing.sample.models import metadata, things
from tests.support import wait_for


@pytest.fixture
def tap(amqp_uri):
    """A queue bound to gateway.events that records what was published."""
    name = f"tap-{uuid.uuid4().hex[:8]}"
    with Connection(amqp_uri) as conn:
        Queue(name, exchange=events_exchange("gateway"), routing_key="#", auto_delete=False, durable=False)(
            conn.channel()
        ).declare()

    def drain():
        bodies = []
        with Connection(amqp_uri) as conn:
            channel = conn.channel()
            while (message := channel.basic_get(name, no_ack=True)) is not None:
                bodies.append((message.properties, json.loads(message.body)))
        return bodies

    yield drain
    with Connection(amqp_uri) as conn:
        conn.channel().queue_delete(name)


@pytest.fixture
def system(amqp_uri, database_url_factory, runner_factory):
    sample.FAULTS["remaining"] = 0
    producer = runner_factory(
        {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url_factory("producer")}, sample.Producer
    )
    consumer = runner_factory(
        {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url_factory("consumer")}, sample.Consumer
    )
    producer.start()
    consumer.start()
    with (
        ServiceRpcProxy("gateway", {"AMQP_URI": amqp_uri}) as gateway,
        ServiceRpcProxy("sample_consumer", {"AMQP_URI": amqp_uri}) as consumer_rpc,
    ):
        yield gateway, consumer_rpc


def publish_wire(amqp_uri, body, message_id=None):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(
            body,
            exchange=events_exchange("gateway"),
            routing_key=body["type"],
            serializer="json",
            message_id=message_id or body.get("event_id"),
            declare=[events_exchange("gateway")],
        )


def test_committed_event_is_published_once_as_plain_json(system, tap):
    gateway, consumer = system
    order_id = uuid.uuid4().hex
    event_id = gateway.place("shop-a", order_id)

    published = wait_for(lambda: [b for _, b in tap() if b["payload"]["order_id"] == order_id])
    assert len(published) == 1
    body = published[0]
    assert body["event_id"] == event_id
    assert body["type"] == "order_placed"
    assert body["shop_id"] == "shop-a"
    assert body["source"] == "gateway"
    assert body["payload"]["subtotal"] == "10"
    assert wait_for(lambda: consumer.seen("shop-a", order_id)) == 1


def test_rolled_back_event_is_never_published(system, tap):
    gateway, consumer = system
    order_id = uuid.uuid4().hex
    assert gateway.place("shop-a", order_id, rollback=True) is None
    marker = uuid.uuid4().hex
    gateway.place("shop-a", marker)  # published after the rolled-back one would have been

    wait_for(lambda: consumer.seen("shop-a", marker))
    seen_ids = [b["payload"]["order_id"] for _, b in tap()]
    assert marker in seen_ids
    assert order_id not in seen_ids
    assert consumer.seen("shop-a", order_id) is None


def test_redelivered_event_has_one_effect(system, amqp_uri):
    _, consumer = system
    order_id = uuid.uuid4().hex
    body = make_event("gateway", "shop-b", OrderPlaced(order_id=order_id, subtotal="5")).model_dump(
        mode="json"
    )
    publish_wire(amqp_uri, body)
    publish_wire(amqp_uri, body)
    assert wait_for(lambda: consumer.seen("shop-b", order_id)) == 1
    # A third, later delivery still changes nothing.
    publish_wire(amqp_uri, body)
    marker = uuid.uuid4().hex
    publish_wire(
        amqp_uri,
        make_event("gateway", "shop-b", OrderPlaced(order_id=marker, subtotal="1")).model_dump(mode="json"),
    )
    wait_for(lambda: consumer.seen("shop-b", marker))
    assert consumer.seen("shop-b", order_id) == 1


def test_a_handler_that_wants_only_some_events_leaves_the_others_untouched(system, amqp_uri):
    _, consumer = system
    small, big = uuid.uuid4().hex, uuid.uuid4().hex
    small_event = make_event("gateway", "shop-c", OrderPlaced(order_id=small, subtotal="5"))
    publish_wire(amqp_uri, small_event.model_dump(mode="json"))
    publish_wire(
        amqp_uri,
        make_event("gateway", "shop-c", OrderPlaced(order_id=big, subtotal="500")).model_dump(mode="json"),
    )
    # The big order came after the small one on the same queue.
    assert wait_for(lambda: consumer.seen("shop-c", "big:" + big)) == 1
    assert wait_for(lambda: consumer.seen("shop-c", small)) == 1  # the other handler had it
    assert consumer.handled_by(str(small_event.event_id)) == ["sample_consumer.count_order"]
    with Connection(amqp_uri) as conn:
        queue = next(q for q in handler_queues(sample.Consumer) if q.name.endswith("count_big_order"))
        _, waiting, _ = conn.channel().queue_declare(queue.name, passive=True)
    assert waiting == 0  # acked, not left behind


def test_handler_failing_a_few_times_is_retried_then_applied_once(system, amqp_uri):
    gateway, consumer = system
    sample.FAULTS["remaining"] = 2  # fewer than the three retries configured in conftest
    order_id = uuid.uuid4().hex
    gateway.place("shop-c", order_id)
    assert wait_for(lambda: consumer.seen("shop-c", order_id)) == 1
    assert sample.FAULTS["remaining"] == 0
    assert list_dead_letters(amqp_uri, handler_queues(sample.Consumer)) == []


def test_handler_failing_forever_is_dead_lettered_then_replayed_once(system, amqp_uri):
    gateway, consumer = system
    queues = handler_queues(sample.Consumer)
    sample.FAULTS["remaining"] = 10_000
    order_id = uuid.uuid4().hex
    event_id = gateway.place("shop-d", order_id)

    letters = wait_for(lambda: [d for d in list_dead_letters(amqp_uri, queues) if d["id"] == event_id])
    assert len(letters) == 1
    assert letters[0]["attempts"] == 4  # first try + 3 retries
    assert "injected fault" in letters[0]["error"]
    assert letters[0]["body"]["payload"]["order_id"] == order_id
    assert consumer.seen("shop-d", order_id) is None
    # Listing does not consume: it is still there.
    assert [d["id"] for d in list_dead_letters(amqp_uri, queues)] == [event_id]

    sample.FAULTS["remaining"] = 0  # the fault is fixed
    assert replay_dead_letters(amqp_uri, queues, event_id) == 1
    assert wait_for(lambda: consumer.seen("shop-d", order_id)) == 1
    assert list_dead_letters(amqp_uri, queues) == []


def test_invalid_event_goes_straight_to_dead_letters(system, amqp_uri):
    queues = handler_queues(sample.Consumer)
    bad = {
        "event_id": str(uuid.uuid4()),
        "type": "order_placed",
        "shop_id": "s",
        "source": "gateway",
        "occurred_at": "2026-01-01T00:00:00Z",
        "payload": {"order_id": "1"},
    }  # no subtotal
    publish_wire(amqp_uri, bad)
    letters = wait_for(lambda: [d for d in list_dead_letters(amqp_uri, queues) if d["id"] == bad["event_id"]])
    assert "subtotal" in letters[0]["error"]
    assert letters[0]["attempts"] == 0
    # Clean up so later tests see an empty dead-letter queue.
    with Connection(amqp_uri) as conn:
        conn.channel().queue_purge(dead_queue_name(queues[0].name))


def test_events_committed_while_the_broker_is_unreachable_are_published_later(
    database_url_factory, amqp_uri, tap
):
    url = database_url_factory("outage")
    upgrade_to_head(sample.MIGRATIONS, url)
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    order_ids = [uuid.uuid4().hex for _ in range(3)]
    for order_id in order_ids:  # the service committed, then crashed before publishing
        with UnitOfWork(factory, metadata, "gateway") as uow:
            uow.publish("shop-e", OrderPlaced(order_id=order_id, subtotal="3"))
            uow.commit()

    down = BatchPublisher("amqp://guest:guest@127.0.0.1:1/")
    assert relay_pending_events(engine, metadata, down) == 0
    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.published_at, outbox.c.last_error, outbox.c.claimed_until)).all()
    assert all(r.published_at is None and r.last_error and r.claimed_until is None for r in rows)

    assert relay_pending_events(engine, metadata, BatchPublisher(amqp_uri)) == 3
    published = [b["payload"]["order_id"] for _, b in tap()]
    assert published == order_ids  # all of them, in commit order
    assert relay_pending_events(engine, metadata, BatchPublisher(amqp_uri)) == 0
    engine.dispose()


@pytest.mark.skipif(
    os.environ.get("LOYALTY_TEST_DB") != "postgresql",
    reason="SQLite serializes writers (BEGIN IMMEDIATE): there is no deadlock to lose",
)
def test_a_transaction_that_loses_a_deadlock_runs_again_and_the_caller_never_sees_it(
    amqp_uri, database_url_factory, runner_factory
):
    url = database_url_factory("deadlock")
    runner_factory({"AMQP_URI": amqp_uri, "DATABASE_URL": url}, sample.Consumer).start()
    with make_engine(url).begin() as conn:
        conn.execute(
            things.insert(), [{"shop_id": "shop-d", "name": n, "seen": 0} for n in ("left", "right")]
        )
    sample.ATTEMPTS.clear()

    with ServiceRpcProxy("sample_consumer", {"AMQP_URI": amqp_uri}) as consumer:
        calls = [
            consumer.add_to_both.call_async("shop-d", "left", "right"),
            consumer.add_to_both.call_async("shop-d", "right", "left"),
        ]
        for call in calls:
            call.result()  # neither raises

        # Each call's effect once: the attempt that lost was rolled back whole.
        assert (consumer.seen("shop-d", "left"), consumer.seen("shop-d", "right")) == (2, 2)
    assert len(sample.ATTEMPTS) == 3  # the deadlock happened; one call ran twice
