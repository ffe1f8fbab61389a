"""The points service's streams of the merged timeline (shared.timeline):
the ledger, the admin actions on members from the audit trail, and the
members' tier changes. Each is one range scan of a (shop_id,
[customer_id,] occurred_at, id) index."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.points.models import (
    IS_ADMIN_TIMELINE_ACTION,
    audit_log,
    members,
    point_activities,
    tier_changes,
)
from shared.timeline import TimelineQuery, stream_rows


def _named(table):
    """`table`'s rows with their member's email and name."""
    return select(
        table,
        members.c.email.label("customer_email"),
        members.c.first_name.label("customer_first_name"),
        members.c.last_name.label("customer_last_name"),
    ).select_from(
        table.outerjoin(
            members, (members.c.shop_id == table.c.shop_id) & (members.c.customer_id == table.c.customer_id)
        )
    )


def ledger_stream(session: Session, query: TimelineQuery) -> Sequence[Any]:
    statement = _named(point_activities).where(point_activities.c.shop_id == query.shop_id)
    if query.customer_id is not None:
        statement = statement.where(point_activities.c.customer_id == query.customer_id)
    return stream_rows(
        session, statement, point_activities.c.occurred_at, point_activities.c.id, "points", query
    )


def admin_stream(session: Session, query: TimelineQuery) -> Sequence[Any]:
    """Served by the partial indexes on the member actions (models)."""
    statement = _named(audit_log).where(audit_log.c.shop_id == query.shop_id, IS_ADMIN_TIMELINE_ACTION)
    if query.customer_id is not None:
        statement = statement.where(audit_log.c.customer_id == query.customer_id)
    return stream_rows(session, statement, audit_log.c.occurred_at, audit_log.c.id, "admin", query)


def tier_stream(session: Session, query: TimelineQuery) -> Sequence[Any]:
    statement = _named(tier_changes).where(tier_changes.c.shop_id == query.shop_id)
    if query.customer_id is not None:
        statement = statement.where(tier_changes.c.customer_id == query.customer_id)
    return stream_rows(
        session, statement, tier_changes.c.occurred_at, tier_changes.c.id, "points_tier", query
    )
