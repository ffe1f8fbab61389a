"""The referrals and reviews databases of the benchmark's shop, beside the
points one (bench/seed.py): migrated by each service's own revisions,
filled with COPY, their roll-ups summed from the rows (bench/rollups.py).

Both cover the last year. Referrers and reviewers are the points
database's members, drawn like its activities (a few very active, most
occasional, never before they joined), and each service's copy of the
shop's customers holds every member's email and name, as the customer
events would have left it, so rows name people as they do in production.
Statuses move on as they do in the shop: a referral is completed by its
friend's first order within days, or cancelled, or still pending; a
review is moderated within two days, or still pending."""

import contextlib
import io
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from bench import rollups
from bench.seed import ADMIN_ACTOR, NULL, blocking_driver, copy_rows
from services.reviews.domain import review_url_key

HISTORY_DAYS = 365
DAY = 86400
REFERRAL_REWARD = 500
REVIEW_REWARD, PHOTO_BONUS, GOOGLE_REVIEW_REWARD = 50, 25, 100
PRODUCTS = 500
CUSTOMER_COLUMNS = ("shop_id", "customer_id", "email", "first_name", "last_name")
LINK_COLUMNS = ("shop_id", "code", "customer_id", "customer_email", "clicks", "created_at")
REFERRAL_COLUMNS = (
    "id",
    "shop_id",
    "code",
    "referrer_customer_id",
    "referrer_email",
    "referee_email",
    "referee_email_key",
    "status",
    "discount_code",
    "discount_code_status",
    "link_clicked_at",
    "email_entered_at",
    "coupon_issued_at",
    "order_placed_at",
    "order_id",
    "referee_customer_id",
    "completed_at",
    "cancelled_at",
    "cancelled_by",
    "referrer_reward_points",
    "client_ip",
    "occurred_at",
)
REVIEW_COLUMNS = (
    "id",
    "shop_id",
    "customer_id",
    "product_id",
    "rating",
    "title",
    "body",
    "media_urls",
    "status",
    "reward_points",
    "photo_bonus_points",
    "occurred_at",
    "moderated_at",
    "moderated_by",
)
GOOGLE_REVIEW_COLUMNS = (
    "id",
    "shop_id",
    "customer_id",
    "review_url",
    "review_url_key",
    "status",
    "reward_points",
    "occurred_at",
    "moderated_at",
    "moderated_by",
)
TITLES = ("Love it", "Does the job", "Great value", "Not for me", "Would buy again")


@dataclass
class Member:
    customer_id: str
    email: str
    first_name: str
    last_name: str
    joined: float  # timestamp


def members_of(points_url: str, shop_id: str) -> list[Member]:
    """The points database's members, whom the other services know of."""
    engine = create_engine(points_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT customer_id, email, first_name, last_name, created_at FROM members"
                    " WHERE shop_id = :shop ORDER BY customer_id"
                ),
                {"shop": shop_id},
            ).all()
    finally:
        engine.dispose()
    return [Member(str(row[0]), row[1], row[2], row[3], row[4].timestamp()) for row in rows]


def seed_referrals(
    url: str, shop_id: str, members: list[Member], referrals: int, now: datetime, rng_seed: int = 2
) -> int:
    """Fill a migrated, empty referrals database; the referrals written."""
    rng = random.Random(rng_seed)
    now_ts = now.timestamp()
    admin = ADMIN_ACTOR.format(shop_id=shop_id)
    links: dict[int, str] = {}  # member index -> code
    rows = io.StringIO()
    for number, (at, member) in enumerate(_occasions(rng, members, referrals, now_ts), start=1):
        referrer = members[member]
        code = links.setdefault(member, f"R{len(links) + 1:07d}")
        referee = f"friend{number:07d}@example.net"
        outcome = rng.random()
        done_at = at + rng.random() * 10 * DAY
        status = "pending"
        completed_at = cancelled_at = cancelled_by = reward = order_id = referee_id = None
        if done_at < now_ts and outcome < 0.6:
            status, completed_at, reward = "completed", done_at, REFERRAL_REWARD
            order_id, referee_id = str(7_000_000_000 + number), str(8_000_000_000 + number)
        elif done_at < now_ts and outcome < 0.75:
            status, cancelled_at, cancelled_by = "cancelled", done_at, admin
        values = (
            _uuid(rng),
            shop_id,
            code,
            referrer.customer_id,
            referrer.email,
            referee,
            referee,
            status,
            f"REF-{number:07d}",
            "used" if status == "completed" else "voided" if status == "cancelled" else "active",
            _iso(at - rng.random() * 3600) if rng.random() < 0.7 else None,
            _iso(at),
            _iso(at),
            _iso(completed_at),
            order_id,
            referee_id,
            _iso(completed_at),
            _iso(cancelled_at),
            cancelled_by,
            reward,
            f"198.51.100.{number % 250 + 1}",
            _iso(at),
        )
        rows.write(_line(values))
    link_rows = io.StringIO()
    for member, code in links.items():
        joined = members[member].joined
        link_rows.write(
            _line((shop_id, code, members[member].customer_id, members[member].email, 0, _iso(joined)))
        )
    with _raw(url) as cursor:
        _copy_customers(cursor, shop_id, members)
        copy_rows(cursor, "referral_links", LINK_COLUMNS, link_rows)
        copy_rows(cursor, "referrals", REFERRAL_COLUMNS, rows)
        rollups.fill(cursor, "referrals")
    _analyze(url, ("customers", "referral_links", "referrals", "daily_totals"))
    return referrals


