"""Members: their profile, status and point totals, found by customer id,
by email, by a search of the list, or by birthday."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points import domain
from services.points.models import members
from services.points.repository.daily_totals import count_new_members
from services.points.repository.program import program_settings_of
from shared.db import must_exist
from shared.pagination import Page, keyset_page
from shared.upserts import insert_many_unless_exist, insert_returning_unless_exists


def member(session: Session, shop_id: str, customer_id: str, lock: bool = False) -> Row | None:
    query = select(members).where(members.c.shop_id == shop_id, members.c.customer_id == customer_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def member_by_email(session: Session, shop_id: str, email: str) -> Row | None:
    """The first member (by creation) with this email, compared case-insensitively."""
    return session.execute(
        select(members)
        .where(members.c.shop_id == shop_id, members.c.email_lower == domain.normalize_email(email))
        .order_by(members.c.id)
        .limit(1)
    ).first()


def new_member(
    shop_id: str,
    customer_id: str,
    now: datetime,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    **profile,
) -> dict:
    """A new member's row: active, no points, the lookup columns in step."""
    return {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "email": (email or "").strip() or None,
        "email_lower": domain.normalize_email(email),
        "first_name": first_name,
        "last_name": last_name,
        "name_lower": domain.name_key(first_name, last_name),
        "status": domain.MEMBER_ACTIVE,
        "balance": 0,
        "lifetime_earned": 0,
        "lifetime_redeemed": 0,
        "created_at": now,
        **profile,
    }


def ensure_member(
    session: Session,
    shop_id: str,
    customer_id: str,
    now: datetime,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Row:
    """The member, created if new (or with the profile fields we lacked filled
    in), locked for the rest of the transaction."""
    values = new_member(shop_id, customer_id, now, email, first_name, last_name)
    created = insert_returning_unless_exists(session, members, **values)
    if created is not None:  # ours until this transaction ends: nobody else sees it yet
        count_new_members(session, shop_id, now)
        # A tier from 0 points is theirs from the start: joining changes no tier.
        tier = domain.tier_for(0, program_settings_of(session, shop_id).vip_tiers)
        return created if tier is None else update_member(session, created, current_tier=tier)
    row = known_member(session, shop_id, customer_id, lock=True)
    profile = {key: values[key] for key in ("email", "first_name", "last_name")}
    updates = domain.missing_profile_fields(row._asdict(), profile)
    if not updates:
        return row
    return update_member(session, row, **updates)


def add_members(session: Session, shop_id: str, new_members: list[dict], now: datetime) -> int:
    """Make the members of `new_members` (new_member rows) that do not exist
    yet, all at once; how many were new."""
    created = insert_many_unless_exist(session, members, new_members, returning="customer_id")
    count_new_members(session, shop_id, now, len(created))
    return len(created)


def locked_members(session: Session, shop_id: str, customer_ids: list[str]) -> dict[str, Row]:
    """Many members at once, locked in customer id order (as every batch
    locks them, so two batches never wait on each other in a circle)."""
    rows = session.execute(
        select(members)
        .where(members.c.shop_id == shop_id, members.c.customer_id.in_(customer_ids))
        .order_by(members.c.customer_id)
        .with_for_update()
    )
    return {row.customer_id: row for row in rows}


def update_member(session: Session, member_row: Row, **values) -> Row:
    """Change profile fields (or the status), keeping the lookup columns in step."""
    merged = member_row._asdict() | values
    if "email" in values:
        values["email_lower"] = domain.normalize_email(values["email"])
    if "first_name" in values or "last_name" in values:
        values["name_lower"] = domain.name_key(merged["first_name"], merged["last_name"])
    if "birthday" in values:
        values["birthday_key"] = domain.birthday_key(values["birthday"])
    session.execute(update(members).where(members.c.id == member_row.id).values(**values))
    return known_member(session, member_row.shop_id, member_row.customer_id)


def known_member(session: Session, shop_id: str, customer_id: str, lock: bool = False) -> Row:
    """A member this transaction has already found or written, read again
    (e.g. after its totals moved)."""
    return must_exist(member(session, shop_id, customer_id, lock=lock), f"member {customer_id}")


def members_page(session: Session, shop_id: str, q: str | None, query) -> Page[Row]:
    """Newest members first. `q` is a prefix of the email, of the full name
    or of the last name; the first two use the (shop_id, email_lower /
    name_lower) indexes, the last scans the shop's members."""
    statement = select(members).where(members.c.shop_id == shop_id)
    if q:
        statement = statement.where(
            or_(
                members.c.email_lower.startswith(q, autoescape=True),
                members.c.name_lower.startswith(q, autoescape=True),
                members.c.name_lower.contains(" " + q, autoescape=True),
            )
        )
    return keyset_page(session, statement, members.c.created_at, members.c.id, query)


def totals_of(member_row: Row) -> domain.MemberTotals:
    return domain.MemberTotals(member_row.balance, member_row.lifetime_earned, member_row.lifetime_redeemed)


def members_with_birthday(session: Session, keys: list[str], after_id: int, limit: int) -> Sequence[Row]:
    """Active members whose birthday is one of `keys` ("MM-DD"), by id."""
    return session.execute(
        select(members.c.id, members.c.shop_id, members.c.customer_id)
        .where(
            members.c.birthday_key.in_(keys),
            members.c.status == domain.MEMBER_ACTIVE,
            members.c.id > after_id,
        )
        .order_by(members.c.id)
        .limit(limit)
    ).all()
