"""The benchmark's database: a new PostgreSQL database migrated with the
points service's own Alembic revisions (so the real schema and indexes are
measured), filled with COPY, its overview roll-ups summed from the rows
(bench/rollups.py).

The data looks like a shop's: members sign up over a year and a half
(customer numbers in sign-up order), a few are very active and most are
occasional, and their activities of the last 180 days are written oldest
first, as the service writes them, so ids grow with `occurred_at`. Each
member's ledger is consistent: `balance_after` is the running sum, a debit
never takes more than the balance, and the member's totals match. A member
excluded from the program was excluded by an admin (the audit trail says
when)."""

import contextlib
import io
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from psycopg2 import extensions
from sqlalchemy import create_engine, text

import services
from bench import rollups
from shared.migrations import upgrade_to_head

SERVICES_DIR = Path(services.__file__).parent

HISTORY_DAYS = 180  # activities span this many days up to now
MEMBERS_SINCE_DAYS = 540  # members signed up over this many days up to now
# Weights of the requested type of each activity; a debit the member cannot
# afford is written as an order instead, so the stored mix is a little
# richer in `earned` (the report prints the stored one).
TYPE_WEIGHTS = {"earned": 80, "redeemed": 10, "refunded": 4, "adjusted": 4, "expired": 2}
FIRST_CUSTOMER_ID = 6_000_000_001  # shop platforms number customers like this
ADMIN_ACTOR = "api_key:admin@{shop_id}"
SYSTEM_ACTOR = "system"
NULL = "\\N"  # NULL in COPY's text format
COPY_CHUNK_ROWS = 100_000

FIRST_NAMES = ("Ann", "Ben", "Chloe", "Dev", "Eva", "Finn", "Grace", "Hugo", "Iris", "Jon")
LAST_NAMES = ("Lee", "Khan", "Novak", "Silva", "Berg", "Okafor", "Rossi", "Dubois", "Sato", "Weber")

MEMBER_COLUMNS = (
    "shop_id",
    "customer_id",
    "email",
    "email_lower",
    "first_name",
    "last_name",
    "birthday",
    "status",
    "balance",
    "lifetime_earned",
    "lifetime_redeemed",
    "created_at",
)
MEMBER_SEARCH_COLUMNS = ("name_lower", "birthday_key")
ACTIVITY_COLUMNS = (
    "shop_id",
    "customer_id",
    "type",
    "action",
    "points",
    "balance_after",
    "uncollected_points",
    "reference",
    "actor",
    "occurred_at",
)
AUDIT_COLUMNS = ("shop_id", "customer_id", "actor", "action", "reason", "before", "after", "occurred_at")


def database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; its URL."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def migrate(url: str, service: str = "points") -> None:
    """The service's schema, by its own Alembic revisions."""
    upgrade_to_head(SERVICES_DIR / service / "migrations", url)


def email_of(number: int, members: int) -> str:
    """customer00001@example.com ... for member `number` (1-based)."""
    return f"customer{number:0{max(5, len(str(members)))}d}@example.com"


@dataclass
class Seeded:
    members: int
    activities: int
    now: datetime
    type_counts: dict[str, int]
    plan_seconds: float  # drawing the data in memory
    copy_seconds: float  # writing it with COPY (formatting included)
    analyze_seconds: float
    table_bytes: int  # point_activities with its indexes


