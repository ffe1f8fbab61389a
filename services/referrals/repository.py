"""Queries of the referrals service; every one is scoped to one shop."""

from datetime import date, datetime

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.orm import Session

from services.referrals.domain import CANCELLED, COMPLETED, PENDING, Cancellation, Completion, NewReferral
from services.referrals.models import (
    customers,
    daily_totals,
    fraud_signals,
    link_clicks,
    referral_links,
    referrals,
)
from services.referrals.schemas import ActivityQuery, CustomerReferralsQuery
from shared import customer_copies
from shared.day_range import day_of
from shared.pagination import Page, keyset_page
from shared.timeline import TimelineQuery, stream_rows
from shared.upserts import add_to_counters

# --- links and clicks ------------------------------------------------------------------


def link_of_customer(session: Session, shop_id: str, customer_id: str):
    return session.execute(
        select(referral_links).where(
            referral_links.c.shop_id == shop_id, referral_links.c.customer_id == customer_id
        )
    ).first()


def link_by_code(session: Session, shop_id: str, code: str):
    return session.execute(
        select(referral_links).where(referral_links.c.shop_id == shop_id, referral_links.c.code == code)
    ).first()


def add_link(
    session: Session, shop_id: str, code: str, customer_id: str, customer_email: str | None, now: datetime
):
    return session.execute(
        insert(referral_links)
        .values(
            shop_id=shop_id,
            code=code,
            customer_id=customer_id,
            customer_email=customer_email,
            clicks=0,
            created_at=now,
        )
        .returning(*referral_links.c)
    ).one()


def record_click(session: Session, shop_id: str, code: str, client_ip: str | None, now: datetime):
    """The link with its click counted (on the link and in the day's
    roll-up), or None when the shop has no such link."""
    link = session.execute(
        update(referral_links)
        .where(referral_links.c.shop_id == shop_id, referral_links.c.code == code)
        .values(clicks=referral_links.c.clicks + 1)
        .returning(*referral_links.c)
    ).first()
    if link is not None:
        session.execute(
            insert(link_clicks).values(shop_id=shop_id, code=code, client_ip=client_ip, occurred_at=now)
        )
        add_to_counters(session, daily_totals, {"shop_id": shop_id, "day": day_of(now)}, {"link_clicks": 1})
    return link


def latest_click_at(session: Session, shop_id: str, code: str) -> datetime | None:
    return session.execute(
        select(link_clicks.c.occurred_at)
        .where(link_clicks.c.shop_id == shop_id, link_clicks.c.code == code)
        .order_by(link_clicks.c.occurred_at.desc())
        .limit(1)
    ).scalar()


# --- claims -----------------------------------------------------------------------------


def has_open_referral(session: Session, shop_id: str, referee_email_key: str) -> bool:
    return (
        session.execute(
            select(referrals.c.id)
            .where(
                referrals.c.shop_id == shop_id,
                referrals.c.referee_email_key == referee_email_key,
                referrals.c.status != CANCELLED,
            )
            .limit(1)
        ).first()
        is not None
    )


def claims_from_ip_since(session: Session, shop_id: str, client_ip: str | None, since: datetime) -> int:
    if client_ip is None:
        return 0
    return session.execute(
        select(func.count())
        .select_from(referrals)
        .where(
            referrals.c.shop_id == shop_id,
            referrals.c.client_ip == client_ip,
            referrals.c.occurred_at >= since,
        )
    ).scalar_one()


def add_referral(session: Session, row: NewReferral) -> None:
    session.execute(insert(referrals).values(**row))
    _count(session, row["shop_id"], row["occurred_at"], pending=1)


def add_fraud_signal(
    session: Session,
    shop_id: str,
    kind: str,
    code: str,
    email: str | None,
    client_ip: str | None,
    now: datetime,
) -> None:
    session.execute(
        insert(fraud_signals).values(
            shop_id=shop_id, kind=kind, code=code, email=email, client_ip=client_ip, occurred_at=now
        )
    )