def seed_reviews(
    url: str,
    shop_id: str,
    members: list[Member],
    reviews: int,
    google_reviews: int,
    now: datetime,
    rng_seed: int = 3,
) -> int:
    """Fill a migrated, empty reviews database; the items written."""
    rng = random.Random(rng_seed)
    now_ts = now.timestamp()
    admin = ADMIN_ACTOR.format(shop_id=shop_id)
    review_rows, google_rows = io.StringIO(), io.StringIO()
    for number, (at, member) in enumerate(_occasions(rng, members, reviews, now_ts), start=1):
        status, moderated_at = _moderation(rng, at, now_ts)
        photos = rng.random() < 0.2
        media = f'["https://cdn.example.com/reviews/{number}.jpg"]' if photos else "[]"
        approved = status == "approved"
        values = (
            _uuid(rng),
            shop_id,
            members[member].customer_id,
            str(9_000_000 + rng.randrange(PRODUCTS)),
            rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 12, 6, 7))[0],
            rng.choice(TITLES),
            "Arrived quickly and works as described.",
            media,
            status,
            REVIEW_REWARD if approved else None,
            PHOTO_BONUS if approved and photos else None,
            _iso(at),
            _iso(moderated_at),
            admin if moderated_at else None,
        )
        review_rows.write(_line(values))
    for number, (at, member) in enumerate(_occasions(rng, members, google_reviews, now_ts), start=1):
        status, moderated_at = _moderation(rng, at, now_ts)
        review_url = f"https://g.co/kgs/bench{number:07d}"
        submission = (
            _uuid(rng),
            shop_id,
            members[member].customer_id,
            review_url,
            review_url_key(review_url),
            status,
            GOOGLE_REVIEW_REWARD if status == "approved" else None,
            _iso(at),
            _iso(moderated_at),
            admin if moderated_at else None,
        )
        google_rows.write(_line(submission))
    products = io.StringIO()
    for index in range(PRODUCTS):
        products.write(_line((shop_id, str(9_000_000 + index), f"Product {index + 1}")))
    with _raw(url) as cursor:
        _copy_customers(cursor, shop_id, members)
        copy_rows(cursor, "products", ("shop_id", "product_id", "title"), products)
        copy_rows(cursor, "reviews", REVIEW_COLUMNS, review_rows)
        copy_rows(cursor, "google_review_submissions", GOOGLE_REVIEW_COLUMNS, google_rows)
        rollups.fill(cursor, "reviews")
    _analyze(url, ("customers", "products", "reviews", "google_review_submissions", "daily_totals"))
    return reviews + google_reviews


def _occasions(rng: random.Random, members: list[Member], count: int, now_ts: float) -> list:
    """(timestamp, member index) of `count` items over the last year,
    oldest first; member k by popularity rank floor(n * u^2)."""
    start = now_ts - HISTORY_DAYS * DAY
    rank_to_member = list(range(len(members)))
    rng.shuffle(rank_to_member)
    found = []
    for _ in range(count):
        member = rank_to_member[int(len(members) * rng.random() ** 2)]
        since = max(members[member].joined, start)
        found.append((since + rng.random() * (now_ts - since), member))
    found.sort()
    return found


def _moderation(rng: random.Random, at: float, now_ts: float) -> tuple[str, float | None]:
    moderated_at = at + rng.random() * 2 * DAY
    if moderated_at >= now_ts or rng.random() < 0.05:
        return "pending", None
    return ("rejected" if rng.random() < 0.1 else "approved"), moderated_at


def _copy_customers(cursor, shop_id: str, members: list[Member]) -> None:
    buffer = io.StringIO()
    for member in members:
        buffer.write(_line((shop_id, member.customer_id, member.email, member.first_name, member.last_name)))
    copy_rows(cursor, "customers", CUSTOMER_COLUMNS, buffer)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def _line(values: tuple) -> str:
    """One row in COPY's text format (the values hold no tab, newline or backslash)."""
    return "\t".join(NULL if value is None else str(value) for value in values) + "\n"


@contextlib.contextmanager
def _raw(url: str):
    """A blocking DB-API cursor in one transaction, committed at the end."""
    engine = create_engine(url)
    try:
        with blocking_driver():
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SET synchronous_commit = off")
                yield cursor
                connection.commit()
            finally:
                connection.close()
    finally:
        engine.dispose()


def _analyze(url: str, tables: tuple[str, ...]) -> None:
    """As autovacuum would have done to tables this old."""
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.execute(text(f"VACUUM (ANALYZE) {table}"))
    finally:
        engine.dispose()