def seed(
    url: str, shop_id: str, members: int, activities: int, now: datetime | None = None, rng_seed: int = 1
) -> Seeded:
    """Fill a migrated, empty points database with `members` members of
    `shop_id` and `activities` ledger rows, then VACUUM ANALYZE it (as
    autovacuum would have done to a table this old)."""
    now = now or datetime.now(UTC)
    rng = random.Random(rng_seed)
    started = time.perf_counter()
    joined, events = _plan(rng, members, activities, now.timestamp())
    planned = time.perf_counter()

    engine = create_engine(url)
    try:
        with blocking_driver():
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                _refuse_unknown_required_columns(cursor, "members", MEMBER_COLUMNS)
                _refuse_unknown_required_columns(cursor, "point_activities", ACTIVITY_COLUMNS)
                cursor.execute("SET synchronous_commit = off")
                totals = _copy_activities(cursor, rng, shop_id, members, events)
                excluded = _copy_members(cursor, rng, shop_id, joined, totals)
                _copy_exclusions(cursor, rng, shop_id, joined, excluded, now.timestamp())
                rollups.fill(cursor, "points")
                raw.commit()
            finally:
                raw.close()
        copied = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) members"))
            conn.execute(text("VACUUM (ANALYZE) point_activities"))
            conn.execute(text("VACUUM (ANALYZE) audit_log"))
            conn.execute(text("VACUUM (ANALYZE) daily_totals"))
            analyzed = time.perf_counter()
            type_counts: dict[str, int] = dict(
                conn.execute(
                    text("SELECT type, count(*) FROM point_activities GROUP BY type ORDER BY count(*) DESC")
                )
                .tuples()
                .all()
            )
            table_bytes = conn.execute(text("SELECT pg_total_relation_size('point_activities')")).scalar_one()
    finally:
        engine.dispose()
    return Seeded(
        members=members,
        activities=sum(type_counts.values()),
        now=now,
        type_counts=type_counts,
        plan_seconds=planned - started,
        copy_seconds=copied - planned,
        analyze_seconds=analyzed - copied,
        table_bytes=table_bytes,
    )


@contextlib.contextmanager
def blocking_driver():
    """COPY refuses a green psycopg2: in a process that ran
    eventlet.monkey_patch() (the tests) it waits through a callback, which
    is set aside while seeding."""
    callback = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        yield
    finally:
        extensions.set_wait_callback(callback)


def _plan(rng: random.Random, members: int, activities: int, now_ts: float):
    """Sign-up times of the members (oldest first) and the activities as
    (timestamp, member index, requested type), oldest first."""
    joined = sorted(now_ts - rng.random() * MEMBERS_SINCE_DAYS * 86400 for _ in range(members))
    history_start = now_ts - HISTORY_DAYS * 86400
    # Activity k goes to popularity rank floor(members * u^2): the top member
    # has a few thousand rows, the median one a handful. Ranks are shuffled
    # onto members so activity does not follow the sign-up order.
    member_of_rank = list(range(members))
    rng.shuffle(member_of_rank)
    types = rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()), k=activities)
    events = []
    for requested in types:
        member = member_of_rank[int(members * rng.random() ** 2)]
        start = max(joined[member], history_start)
        events.append((start + rng.random() * (now_ts - start), member, requested))
    events.sort()
    return joined, events


def _copy_activities(cursor, rng: random.Random, shop_id: str, members: int, events) -> list:
    """COPY the ledger in time order; each member's (balance, earned, redeemed)."""
    balance, earned, redeemed = [0] * members, [0] * members, [0] * members
    admin = ADMIN_ACTOR.format(shop_id=shop_id)
    order_no, refund_no, review_no = 1000, 0, 0
    buffer = io.StringIO()
    for rows, (timestamp, member, requested) in enumerate(events, start=1):
        held = balance[member]
        uncollected, reference, actor = 0, None, SYSTEM_ACTOR
        if requested == "redeemed" and held >= 100:
            cost = min(100 * rng.choice((1, 2, 5)), held - held % 100)
            kind, points, action = "redeemed", -cost, f"Redeemed ${cost // 100} off"
            redeemed[member] += cost
        elif requested == "refunded" and held > 0:
            refund_no += 1
            wanted = rng.randint(5, 200)
            kind, points = "refunded", -min(wanted, held)
            uncollected, reference = wanted + points, f"refund:{refund_no}"
            action = f"Order #{rng.randint(1001, order_no)} refunded"
            earned[member] = max(0, earned[member] - wanted)
        elif requested == "expired" and held > 0:
            kind, points, action = "expired", -min(held, rng.randint(10, 300)), "Points expired"
        elif requested == "adjusted":
            change = rng.randint(5, 100)
            kind, actor = "adjusted", admin
            if rng.random() < 0.5 and held >= change:
                points, action = -change, "Adjusted by admin: correction"
            else:
                points, action = change, "Adjusted by admin: goodwill"
        elif rng.random() < 0.1:
            review_no += 1
            kind, points, action, reference = "earned", 50, "Wrote a review", f"review:{review_no}"
            earned[member] += points
        else:
            order_no += 1
            kind, points = "earned", rng.randint(5, 400)
            action, reference = f"Placed order #{order_no}", f"order:{order_no}"
            earned[member] += points
        balance[member] = held + points
        occurred_at = datetime.fromtimestamp(timestamp, UTC).isoformat()
        buffer.write(
            f"{shop_id}\t{FIRST_CUSTOMER_ID + member}\t{kind}\t{action}\t{points}\t"
            f"{balance[member]}\t{uncollected}\t{reference or NULL}\t{actor}\t{occurred_at}\n"
        )
        if rows % COPY_CHUNK_ROWS == 0:
            copy_rows(cursor, "point_activities", ACTIVITY_COLUMNS, buffer)
            buffer = io.StringIO()
    copy_rows(cursor, "point_activities", ACTIVITY_COLUMNS, buffer)
    return list(zip(balance, earned, redeemed, strict=True))


