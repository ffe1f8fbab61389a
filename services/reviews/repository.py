"""Queries. Reviews and Google-review submissions are moderated, rewarded and
listed the same way, so one repository class serves both tables; every query
is scoped to one shop."""
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from services.reviews.domain import Moderation
from services.reviews.models import google_review_submissions, reviews
from services.reviews.schemas import ActivityQuery, CustomerReviewsQuery
from shared.pagination import keyset_page


class ModeratedItems:
    def __init__(self, table: Table):
        self.table = table

    def add(self, session: Session, row: dict) -> None:
        session.execute(insert(self.table).values(**row))

    def get(self, session: Session, shop_id: str, item_id: str, for_update: bool = False):
        query = select(self.table).where(self.table.c.shop_id == shop_id, self.table.c.id == item_id)
        if for_update:
            query = query.with_for_update()
        return session.execute(query).first()

    def record_moderation(self, session: Session, shop_id: str, item_id: str, moderation: Moderation):
        """Returns the row as moderated."""
        return session.execute(
            update(self.table)
            .where(self.table.c.shop_id == shop_id, self.table.c.id == item_id)
            .values(status=moderation.status, moderated_at=moderation.moderated_at,
                    moderated_by=moderation.moderated_by)
            .returning(*self.table.c)
        ).one()

    def record_reward(self, session: Session, shop_id: str, item_id: str, points: int,
                      column: str = "reward_points") -> bool:
        """False when this shop has no such item."""
        result = session.execute(
            update(self.table)
            .where(self.table.c.shop_id == shop_id, self.table.c.id == item_id)
            .values({column: points}))
        return result.rowcount == 1

    def page(self, session: Session, query: ActivityQuery) -> dict:
        """Served by the (shop_id, occurred_at, id) and (shop_id, status,
        occurred_at, id) indexes."""
        statement = select(self.table).where(self.table.c.shop_id == query.shop_id)
        if query.status is not None:
            statement = statement.where(self.table.c.status == query.status)
        return keyset_page(session, statement, self.table.c.occurred_at, self.table.c.id, query)

    def of_customer(self, session: Session, query: CustomerReviewsQuery) -> list:
        """The customer's newest items, served by the (shop_id, customer_id,
        occurred_at, id) index."""
        return session.execute(
            select(self.table)
            .where(self.table.c.shop_id == query.shop_id, self.table.c.customer_id == query.customer_id)
            .order_by(self.table.c.occurred_at.desc(), self.table.c.id.desc())
            .limit(query.limit)).all()


review_items = ModeratedItems(reviews)
google_review_items = ModeratedItems(google_review_submissions)
