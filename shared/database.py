"""The `Database` dependency of every service: migrations on start, a unit
of work per worker (with the inbox row for an event handler), transactions
that run again when they lose a race, and the outbox relay (woken right
after a commit that published, and every LOYALTY_RELAY_INTERVAL seconds as
the backstop for crashes), which also reports the outbox backlog."""

import contextlib
import logging
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import eventlet
from eventlet.greenthread import GreenThread
from eventlet.queue import Empty, LightQueue
from nameko.containers import WorkerContext
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from shared import config, metrics, rpc_errors
from shared.clock import Clock, configured_clock
from shared.db import UnitOfWork, is_transient_conflict, make_engine
from shared.outbox import BatchPublisher, outbox_backlog, relay_pending_events

log = logging.getLogger(__name__)

# Every service has a Database: our errors cross RPC as themselves, and a
# refusal is logged as one line, in every service.
rpc_errors.install()

ResultT = TypeVar("ResultT")

TRANSACTION_ATTEMPTS = 5


# The child: `python -m shared.migrations`, quiet about eventlet's deprecation
# (announced on import, before the module could filter it; loyalty.cli too).
_MIGRATE_IN_CHILD = (
    "import warnings; warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated'); "
    "from shared.migrations import main; main()"
)


def _migrate_in_child_process(service: str, migrations_dir: Path, url: str) -> None:
    """Upgrade to head in a child process: alembic and the revision scripts,
    needed once at start, would otherwise stay in the long-running
    service's memory (~12 MB of its ~100)."""
    env = dict(
        os.environ,
        **{
            config.MIGRATE_SERVICE_ENV: service,
            config.MIGRATE_DIR_ENV: str(migrations_dir),
            config.MIGRATE_URL_ENV: url,
        },
    )
    done = subprocess.run([sys.executable, "-c", _MIGRATE_IN_CHILD], env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"migrating {service}'s database failed (exit {done.returncode}): see the log above"
        )


class Database(DependencyProvider):
    """Per-service database: applies the service's Alembic migrations on
    start, hands each worker a unit-of-work factory, and runs the outbox
    relay (woken right after a commit that published, and every
    LOYALTY_RELAY_INTERVAL seconds as the backstop for crashes)."""

    def __init__(self, metadata: MetaData, migrations_dir: Path, clock: Clock | None = None) -> None:
        self.metadata = metadata
        self.migrations_dir = Path(migrations_dir)
        self.clock: Clock = clock or configured_clock()

    def setup(self) -> None:
        service = self.container.service_name
        self.url = self.container.config.get("DATABASE_URL") or config.database_url(service)
        if self.container.config.get(config.MIGRATE_IN_CHILD):
            _migrate_in_child_process(service, self.migrations_dir, self.url)
        else:
            # Imported here: a service that migrates in a child never loads alembic.
            from shared.migrations import upgrade_to_head

            upgrade_to_head(self.migrations_dir, self.url)
        self.engine = make_engine(self.url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.publisher = BatchPublisher(self.container.config["AMQP_URI"])
        self._wakeups: LightQueue = LightQueue()
        self._relay_thread: GreenThread | None = None

    def start(self) -> None:
        self._relay_thread = self.container.spawn_managed_thread(self._relay_forever)

    def stop(self) -> None:
        if self._relay_thread is not None:
            self._relay_thread.kill()
        self.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def wake_relay(self) -> None:
        self._wakeups.put(None)

    def relay_once(self) -> int:
        return relay_pending_events(self.engine, self.metadata, self.publisher, now=self.clock.now)

    def _relay_forever(self) -> None:
        interval = config.relay_interval_seconds()
        while True:
            with contextlib.suppress(Empty):
                self._wakeups.get(timeout=interval)
            while not self._wakeups.empty():
                self._wakeups.get_nowait()
            try:
                while self.relay_once():
                    pass
                self._report_backlog()
            except Exception:
                log.exception("outbox relay failed; retrying in %ss", interval)
                eventlet.sleep(interval)

    def _report_backlog(self) -> None:
        rows, oldest_age = outbox_backlog(self.engine, self.metadata, self.clock.now())
        service = self.container.service_name
        metrics.OUTBOX_BACKLOG.labels(service).set(rows)
        metrics.OUTBOX_OLDEST_AGE.labels(service).set(oldest_age)

    def unit_of_work(self, inbox_key: tuple[str, str] | None = None) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            self.metadata,
            self.container.service_name,
            clock=self.clock,
            inbox_key=inbox_key,
            on_events_committed=self.wake_relay,
        )

    def get_dependency(self, worker_ctx: WorkerContext) -> "WorkerDatabase":
        return WorkerDatabase(self)


class WorkerDatabase:
    """What a service method sees as `self.db`."""

    def __init__(self, provider: Database) -> None:
        self._provider = provider
        self.clock = provider.clock

    def unit_of_work(self) -> UnitOfWork:
        return self._provider.unit_of_work()

    def inbox_unit_of_work(self, event_id: str, handler: str) -> UnitOfWork:
        """A unit of work whose first statement records that `handler` ran for
        `event_id`; opening it raises DuplicateEvent if it already did."""
        return self._provider.unit_of_work(inbox_key=(event_id, handler))

    def transaction(self, work: Callable[[UnitOfWork], ResultT]) -> ResultT:
        """`work(uow)` committed, for an RPC command: run again in a fresh
        transaction (a few times, after a short random pause) when the
        database says it lost a race (deadlock, serialization failure,
        SQLite busy), so the caller never sees one. Event handlers have
        their own retries (the retry queues) and do not use this."""
        attempt = 1
        while True:
            try:
                with self.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except DBAPIError as exc:
                if attempt == TRANSACTION_ATTEMPTS or not is_transient_conflict(exc):
                    raise
                log.warning("transaction lost a race (%s); running it again", exc.orig)
                eventlet.sleep(random.uniform(0.01, 0.05) * attempt)
                attempt += 1
