"""Queries. Reviews and Google-review submissions are moderated, rewarded and
listed the same way, so each query takes the kind of item (domain.REVIEW or
domain.GOOGLE_REVIEW) and works on that kind's table; every query is scoped
to one shop."""

from collections.abc import Sequence

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.orm import Session

from services.reviews.domain import GOOGLE_REVIEW, REVIEW, Moderation, NewGoogleReview, NewReview
from services.reviews.models import google_review_submissions, reviews
from services.reviews.schemas import ActivityQuery, CustomerReviewsQuery
from shared.db import cursor_result, insert_unless_exists
from shared.pagination import Page, keyset_page

TABLES: dict[str, Table] = {REVIEW: reviews, GOOGLE_REVIEW: google_review_submissions}


def add_item(session: Session, kind: str, row: NewReview | NewGoogleReview) -> None:
    session.execute(insert(TABLES[kind]).values(**row))


def add_google_review(session: Session, row: NewGoogleReview) -> bool:
    """False when this customer already submitted this review (the unique
    key on shop, customer and review_url_key decides)."""
    return insert_unless_exists(session, google_review_submissions, **row)


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


def record_moderation(session: Session, kind: str, shop_id: str, item_id: str, moderation: Moderation):
    """Returns the row as moderated."""
    table = TABLES[kind]
    return session.execute(
        update(table)
        .where(table.c.shop_id == shop_id, table.c.id == item_id)
        .values(
            status=moderation.status,
            moderated_at=moderation.moderated_at,
            moderated_by=moderation.moderated_by,
        )
        .returning(*table.c)
    ).one()


def record_reward(
    session: Session, kind: str, shop_id: str, item_id: str, points: int, column: str = "reward_points"
) -> bool:
    """False when this shop has no such item."""
    table = TABLES[kind]
    result = cursor_result(
        session.execute(
            update(table).where(table.c.shop_id == shop_id, table.c.id == item_id).values({column: points})
        )
    )
    return result.rowcount == 1


def items_page(session: Session, kind: str, query: ActivityQuery) -> Page[Row]:
    """Served by the (shop_id, occurred_at, id) and (shop_id, status,
    occurred_at, id) indexes."""
    table = TABLES[kind]
    statement = select(table).where(table.c.shop_id == query.shop_id)
    if query.status is not None:
        statement = statement.where(table.c.status == query.status)
    return keyset_page(session, statement, table.c.occurred_at, table.c.id, query)


def items_of_customer(session: Session, kind: str, query: CustomerReviewsQuery) -> Sequence[Row]:
    """The customer's newest items, served by the (shop_id, customer_id,
    occurred_at, id) index."""
    table = TABLES[kind]
    return session.execute(
        select(table)
        .where(table.c.shop_id == query.shop_id, table.c.customer_id == query.customer_id)
        .order_by(table.c.occurred_at.desc(), table.c.id.desc())
        .limit(query.limit)
    ).all()
