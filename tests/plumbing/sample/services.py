from pathlib import Path

import eventlet
from nameko.rpc import rpc
from sqlalchemy import insert, select, update

from shared.database import Database
from shared.entrypoints import reliable_event_handler
from shared.events import OrderPlaced
from tests.plumbing.sample.models import metadata, things

MIGRATIONS = Path(__file__).parent / "migrations"

# Faults a test injects: how many more times the consumer must fail.
FAULTS = {"remaining": 0}
# Every attempt of `add_to_both`'s transaction, as (first, second) names.
ATTEMPTS = []


class Producer:
    """Plays the gateway: publishes `order_placed` through its outbox."""

    name = "gateway"
    db = Database(metadata, MIGRATIONS)

    @rpc
    def place(self, shop_id, order_id, rollback=False):
        with self.db.unit_of_work() as uow:
            uow.session.execute(insert(things).values(shop_id=shop_id, name=order_id))
            event = uow.publish(shop_id, OrderPlaced(order_id=order_id, subtotal="10"))
            if rollback:
                uow.rollback()
                return None
            uow.commit()
        return str(event.event_id)


class Consumer:
    name = "sample_consumer"
    db = Database(metadata, MIGRATIONS)

    @reliable_event_handler("gateway", "order_placed")
    def count_order(self, uow, event):
        if FAULTS["remaining"] > 0:
            FAULTS["remaining"] -= 1
            raise RuntimeError("injected fault")
        row = uow.session.execute(
            select(things.c.id).where(
                things.c.shop_id == event.shop_id, things.c.name == event.payload.order_id
            )
        ).first()
        if row is None:
            uow.session.execute(
                insert(things).values(shop_id=event.shop_id, name=event.payload.order_id, seen=1)
            )
        else:
            uow.session.execute(update(things).where(things.c.id == row.id).values(seen=things.c.seen + 1))

    @reliable_event_handler("gateway", "order_placed", when=lambda order: order.subtotal >= 100)
    def count_big_order(self, uow, event):
        uow.session.execute(
            insert(things).values(shop_id=event.shop_id, name="big:" + event.payload.order_id, seen=1)
        )

    @rpc
    def handled_by(self, event_id):
        """The handlers whose inbox holds `event_id`."""
        processed = metadata.tables["processed_events"]
        with self.db.unit_of_work() as uow:
            return sorted(
                uow.session.execute(
                    select(processed.c.handler).where(processed.c.event_id == event_id)
                ).scalars()
            )

    @rpc
    def seen(self, shop_id, order_id):
        with self.db.unit_of_work() as uow:
            return uow.session.execute(
                select(things.c.seen).where(things.c.shop_id == shop_id, things.c.name == order_id)
            ).scalar()

    @rpc
    def add_to_both(self, shop_id, first, second):
        """Add 1 to two things, locking `first` then `second` with a pause
        between: two calls naming them in opposite orders deadlock on
        PostgreSQL, and `Database.transaction` runs the loser again. (Only
        a test yields inside a transaction: on SQLite that would stall the
        process behind the write lock.)"""

        def work(uow):
            ATTEMPTS.append((first, second))
            for name in (first, second):
                uow.session.execute(
                    update(things)
                    .where(things.c.shop_id == shop_id, things.c.name == name)
                    .values(seen=things.c.seen + 1)
                )
                eventlet.sleep(0.3)

        self.db.transaction(work)
