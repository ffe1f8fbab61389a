"""Queries. Reviews and Google-review submissions are moderated, rewarded and
listed the same way, so each query takes the kind of item (domain.REVIEW or
domain.GOOGLE_REVIEW) and works on that kind's table; every query is scoped
to one shop."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, Table, and_, func, insert, select, update
from sqlalchemy.orm import Session

from services.reviews.domain import GOOGLE_REVIEW, PENDING, REVIEW, Moderation, NewGoogleReview, NewReview
from services.reviews.models import customers, daily_totals, google_review_submissions, products, reviews
from services.reviews.schemas import ActivityQuery, CustomerReviewsQuery
from shared import customer_copies
from shared.day_range import day_of
from shared.pagination import Page, keyset_page
from shared.timeline import TimelineQuery, stream_rows
from shared.upserts import add_to_counters, insert_unless_exists, upsert_known

TABLES: dict[str, Table] = {REVIEW: reviews, GOOGLE_REVIEW: google_review_submissions}


def add_review(session: Session, row: NewReview) -> None:
    session.execute(insert(reviews).values(**row))
    _count(session, REVIEW, row["shop_id"], row["occurred_at"], {PENDING: 1, "rating_sum": row["rating"]})


def add_google_review(session: Session, row: NewGoogleReview) -> bool:
    """False when this customer already submitted this review (the unique
    key on shop, customer and review_url_key decides)."""
    added = insert_unless_exists(session, google_review_submissions, **row)
    if added:
        _count(session, GOOGLE_REVIEW, row["shop_id"], row["occurred_at"], {PENDING: 1})
    return added


def google_review_by_key(session: Session, shop_id: str, customer_id: str, review_url_key: str):
    table = google_review_submissions
    return session.execute(
        select(table).where(
            table.c.shop_id == shop_id,
            table.c.customer_id == customer_id,
            table.c.review_url_key == review_url_key,
        )
    ).first()


def item(session: Session, kind: str, shop_id: str, item_id: str, for_update: bool = False):
    table = TABLES[kind]
    query = select(table).where(table.c.shop_id == shop_id, table.c.id == item_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def record_moderation(
    session: Session, kind: str, shop_id: str, item_id: str, moderation: Moderation, previous_status: str
):
    """Returns the row as moderated; the caller holds its lock and read
    `previous_status`."""
    table = TABLES[kind]
    moderated = session.execute(
        update(table)
        .where(table.c.shop_id == shop_id, table.c.id == item_id)
        .values(
            status=moderation.status,
            moderated_at=moderation.moderated_at,
            moderated_by=moderation.moderated_by,
        )
        .returning(*table.c)
    ).one()
    _count(session, kind, shop_id, moderated.occurred_at, {previous_status: -1, moderation.status: 1})
    return moderated


def record_reward(
    session: Session, kind: str, shop_id: str, item_id: str, points: int, column: str = "reward_points"
) -> bool:
    """False when this shop has no such item."""
    table = TABLES[kind]
    before = session.execute(
        select(table.c.occurred_at, table.c[column])
        .where(table.c.shop_id == shop_id, table.c.id == item_id)
        .with_for_update()
    ).first()
    if before is None:
        return False
    session.execute(
        update(table).where(table.c.shop_id == shop_id, table.c.id == item_id).values({column: points})
    )
    _count(session, kind, shop_id, before.occurred_at, {"points": points - (before[1] or 0)})
    return True


def items_page(session: Session, kind: str, query: ActivityQuery) -> Page[Row]:
    """Served by the (shop_id, occurred_at, id) and (shop_id, status,
    occurred_at, id) indexes."""
    table = TABLES[kind]
    statement = _named(kind).where(table.c.shop_id == query.shop_id)
    if query.status is not None:
        statement = statement.where(table.c.status == query.status)
    return keyset_page(session, statement, table.c.occurred_at, table.c.id, query)


def items_of_customer(session: Session, kind: str, query: CustomerReviewsQuery) -> Sequence[Row]:
    """The customer's newest items, served by the (shop_id, customer_id,
    occurred_at, id) index."""
    table = TABLES[kind]
    return session.execute(
        _named(kind)
        .where(table.c.shop_id == query.shop_id, table.c.customer_id == query.customer_id)
        .order_by(table.c.occurred_at.desc(), table.c.id.desc())
        .limit(query.limit)
    ).all()


def timeline_stream(session: Session, kind: str, step: str, query: TimelineQuery) -> Sequence[Row]:
    """A kind's submissions (at occurred_at) or moderations (at
    moderated_at) after the query's position: the shop's served by a
    (shop_id, time, id) index, a customer's narrowed by (shop_id,
    customer_id, occurred_at, id)."""
    table = TABLES[kind]
    statement = _named(kind).where(table.c.shop_id == query.shop_id)
    if query.customer_id is not None:
        statement = statement.where(table.c.customer_id == query.customer_id)
    time = table.c.occurred_at if step == "submitted" else table.c.moderated_at
    return stream_rows(session, statement, time, table.c.id, f"{kind}_{step}", query)


def named_item(session: Session, kind: str, shop_id: str, item_id: str):
    """An item as the feed shows it, naming its customer (and product)."""
    table = TABLES[kind]
    return session.execute(_named(kind).where(table.c.shop_id == shop_id, table.c.id == item_id)).first()


def _named(kind: str) -> Select:
    """A kind's items with their customer's email and name and, for a
    review, its product's title, from the copies the events keep."""
    table = TABLES[kind]
    columns: list[Any] = [
        table,
        customers.c.email.label("customer_email"),
        customers.c.first_name.label("customer_first_name"),
        customers.c.last_name.label("customer_last_name"),
    ]
    joined = table.outerjoin(
        customers,
        and_(customers.c.shop_id == table.c.shop_id, customers.c.customer_id == table.c.customer_id),
    )
    if kind == REVIEW:
        columns.append(products.c.title.label("product_title"))
        joined = joined.outerjoin(
            products, and_(products.c.shop_id == table.c.shop_id, products.c.product_id == table.c.product_id)
        )
    return select(*columns).select_from(joined)


# --- the copies of customers and products -------------------------------------------------


def remember_customer(
    session: Session,
    shop_id: str,
    customer_id: str,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
) -> None:
    """What an event says of a customer; what it leaves out stays as known."""
    customer_copies.remember_customer(session, customers, shop_id, customer_id, email, first_name, last_name)


def remember_product(session: Session, shop_id: str, product_id: str, title: str | None) -> None:
    upsert_known(session, products, {"shop_id": shop_id, "product_id": product_id}, {"title": title})


# --- the overview's roll-ups ------------------------------------------------------------


def _count(session: Session, kind: str, shop_id: str, submitted_at: datetime, deltas: dict[str, int]) -> None:
    """Add to the roll-up of the day the item was submitted on (what the
    feeds' window filters by), whenever its status or reward changes."""
    add_to_counters(
        session,
        daily_totals,
        {"shop_id": shop_id, "day": day_of(submitted_at)},
        {f"{kind}_{count}": delta for count, delta in deltas.items()},
    )


def totals_between(session: Session, shop_id: str, first: date, last: date) -> Row:
    """Every roll-up column summed over the days `first` to `last`: a row a
    day at most."""
    counters = [column for column in daily_totals.c if column.name not in ("shop_id", "day")]
    return session.execute(
        select(*(func.coalesce(func.sum(column), 0).label(column.name) for column in counters)).where(
            daily_totals.c.shop_id == shop_id, daily_totals.c.day >= first, daily_totals.c.day <= last
        )
    ).one()
