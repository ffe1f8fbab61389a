"""Queries of the points service. Every one filters by shop_id; the ones that
change a member's balance run under that member's row lock (FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers)."""

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points import domain
from services.points.models import (
    audit_log,
    discount_codes,
    idempotency_keys,
    members,
    order_awards,
    order_refunds,
    point_activities,
    point_lots,
    program_settings,
    rewards,
)
from shared.db import cursor_result, inserted_id, must_exist
from shared.pagination import Page, keyset_page
from shared.points_api import ProgramRules


def insert_unless_exists(session: Session, table, **values) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted. Lets
    concurrent first-timers (two events creating one member) both succeed."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    result = cursor_result(session.execute(dialect.insert(table).values(**values).on_conflict_do_nothing()))
    return result.rowcount == 1


# --- program settings -----------------------------------------------------------------

# The program document is kept as its contract dumps it, and read back
# through the contract: a rule added to ProgramRules needs no migration
# (stored documents take its default); renaming or removing one does.


def program_settings_of(session: Session, shop_id: str, lock: bool = False) -> ProgramRules:
    query = select(program_settings.c.rules).where(program_settings.c.shop_id == shop_id)
    if lock:
        query = query.with_for_update()
    rules = session.execute(query).scalar()
    return ProgramRules() if rules is None else ProgramRules.model_validate(rules)


def save_program_settings(session: Session, shop_id: str, rules: ProgramRules, now: datetime) -> None:
    values = {"rules": rules.model_dump(mode="json"), "updated_at": now}
    if not insert_unless_exists(session, program_settings, shop_id=shop_id, **values):
        session.execute(
            update(program_settings).where(program_settings.c.shop_id == shop_id).values(**values)
        )


# --- members --------------------------------------------------------------------------


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
    profile = {"email": (email or "").strip() or None, "first_name": first_name, "last_name": last_name}
    created = insert_unless_exists(
        session,
        members,
        shop_id=shop_id,
        customer_id=customer_id,
        email_lower=domain.normalize_email(email),
        status=domain.MEMBER_ACTIVE,
        name_lower=domain.name_key(first_name, last_name),
        balance=0,
        lifetime_earned=0,
        lifetime_redeemed=0,
        created_at=now,
        **profile,
    )
    row = known_member(session, shop_id, customer_id, lock=True)
    updates = {} if created else domain.missing_profile_fields(row._asdict(), profile)
    if not updates:
        return row
    return update_member(session, row, **updates)


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


# --- lots -------------------------------------------------------------------------------


def _lot(row) -> domain.Lot:
    return domain.Lot(
        id=row.id,
        remaining=row.remaining,
        earned_at=row.earned_at,
        available_at=row.available_at,
        expires_at=row.expires_at,
    )


def lots_of(session: Session, shop_id: str, customer_id: str) -> list[domain.Lot]:
    """The member's lots with points left, oldest first."""
    return [
        _lot(row)
        for row in session.execute(
            select(point_lots)
            .where(
                point_lots.c.shop_id == shop_id,
                point_lots.c.customer_id == customer_id,
                point_lots.c.remaining > 0,
            )
            .order_by(point_lots.c.earned_at, point_lots.c.id)
        ).all()
    ]


def lots_of_members(session: Session, shop_id: str, customer_ids: list[str]) -> dict[str, list[domain.Lot]]:
    """Lots with points left of several members at once (a page of the
    customers list), by customer id."""
    found: dict[str, list[domain.Lot]] = {customer_id: [] for customer_id in customer_ids}
    if customer_ids:
        for row in session.execute(
            select(point_lots).where(
                point_lots.c.shop_id == shop_id,
                point_lots.c.customer_id.in_(customer_ids),
                point_lots.c.remaining > 0,
            )
        ).all():
            found[row.customer_id].append(_lot(row))
    return found


def lot_of_activity(session: Session, activity_id: int) -> Row | None:
    return session.execute(select(point_lots).where(point_lots.c.activity_id == activity_id)).first()


def open_lot(
    session: Session,
    member_row: Row,
    activity_id: int,
    points: int,
    earned_at: datetime,
    available_at: datetime,
    expires_at: datetime | None,
) -> None:
    session.execute(
        insert(point_lots).values(
            shop_id=member_row.shop_id,
            customer_id=member_row.customer_id,
            activity_id=activity_id,
            points=points,
            remaining=points,
            earned_at=earned_at,
            available_at=available_at,
            expires_at=expires_at,
        )
    )


