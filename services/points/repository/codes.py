"""Discount codes the program issues (reward redemptions, referees'
welcome codes), found by code, redemption or referral, and their status."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points import domain
from services.points.models import discount_codes


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
