"""What admin commands leave behind: the Idempotency-Keys that make a
retried command return its first result, and the audit trail of changes."""

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points.models import audit_log, members
from shared.pagination import Page, keyset_page

# --- the audit trail -------------------------------------------------------------------------


def record_audit(session: Session, **values) -> None:
    session.execute(insert(audit_log).values(**values))


def audit_page(session: Session, shop_id: str, customer_id: str | None, query) -> Page[Row]:
    """The shop's entries, each with its customer's email and name (none
    for a shop-wide entry such as a program change)."""
    statement = (
        select(
            audit_log,
            members.c.email.label("customer_email"),
            members.c.first_name.label("customer_first_name"),
            members.c.last_name.label("customer_last_name"),
        )
        .select_from(
            audit_log.outerjoin(
                members,
                (members.c.shop_id == audit_log.c.shop_id)
                & (members.c.customer_id == audit_log.c.customer_id),
            )
        )
        .where(audit_log.c.shop_id == shop_id)
    )
    if customer_id:
        statement = statement.where(audit_log.c.customer_id == customer_id)
    return keyset_page(session, statement, audit_log.c.occurred_at, audit_log.c.id, query)