# --- referrals --------------------------------------------------------------------------


def referral(session: Session, shop_id: str, referral_id: str, for_update: bool = False):
    query = select(referrals).where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def set_code_status(session: Session, shop_id: str, referral_id: str, code: str, status: str) -> None:
    """The referral's copy of its welcome code's status, as points reports it."""
    session.execute(
        update(referrals)
        .where(
            referrals.c.shop_id == shop_id, referrals.c.id == referral_id, referrals.c.discount_code == code
        )
        .values(discount_code_status=status)
    )


def completion_candidates(
    session: Session, shop_id: str, code_keys: list[str], referee_email_key: str | None
) -> list[Row]:
    """The referrals an order may complete, locked: those whose welcome code
    it used (oldest first), then the open one claimed with its email. The
    domain picks among them (only a pending one completes)."""
    found: list[Row] = []
    if code_keys:
        found += session.execute(
            select(referrals)
            .where(referrals.c.shop_id == shop_id, referrals.c.discount_code.in_(code_keys))
            .order_by(referrals.c.occurred_at, referrals.c.id)
            .with_for_update()
        ).all()
    if referee_email_key is not None:
        by_code = {row.id for row in found}
        # Same predicate as the one-open-referral-per-mailbox index, so it is used.
        found += [
            row
            for row in session.execute(
                select(referrals)
                .where(
                    referrals.c.shop_id == shop_id,
                    referrals.c.referee_email_key == referee_email_key,
                    referrals.c.status != CANCELLED,
                )
                .with_for_update()
            ).all()
            if row.id not in by_code
        ]
    return found


def record_completion(session: Session, shop_id: str, referral_id: str, done: Completion):
    """The referral as completed. Only a pending one moves: the caller holds
    its lock, so anything else fails loudly (and the event is retried)."""
    completed = session.execute(
        update(referrals)
        .where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id, referrals.c.status == PENDING)
        .values(
            status=COMPLETED,
            order_id=done.order_id,
            referee_customer_id=done.referee_customer_id,
            order_placed_at=done.order_placed_at,
            completed_at=done.completed_at,
        )
        .returning(*referrals.c)
    ).one()
    _count(session, shop_id, completed.occurred_at, pending=-1, completed=1)
    return completed


def record_cancellation(session: Session, shop_id: str, referral_id: str, cancellation: Cancellation):
    """The referral as cancelled; the caller holds its lock and judged it
    `cancellation.previous_status`."""
    cancelled = session.execute(
        update(referrals)
        .where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id)
        .values(
            status=CANCELLED, cancelled_at=cancellation.cancelled_at, cancelled_by=cancellation.cancelled_by
        )
        .returning(*referrals.c)
    ).one()
    _count(session, shop_id, cancelled.occurred_at, **{cancellation.previous_status: -1, CANCELLED: 1})
    return cancelled


def record_reward(session: Session, shop_id: str, referral_id: str, points: int) -> bool:
    """False when this shop has no such referral."""
    before = session.execute(
        select(referrals.c.occurred_at, referrals.c.referrer_reward_points)
        .where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id)
        .with_for_update()
    ).first()
    if before is None:
        return False
    session.execute(
        update(referrals)
        .where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id)
        .values(referrer_reward_points=points)
    )
    _count(session, shop_id, before.occurred_at, reward_points=points - (before.referrer_reward_points or 0))
    return True


def referrals_page(session: Session, query: ActivityQuery) -> Page[Row]:
    """Served by the (shop_id, occurred_at, id) and (shop_id, status,
    occurred_at, id) indexes."""
    statement = _named().where(referrals.c.shop_id == query.shop_id)
    if query.status is not None:
        statement = statement.where(referrals.c.status == query.status)
    return keyset_page(session, statement, referrals.c.occurred_at, referrals.c.id, query)


