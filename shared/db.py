"""Engines, the column types every service uses, the outbox/inbox tables, and
the unit of work: one transaction holding a service's changes, the events they
cause (outbox) and, for an event handler, the record that it ran (inbox)."""

import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
)
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, Result, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from shared.clock import Clock, SystemClock
from shared.events import Envelope, PayloadT, make_event
from shared.logs import current_correlation_id

log = logging.getLogger(__name__)

RowT = TypeVar("RowT")

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def service_metadata() -> MetaData:
    """A service's MetaData, already holding the shared outbox and inbox tables."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("shop_id", String(64), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime),
        Column("claimed_until", UTCDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )
    # The relay only ever scans what is still unpublished.
    Index(
        "ix_outbox_unpublished",
        outbox.c.id,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("processed_at", UTCDateTime, nullable=False),
    )
    return metadata


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _make_private(make_url(url).database)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy, not pysqlite, open transactions, and make them
            # take the write lock up front: concurrent writers queue instead of
            # failing on lock upgrade; WAL lets readers carry on meanwhile.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # An UPDATE of many rows (a batch of imported balances) in pages of
    # statements, not a round trip per row (psycopg2's own executemany).
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, executemany_mode="values_plus_batch"
    )


def _make_private(path: str | None) -> None:
    """An SQLite database file readable by its owner only (SQLite would make
    it 0644, umask permitting; it holds customers' data). Its -wal and -shm
    files take the same mode from it."""
    if not path or path == ":memory:":
        return
    try:
        # Only ever a new file: closing a descriptor of a database this
        # process has open would drop SQLite's POSIX locks on it.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        with contextlib.suppress(PermissionError):  # a file someone else owns stays theirs
            os.chmod(path, 0o600)
    except FileNotFoundError:
        pass  # no such folder: SQLite says so when it is first used


def cursor_result(result: Result[Any]) -> CursorResult[Any]:
    """The result of a Core INSERT/UPDATE as a session returns it: a
    CursorResult (rowcount, inserted_primary_key), which Session.execute is
    typed not to promise."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected a Core statement's CursorResult, got {type(result).__name__}")
    return result


@functools.cache
def _insert_into(table: Table) -> Insert:
    return insert(table)


def insert_row(session: Session, table: Table, **values: Any) -> CursorResult[Any]:
    """INSERT one row: `values` passed as parameters to an INSERT built once
    per table (building `insert(table).values(...)` on every call costs more
    than the round trip on a hot path)."""
    return cursor_result(session.execute(_insert_into(table), values))


def inserted_id(result: Result[Any]) -> int:
    """The id a one-row Core INSERT gave its row."""
    key = cursor_result(result).inserted_primary_key
    if key is None:
        raise TypeError("the statement inserted no row with a primary key")
    row_id: int = key[0]
    return row_id


def must_exist(row: RowT | None, what: str) -> RowT:
    """`row`, which this transaction has already written, locked or found:
    were it missing, the database broke a promise and nothing after could
    be right."""
    if row is None:
        raise LookupError(f"{what} is missing in a transaction that has already seen it")
    return row


# PostgreSQL's deadlock_detected and serialization_failure; SQLite's busy
# lock. Both mean "this transaction lost a race": running it again is safe.
_TRANSIENT_PG_CODES = {"40P01", "40001"}


def is_transient_conflict(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "pgcode", None) in _TRANSIENT_PG_CODES:
        return True
    return "database is locked" in str(exc.orig)


class DuplicateEvent(Exception):
    """This handler already applied this event: nothing to do, ack it."""


class UnitOfWork:
    """`with uow:` ... `uow.commit()`; anything not committed is rolled back.

    `publish()` adds an event to the outbox inside the same transaction, so the
    event exists if and only if the change does. For an event handler the
    inbox row `(event_id, handler)` is written first: a second delivery of the
    same event stops at once with DuplicateEvent (on PostgreSQL a concurrent
    duplicate waits for the first to commit, then stops)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        metadata: MetaData,
        source: str,
        clock: Clock | None = None,
        inbox_key: tuple[str, str] | None = None,
        on_events_committed: Callable[[], None] | None = None,
    ):
        self._session_factory = session_factory
        self._metadata = metadata
        self.source = source
        self.clock: Clock = clock or SystemClock()
        self._inbox_key = inbox_key
        self._on_events_committed = on_events_committed
        self._published: list[Envelope[Any]] = []
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The transaction's session (only inside `with`)."""
        if self._session is None:
            raise RuntimeError("a unit of work's session is used outside its `with` block")
        return self._session

    def __enter__(self) -> "UnitOfWork":
        self._session = self._session_factory()
        if self._inbox_key is not None:
            event_id, handler = self._inbox_key
            processed = self._table("processed_events")
            try:
                insert_row(
                    self.session, processed, event_id=event_id, handler=handler, processed_at=self.clock.now()
                )
            except IntegrityError:
                self.session.rollback()
                self.session.close()
                raise DuplicateEvent(f"{handler} already handled event {event_id}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def _table(self, name: str) -> Table:
        return self._metadata.tables[name]

    def publish(
        self, shop_id: str, payload: PayloadT, occurred_at: datetime | None = None
    ) -> Envelope[PayloadT]:
        envelope = make_event(
            self.source,
            shop_id,
            payload,
            occurred_at or self.clock.now(),
            correlation_id=current_correlation_id(),
        )
        insert_row(
            self.session,
            self._table("outbox"),
            event_id=str(envelope.event_id),
            event_type=envelope.type,
            shop_id=shop_id,
            body=envelope.model_dump_json(),
            created_at=self.clock.now(),
            attempts=0,
        )
        self._published.append(envelope)
        return envelope

    def commit(self) -> None:
        self.session.commit()
        if self._published and self._on_events_committed:
            self._on_events_committed()
        self._published = []

    def rollback(self) -> None:
        self.session.rollback()
        self._published = []