def take_from_lots(session: Session, plan: list[tuple[domain.Lot, int]]) -> None:
    for lot, take in plan:
        session.execute(
            update(point_lots)
            .where(point_lots.c.id == lot.id)
            .values(remaining=point_lots.c.remaining - take)
        )


def members_with_expired_lots(session: Session, now: datetime, limit: int) -> Sequence[Row]:
    """(shop_id, customer_id) of members with points due to expire; served by
    the partial index on unspent lots' expires_at."""
    return session.execute(
        select(point_lots.c.shop_id, point_lots.c.customer_id)
        .where(point_lots.c.remaining > 0, point_lots.c.expires_at <= now)
        .group_by(point_lots.c.shop_id, point_lots.c.customer_id)
        .limit(limit)
    ).all()


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


# --- the ledger -----------------------------------------------------------------------


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
    The caller opens or draws down the lots to match."""
    activity_id = inserted_id(
        session.execute(
            insert(point_activities).values(
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
    )
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
    return select(point_activities, members.c.email.label("customer_email")).select_from(
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


# --- orders and refunds ---------------------------------------------------------------


def order_award(session: Session, shop_id: str, order_id: str, lock: bool = False) -> Row | None:
    query = select(order_awards).where(order_awards.c.shop_id == shop_id, order_awards.c.order_id == order_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def order_award_of_activity(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        select(order_awards).where(
            order_awards.c.shop_id == shop_id, order_awards.c.activity_id == activity_id
        )
    ).first()


def mark_award_reversed(session: Session, award: Row, now: datetime) -> None:
    session.execute(update(order_awards).where(order_awards.c.id == award.id).values(reversed_at=now))


def record_order_award(session: Session, **values) -> None:
    session.execute(insert(order_awards).values(refunded_amount=0, refunded_points=0, **values))


def refund_recorded(session: Session, shop_id: str, refund_id: str) -> bool:
    return (
        session.execute(
            select(order_refunds.c.id).where(
                order_refunds.c.shop_id == shop_id, order_refunds.c.refund_id == refund_id
            )
        ).first()
        is not None
    )


def record_waiting_refund(
    session: Session, shop_id: str, refund_id: str, order_id: str, amount, now: datetime
) -> None:
    """A refund of an order whose award we have not seen (yet)."""
    session.execute(
        insert(order_refunds).values(
            shop_id=shop_id, refund_id=refund_id, order_id=order_id, amount=amount, points=0, created_at=now
        )
    )


def waiting_refunds(session: Session, shop_id: str, order_id: str) -> Sequence[Row]:
    return session.execute(
        select(order_refunds)
        .where(
            order_refunds.c.shop_id == shop_id,
            order_refunds.c.order_id == order_id,
            order_refunds.c.applied_at.is_(None),
        )
        .order_by(order_refunds.c.id)
    ).all()


def refund_of_activity(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        select(order_refunds).where(
            order_refunds.c.shop_id == shop_id, order_refunds.c.activity_id == activity_id
        )
    ).first()


def uncount_refund(session: Session, refund: Row) -> None:
    """A reversed refund no longer counts against its order's award."""
    session.execute(
        update(order_awards)
        .where(order_awards.c.shop_id == refund.shop_id, order_awards.c.order_id == refund.order_id)
        .values(
            refunded_amount=order_awards.c.refunded_amount - refund.amount,
            refunded_points=order_awards.c.refunded_points - refund.points,
        )
    )


def record_refund(
    session: Session,
    award: Row,
    refund_id: str,
    amount,
    points: int,
    activity_id: int | None,
    now: datetime,
    waiting: bool = False,
) -> None:
    """Count a refund against its order's award (and keep it, unless it was
    already kept while it waited for the award)."""
    if waiting:
        session.execute(
            update(order_refunds)
            .where(order_refunds.c.shop_id == award.shop_id, order_refunds.c.refund_id == refund_id)
            .values(points=points, activity_id=activity_id, applied_at=now)
        )
    else:
        session.execute(
            insert(order_refunds).values(
                shop_id=award.shop_id,
                refund_id=refund_id,
                order_id=award.order_id,
                amount=amount,
                points=points,
                activity_id=activity_id,
                created_at=now,
                applied_at=now,
            )
        )
    session.execute(
        update(order_awards)
        .where(order_awards.c.id == award.id)
        .values(
            refunded_amount=order_awards.c.refunded_amount + amount,
            refunded_points=order_awards.c.refunded_points + points,
        )
    )


