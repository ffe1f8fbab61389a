"""The ledger: one activity per change of a member's points, written with
the member's new totals, and the feeds that read it back."""

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points import domain
from services.points.models import members, point_activities
from services.points.repository.daily_totals import count_activity
from shared.db import insert_row, inserted_id
from shared.pagination import Page, keyset_page


def append_activity(
    session: Session,
    member_row: Row,
    activity_type: str,
    action: str,
    posting: domain.Posting,
    reference: str | None,
    actor: str,
    now: datetime,
    pending_until: datetime | None = None,
    reverses_activity_id: int | None = None,
) -> int:
    """Write one ledger entry and the member's new totals (the member must be
    locked and `posting` computed from its current totals); the activity id.
    The caller opens or draws down the lots to match; the day's roll-up
    counts it here."""
    activity_id = inserted_id(
        insert_row(
            session,
            point_activities,
            shop_id=member_row.shop_id,
            customer_id=member_row.customer_id,
            type=activity_type,
            action=action,
            points=posting.points,
            balance_after=posting.balance_after,
            uncollected_points=posting.uncollected_points,
            reference=reference,
            actor=actor,
            occurred_at=now,
            pending_until=pending_until,
            reverses_activity_id=reverses_activity_id,
        )
    )
    count_activity(session, member_row.shop_id, activity_type, posting.points, now)
    session.execute(
        update(members)
        .where(members.c.id == member_row.id)
        .values(
            balance=posting.totals.balance,
            lifetime_earned=posting.totals.lifetime_earned,
            lifetime_redeemed=posting.totals.lifetime_redeemed,
        )
    )
    return activity_id


def append_activities(
    session: Session,
    entries: list[tuple[Row, domain.Posting, str | None]],
    activity_type: str,
    action: str,
    actor: str,
    now: datetime,
) -> list[int]:
    """append_activity for many locked members of one shop at once (an
    entry each: member, posting, reference), in three statements; the
    activity ids, in the entries' order."""
    inserted = session.execute(
        insert(point_activities).returning(point_activities.c.id, sort_by_parameter_order=True),
        [
            {
                "shop_id": member_row.shop_id,
                "customer_id": member_row.customer_id,
                "type": activity_type,
                "action": action,
                "points": posting.points,
                "balance_after": posting.balance_after,
                "uncollected_points": posting.uncollected_points,
                "reference": reference,
                "actor": actor,
                "occurred_at": now,
                "pending_until": None,
                "reverses_activity_id": None,
            }
            for member_row, posting, reference in entries
        ],
    )
    activity_ids = list(inserted.scalars())
    count_activity(
        session, entries[0][0].shop_id, activity_type, sum(posting.points for _, posting, _ in entries), now
    )
    session.execute(
        update(members)
        .where(members.c.id == bindparam("member_id"))
        .values(
            balance=bindparam("new_balance"),
            lifetime_earned=bindparam("new_lifetime_earned"),
            lifetime_redeemed=bindparam("new_lifetime_redeemed"),
        ),
        [
            {
                "member_id": member_row.id,
                "new_balance": posting.totals.balance,
                "new_lifetime_earned": posting.totals.lifetime_earned,
                "new_lifetime_redeemed": posting.totals.lifetime_redeemed,
            }
            for member_row, posting, _ in entries
        ],
    )
    return activity_ids


def activity(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        _activity_feed().where(point_activities.c.shop_id == shop_id, point_activities.c.id == activity_id)
    ).first()


def activity_recorded(session: Session, shop_id: str, activity_type: str, reference: str) -> bool:
    return (
        session.execute(
            select(point_activities.c.id).where(
                point_activities.c.shop_id == shop_id,
                point_activities.c.type == activity_type,
                point_activities.c.reference == reference,
            )
        ).first()
        is not None
    )


def _activity_feed():
    return select(
        point_activities,
        members.c.email.label("customer_email"),
        members.c.first_name.label("customer_first_name"),
        members.c.last_name.label("customer_last_name"),
    ).select_from(
        point_activities.join(
            members,
            (members.c.shop_id == point_activities.c.shop_id)
            & (members.c.customer_id == point_activities.c.customer_id),
        )
    )


def activities_page(session: Session, query) -> Page[Row]:
    """Served by the (shop_id, [type,] occurred_at, id) indexes; the email
    prefix by (shop_id, email_lower)."""
    statement = _activity_feed().where(point_activities.c.shop_id == query.shop_id)
    if query.type != "all":
        statement = statement.where(point_activities.c.type == query.type)
    if query.q:
        statement = statement.where(members.c.email_lower.startswith(query.q.lower(), autoescape=True))
    return keyset_page(session, statement, point_activities.c.occurred_at, point_activities.c.id, query)


def customer_activities_page(session: Session, shop_id: str, customer_id: str, query) -> Page[Row]:
    """One member's history, all time, newest first."""
    statement = _activity_feed().where(
        point_activities.c.shop_id == shop_id, point_activities.c.customer_id == customer_id
    )
    return keyset_page(session, statement, point_activities.c.occurred_at, point_activities.c.id, query)
