"""The bare framework, doing the minimum of our webhook path: nameko's `@http`
POST → `EventDispatcher` → `@event_handler` that inserts one row in SQLite
(the pragmas our services use) and commits. The anchor our pipeline is
measured against, in the same run.

    AMQP_URI=… WEB_SERVER_ADDRESS=127.0.0.1:8001 BARE_DATABASE_URL=sqlite:///bare.db python -m bench.bare
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from nameko.events import EventDispatcher, event_handler  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert  # noqa: E402

from bench.bare_http import http  # noqa: E402
from shared.db import make_engine  # noqa: E402

metadata = MetaData()
credited = Table(
    "credited",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("credited_at", DateTime, nullable=False),
)
engine = make_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://"))


class BareIngest:
    name = "bare_ingest"
    dispatch = EventDispatcher()

    @http("POST", "/orders")
    def accept(self, request):
        self.dispatch("order_paid", json.loads(request.get_data()))
        return 200, "{}"


class BareCredit:
    name = "bare_credit"

    @event_handler("bare_ingest", "order_paid")
    def credit(self, order):
        with engine.begin() as conn:
            conn.execute(insert(credited).values(order_id=str(order["id"]), credited_at=datetime.now(UTC)))


def main() -> None:
    metadata.create_all(engine)
    runner = ServiceRunner(
        {"AMQP_URI": os.environ["AMQP_URI"], "WEB_SERVER_ADDRESS": os.environ["WEB_SERVER_ADDRESS"]}
    )
    runner.add_service(BareIngest)
    runner.add_service(BareCredit)
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main()