def referrals_of_customer(session: Session, query: CustomerReferralsQuery) -> list[tuple[str, Row]]:
    """The customer's newest referrals as (role, row): those they referred
    and those their order completed. Each side is one scan of its (shop_id,
    ..._customer_id, occurred_at, id) index cut at the limit; the two are
    merged here."""
    found: list[tuple[str, Row]] = []
    for role, column in (
        ("referrer", referrals.c.referrer_customer_id),
        ("referee", referrals.c.referee_customer_id),
    ):
        rows = session.execute(
            _named()
            .where(referrals.c.shop_id == query.shop_id, column == query.customer_id)
            .order_by(referrals.c.occurred_at.desc(), referrals.c.id.desc())
            .limit(query.limit)
        ).all()
        found += [(role, row) for row in rows]
    found.sort(key=lambda role_and_row: (role_and_row[1].occurred_at, role_and_row[1].id), reverse=True)
    return found[: query.limit]


# The merged timeline's streams: a referral's claim, completion and
# cancellation, each at its own time (shared.timeline).
STEP_TIMES = {
    "referral_claimed": referrals.c.occurred_at,
    "referral_completed": referrals.c.completed_at,
    "referral_cancelled": referrals.c.cancelled_at,
}


def step_stream(session: Session, stream: str, query: TimelineQuery) -> list[Row]:
    """One step of the shop's referrals, served by its (shop_id, time, id)
    index; or a customer's, as referrer or as referee, each narrowed by its
    (shop_id, …_customer_id, …) index and merged here."""
    if query.customer_id is None:
        sides = [_named().where(referrals.c.shop_id == query.shop_id)]
    else:
        sides = [
            _named().where(referrals.c.shop_id == query.shop_id, column == query.customer_id)
            for column in (referrals.c.referrer_customer_id, referrals.c.referee_customer_id)
        ]
    rows = [
        row
        for side in sides
        for row in stream_rows(session, side, STEP_TIMES[stream], referrals.c.id, stream, query)
    ]
    return list({row.id: row for row in rows}.values())


def named_referral(session: Session, shop_id: str, referral_id: str):
    """The referral as the feed shows it, naming its referrer."""
    return session.execute(
        _named().where(referrals.c.shop_id == shop_id, referrals.c.id == referral_id)
    ).first()


def _named():
    """Referrals with their referrer's email and name, from the customers
    copy (the email on the referral where the copy has none)."""
    return select(
        referrals,
        func.coalesce(customers.c.email, referrals.c.referrer_email).label("customer_email"),
        customers.c.first_name.label("customer_first_name"),
        customers.c.last_name.label("customer_last_name"),
    ).select_from(
        referrals.outerjoin(
            customers,
            and_(
                customers.c.shop_id == referrals.c.shop_id,
                customers.c.customer_id == referrals.c.referrer_customer_id,
            ),
        )
    )


# --- the customers copy -----------------------------------------------------------------


def remember_customer(
    session: Session,
    shop_id: str,
    customer_id: str,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
) -> None:
    """What an event or the referrer's profile says of a customer; what it
    leaves out stays as known."""
    customer_copies.remember_customer(session, customers, shop_id, customer_id, email, first_name, last_name)


# --- the overview's roll-ups ------------------------------------------------------------


def _count(session: Session, shop_id: str, claimed_at: datetime, **deltas: int) -> None:
    """Add to the roll-up of the day the referral was claimed on (what the
    feed's window filters by), whenever its status or reward changes."""
    add_to_counters(session, daily_totals, {"shop_id": shop_id, "day": day_of(claimed_at)}, deltas)


def totals_between(session: Session, shop_id: str, first: date, last: date) -> Row:
    """(pending, completed, cancelled, reward_points) of the referrals
    claimed from day `first` to `last`, and the link clicks of those days:
    a row a day at most."""
    return session.execute(
        select(
            *(
                func.coalesce(func.sum(daily_totals.c[name]), 0).label(name)
                for name in ("pending", "completed", "cancelled", "reward_points", "link_clicks")
            )
        ).where(daily_totals.c.shop_id == shop_id, daily_totals.c.day >= first, daily_totals.c.day <= last)
    ).one()
