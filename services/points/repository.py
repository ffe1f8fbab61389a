"""Queries of the points service. Every one filters by shop_id; the ones that
change a member's balance run under that member's row lock (FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers)."""
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from shared.pagination import keyset_page

from services.points import domain
from services.points.models import (
    discount_codes, members, order_awards, order_refunds, point_activities, program_settings,
)


def insert_unless_exists(session: Session, table, **values) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted. Lets
    concurrent first-timers (two events creating one member) both succeed."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    result = session.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


# --- program settings -----------------------------------------------------------------

def program_settings_of(session: Session, shop_id: str) -> domain.ProgramSettings:
    row = session.execute(select(program_settings).where(
        program_settings.c.shop_id == shop_id)).mappings().first()
    if row is None:
        return domain.ProgramSettings()
    return domain.ProgramSettings(**{field: row[field] for field in domain.ProgramSettings.__dataclass_fields__})


# --- members --------------------------------------------------------------------------

def member(session: Session, shop_id: str, customer_id: str, lock: bool = False) -> Row | None:
    query = select(members).where(members.c.shop_id == shop_id, members.c.customer_id == customer_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def member_by_email(session: Session, shop_id: str, email: str) -> Row | None:
    """The first member (by creation) with this email, compared case-insensitively."""
    return session.execute(
        select(members).where(members.c.shop_id == shop_id,
                              members.c.email_lower == domain.normalize_email(email))
        .order_by(members.c.id).limit(1)).first()


def ensure_member(session: Session, shop_id: str, customer_id: str, now: datetime,
                  email: str | None = None, first_name: str | None = None,
                  last_name: str | None = None) -> Row:
    """The member, created if new (or with the profile fields we lacked filled
    in), locked for the rest of the transaction."""
    profile = {"email": (email or "").strip() or None, "first_name": first_name, "last_name": last_name}
    created = insert_unless_exists(
        session, members, shop_id=shop_id, customer_id=customer_id,
        email_lower=domain.normalize_email(email), status=domain.MEMBER_ACTIVE,
        balance=0, lifetime_earned=0, lifetime_redeemed=0, created_at=now, **profile)
    row = member(session, shop_id, customer_id, lock=True)
    updates = {} if created else domain.missing_profile_fields(row._asdict(), profile)
    if not updates:
        return row
    if "email" in updates:
        updates["email_lower"] = domain.normalize_email(updates["email"])
    session.execute(update(members).where(members.c.id == row.id).values(**updates))
    return member(session, shop_id, customer_id)


def totals_of(member_row: Row) -> domain.MemberTotals:
    return domain.MemberTotals(member_row.balance, member_row.lifetime_earned,
                               member_row.lifetime_redeemed)


# --- the ledger -----------------------------------------------------------------------

def append_activity(session: Session, member_row: Row, activity_type: str, action: str,
                    posting: domain.Posting, reference: str | None, actor: str,
                    now: datetime) -> int:
    """Write one ledger entry and the member's new totals (the member must be
    locked and `posting` computed from its current totals); the activity id."""
    activity_id = session.execute(insert(point_activities).values(
        shop_id=member_row.shop_id, customer_id=member_row.customer_id, type=activity_type,
        action=action, points=posting.points, balance_after=posting.balance_after,
        uncollected_points=posting.uncollected_points, reference=reference, actor=actor,
        occurred_at=now)).inserted_primary_key[0]
    session.execute(update(members).where(members.c.id == member_row.id).values(
        balance=posting.totals.balance, lifetime_earned=posting.totals.lifetime_earned,
        lifetime_redeemed=posting.totals.lifetime_redeemed))
    return activity_id


def activity_recorded(session: Session, shop_id: str, activity_type: str, reference: str) -> bool:
    return session.execute(select(point_activities.c.id).where(
        point_activities.c.shop_id == shop_id, point_activities.c.type == activity_type,
        point_activities.c.reference == reference)).first() is not None


def _activity_feed():
    return (select(point_activities, members.c.email.label("customer_email"))
            .select_from(point_activities.join(members, (members.c.shop_id == point_activities.c.shop_id)
                                               & (members.c.customer_id == point_activities.c.customer_id))))


def activities_page(session: Session, query) -> dict:
    """Served by the (shop_id, [type,] occurred_at, id) indexes; the email
    prefix by (shop_id, email_lower)."""
    statement = _activity_feed().where(point_activities.c.shop_id == query.shop_id)
    if query.type != "all":
        statement = statement.where(point_activities.c.type == query.type)
    if query.q:
        statement = statement.where(members.c.email_lower.startswith(query.q.lower(), autoescape=True))
    return keyset_page(session, statement, point_activities.c.occurred_at, point_activities.c.id, query)


def recent_activities(session: Session, shop_id: str, customer_id: str, limit: int) -> list[Row]:
    return session.execute(
        _activity_feed().where(point_activities.c.shop_id == shop_id,
                               point_activities.c.customer_id == customer_id)
        .order_by(point_activities.c.occurred_at.desc(), point_activities.c.id.desc())
        .limit(limit)).all()


# --- orders and refunds ---------------------------------------------------------------

def order_award(session: Session, shop_id: str, order_id: str, lock: bool = False) -> Row | None:
    query = select(order_awards).where(order_awards.c.shop_id == shop_id,
                                       order_awards.c.order_id == order_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def record_order_award(session: Session, **values) -> None:
    session.execute(insert(order_awards).values(
        refunded_amount=0, refunded_points=0, **values))


def refund_recorded(session: Session, shop_id: str, refund_id: str) -> bool:
    return session.execute(select(order_refunds.c.id).where(
        order_refunds.c.shop_id == shop_id, order_refunds.c.refund_id == refund_id)).first() is not None


def record_refund(session: Session, award: Row, refund_id: str, amount, points: int,
                  activity_id: int | None, now: datetime) -> None:
    session.execute(insert(order_refunds).values(
        shop_id=award.shop_id, refund_id=refund_id, order_id=award.order_id, amount=amount,
        points=points, activity_id=activity_id, created_at=now))
    session.execute(update(order_awards).where(order_awards.c.id == award.id).values(
        refunded_amount=award.refunded_amount + amount,
        refunded_points=award.refunded_points + points))


# --- discount codes -------------------------------------------------------------------

def discount_code(session: Session, shop_id: str, code: str, lock: bool = False) -> Row | None:
    query = select(discount_codes).where(discount_codes.c.shop_id == shop_id,
                                         discount_codes.c.code == domain.normalize_code(code))
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def welcome_code_of_referral(session: Session, shop_id: str, referral_id: str) -> Row | None:
    return session.execute(select(discount_codes).where(
        discount_codes.c.shop_id == shop_id, discount_codes.c.kind == domain.REFERRAL_WELCOME,
        discount_codes.c.referral_id == referral_id)).first()


def active_welcome_codes_of_referral(session: Session, shop_id: str, referral_id: str) -> list[Row]:
    return session.execute(select(discount_codes).where(
        discount_codes.c.shop_id == shop_id, discount_codes.c.kind == domain.REFERRAL_WELCOME,
        discount_codes.c.referral_id == referral_id,
        discount_codes.c.status == domain.CODE_ACTIVE).with_for_update()).all()


def mark_code_used(session: Session, code_row: Row, order_id: str, customer_id: str | None,
                   now: datetime) -> None:
    session.execute(update(discount_codes).where(discount_codes.c.id == code_row.id).values(
        status=domain.CODE_USED, used_at=now, order_id=order_id,
        customer_id=code_row.customer_id or customer_id))


def mark_code_voided(session: Session, code_row: Row, now: datetime) -> None:
    session.execute(update(discount_codes).where(discount_codes.c.id == code_row.id).values(
        status=domain.CODE_VOIDED, voided_at=now))