def _copy_members(cursor, rng: random.Random, shop_id: str, joined: list, totals: list) -> list[int]:
    """COPY the members with their final totals; the indexes of those
    excluded. Search columns that a later revision added (name_lower,
    birthday_key) are filled when present."""
    present = _columns_of(cursor, "members")
    columns = [name for name in MEMBER_COLUMNS + MEMBER_SEARCH_COLUMNS if name in present]
    buffer, excluded = io.StringIO(), []
    for index, (signed_up, (balance, earned, redeemed)) in enumerate(zip(joined, totals, strict=True)):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        birthday = (
            date(1960 + rng.randrange(45), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.3
            else None
        )
        email = email_of(index + 1, len(joined))
        if rng.random() < 0.01:
            excluded.append(index)
        row = {
            "shop_id": shop_id,
            "customer_id": FIRST_CUSTOMER_ID + index,
            "email": email,
            "email_lower": email,
            "first_name": first_name,
            "last_name": last_name,
            "name_lower": f"{first_name} {last_name}".lower(),
            "birthday": birthday.isoformat() if birthday else NULL,
            "birthday_key": birthday.strftime("%m-%d") if birthday else NULL,
            "status": "excluded" if excluded and excluded[-1] == index else "active",
            "balance": balance,
            "lifetime_earned": earned,
            "lifetime_redeemed": redeemed,
            "created_at": datetime.fromtimestamp(signed_up, UTC).isoformat(),
        }
        buffer.write("\t".join(str(row[name]) for name in columns) + "\n")
    copy_rows(cursor, "members", tuple(columns), buffer)
    return excluded


def _copy_exclusions(
    cursor, rng: random.Random, shop_id: str, joined: list, excluded: list[int], now_ts: float
) -> None:
    """The audit trail of each exclusion, some time after the member joined."""
    admin = ADMIN_ACTOR.format(shop_id=shop_id)
    buffer = io.StringIO()
    for index in excluded:
        at = datetime.fromtimestamp(joined[index] + rng.random() * (now_ts - joined[index]), UTC)
        buffer.write(
            f"{shop_id}\t{FIRST_CUSTOMER_ID + index}\t{admin}\tcustomer_excluded\tabuse\t"
            f'{{"status": "active"}}\t{{"status": "excluded"}}\t{at.isoformat()}\n'
        )
    copy_rows(cursor, "audit_log", AUDIT_COLUMNS, buffer)


def _columns_of(cursor, table: str) -> set:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    )
    return {name for (name,) in cursor.fetchall()}


def copy_rows(cursor, table: str, columns: tuple, buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _refuse_unknown_required_columns(cursor, table: str, supplied: tuple) -> None:
    """The schema moves on: a new NOT NULL column without a default would make
    COPY fail with a less helpful message than this one."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
        (table,),
    )
    missing = sorted({name for (name,) in cursor.fetchall()} - set(supplied))
    if missing:
        raise RuntimeError(
            f"{table} has required columns the benchmark does not seed: "
            f"{', '.join(missing)}; add them to bench/seed.py"
        )


def history_window(now: datetime) -> tuple[datetime, datetime]:
    """A from/to window that covers every seeded activity."""
    return now - timedelta(days=HISTORY_DAYS + 1), now + timedelta(minutes=1)
