"""Fixtures for the points service tests: the real container on the real
broker and database, a way to publish other services' events onto the wire,
and direct (read-mostly) access to the service's database."""

import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.points.repository.program import save_program_settings
from services.points.service import MIGRATIONS, PointsService
from shared.clock import FrozenClock
from shared.db import make_engine
from shared.events import make_event
from shared.migrations import upgrade_to_head
from shared.outbox import events_exchange
from shared.points_api import ProgramRules
from tests.support import make_event_publisher


@pytest.fixture
def shop_id():
    # Queues outlive a test's container: a fresh shop keeps any stray
    # message from another test out of this one's assertions.
    return f"shp_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def database_url(database_url_factory):
    return database_url_factory("points")


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def max_workers():
    # One worker: messages of a queue are handled one after another, in order,
    # so "the event published after it was handled" proves it was handled.
    return 1


@pytest.fixture
def points_service(container_factory, amqp_uri, database_url, max_workers):
    container = container_factory(
        PointsService, {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "max_workers": max_workers}
    )
    container.start()
    return container


@pytest.fixture
def rpc(points_service, amqp_uri):
    with ServiceRpcProxy("points", {"AMQP_URI": amqp_uri}) as proxy:
        yield proxy


@pytest.fixture
def publish(amqp_uri):
    """publish(source, shop_id, payload, event_id=None) -> the event id; as
    the source service's outbox relay would (mandatory: the queue must exist)."""
    publisher = make_event_publisher(amqp_uri)

    def publish_event(source, shop_id, payload, event_id=None):
        event = make_event(source, shop_id, payload)
        if event_id is not None:
            event = event.model_copy(update={"event_id": event_id})
        publisher.publish(
            event.model_dump(mode="json"),
            exchange=events_exchange(source),
            routing_key=event.type,
            message_id=str(event.event_id),
            declare=[events_exchange(source)],
        )
        return event.event_id

    return publish_event


@pytest.fixture
def published_by_points(amqp_uri):
    """listen(event_type) -> a function returning the bodies points has
    published of that type so far (bound before anything happens)."""
    connection = Connection(amqp_uri)
    channel = connection.channel()

    def listen(event_type):
        queue = Queue(
            f"test-points-{event_type}-{uuid.uuid4().hex[:8]}",
            exchange=events_exchange("points"),
            routing_key=event_type,
            exclusive=True,
            auto_delete=True,
        )(channel)
        queue.declare()
        received = []

        def bodies():
            while (message := queue.get(no_ack=True)) is not None:
                received.append(message.decode())
            return list(received)

        return bodies

    yield listen
    connection.release()


@pytest.fixture
def set_program(db):
    """set_program(shop_id, **rules) replaces the shop's program document, as
    PUT /api/program does: the rules not named take their defaults."""

    def set_program_settings(shop_id, **rules):
        with db.begin() as conn:
            save_program_settings(Session(conn), shop_id, ProgramRules(**rules), datetime.now(UTC))

    return set_program_settings


@pytest.fixture
def rows(db):
    """rows(table, **where) -> the table's rows matching, in id order."""

    def select_rows(table, **where):
        query = select(table).where(*(table.c[name] == value for name, value in where.items()))
        if "id" in table.c:
            query = query.order_by(table.c.id)
        with db.connect() as conn:
            return conn.execute(query).all()

    return select_rows


# --- the operations without a broker (test_ledger, test_overview, test_imports) ---------


@pytest.fixture(scope="module")
def engine(database_url_factory):
    url = database_url_factory("points")
    upgrade_to_head(MIGRATIONS, url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    from services.points.tests.test_ledger import T0

    return FrozenClock(T0)


@pytest.fixture
def points(engine, clock):
    """The points service's operations on a fresh shop (test_ledger.Points)."""
    from services.points.tests.test_ledger import Points

    return Points(engine, clock)