# --- discount codes -------------------------------------------------------------------


def discount_code(session: Session, shop_id: str, code: str, lock: bool = False) -> Row | None:
    query = select(discount_codes).where(
        discount_codes.c.shop_id == shop_id, discount_codes.c.code == domain.normalize_code(code)
    )
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def code_of_redemption(session: Session, shop_id: str, activity_id: int) -> Row | None:
    return session.execute(
        select(discount_codes)
        .where(
            discount_codes.c.shop_id == shop_id,
            discount_codes.c.kind == domain.REDEMPTION,
            discount_codes.c.activity_id == activity_id,
        )
        .with_for_update()
    ).first()


def welcome_code_of_referral(session: Session, shop_id: str, referral_id: str) -> Row | None:
    return session.execute(
        select(discount_codes).where(
            discount_codes.c.shop_id == shop_id,
            discount_codes.c.kind == domain.REFERRAL_WELCOME,
            discount_codes.c.referral_id == referral_id,
        )
    ).first()


def active_welcome_codes_of_referral(session: Session, shop_id: str, referral_id: str) -> Sequence[Row]:
    return session.execute(
        select(discount_codes)
        .where(
            discount_codes.c.shop_id == shop_id,
            discount_codes.c.kind == domain.REFERRAL_WELCOME,
            discount_codes.c.referral_id == referral_id,
            discount_codes.c.status == domain.CODE_ACTIVE,
        )
        .with_for_update()
    ).all()


def mark_code_used(
    session: Session, code_row: Row, order_id: str, customer_id: str | None, now: datetime
) -> None:
    session.execute(
        update(discount_codes)
        .where(discount_codes.c.id == code_row.id)
        .values(status=domain.CODE_USED, used_at=now, order_id=order_id, customer_id=customer_id)
    )


def mark_code_voided(session: Session, code_row: Row, now: datetime) -> None:
    session.execute(
        update(discount_codes)
        .where(discount_codes.c.id == code_row.id)
        .values(status=domain.CODE_VOIDED, voided_at=now)
    )


# --- rewards -----------------------------------------------------------------------------


def rewards_of(session: Session, shop_id: str) -> Sequence[Row]:
    return session.execute(select(rewards).where(rewards.c.shop_id == shop_id).order_by(rewards.c.id)).all()


def reward(session: Session, shop_id: str, reward_id: int) -> Row | None:
    return session.execute(
        select(rewards).where(rewards.c.shop_id == shop_id, rewards.c.id == reward_id)
    ).first()


def insert_reward(session: Session, **values) -> Row:
    reward_id = inserted_id(session.execute(insert(rewards).values(**values)))
    return must_exist(reward(session, values["shop_id"], reward_id), f"reward {reward_id}")


# --- idempotency keys -----------------------------------------------------------------------


def claim_idempotency_key(session: Session, shop_id: str, key: str, fingerprint: str, now: datetime) -> bool:
    """True if this transaction is the first with the key. On PostgreSQL a
    concurrent first waits here until the other commits (or rolls back)."""
    return insert_unless_exists(
        session, idempotency_keys, shop_id=shop_id, key=key, fingerprint=fingerprint, created_at=now
    )


def idempotency_record(session: Session, shop_id: str, key: str) -> Row | None:
    return session.execute(
        select(idempotency_keys).where(idempotency_keys.c.shop_id == shop_id, idempotency_keys.c.key == key)
    ).first()


def store_idempotent_result(session: Session, shop_id: str, key: str, result: dict) -> None:
    session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.shop_id == shop_id, idempotency_keys.c.key == key)
        .values(result=json.dumps(result))
    )


# --- the audit trail -------------------------------------------------------------------------


def record_audit(session: Session, **values) -> None:
    session.execute(insert(audit_log).values(**values))


def audit_page(session: Session, shop_id: str, customer_id: str | None, query) -> Page[Row]:
    statement = select(audit_log).where(audit_log.c.shop_id == shop_id)
    if customer_id:
        statement = statement.where(audit_log.c.customer_id == customer_id)
    return keyset_page(session, statement, audit_log.c.occurred_at, audit_log.c.id, query)
