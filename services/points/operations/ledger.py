"""The ledger core: credits and debits of a locked member's points, their
lots, the tier that follows each entry, and expiry.

Every change to a member's points runs under that member's row lock (taken
first, before any lot or award), so concurrent commands queue per member
and never deadlock on each other."""

from sqlalchemy.engine import Row

from services.points import domain, repository
from services.points.operations import tiers
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.events import DeductionType, PointsDeducted
from shared.points_api import ProgramRules

TIMER_BATCH = 200


def credit(
    uow: UnitOfWork,
    member: Row,
    activity_type: str,
    points: int,
    action: str,
    reference: str | None,
    actor: str,
    settings: ProgramRules,
    pending: bool = False,
    reverses: Row | None = None,
) -> int:
    """Add `points` to a locked member as a new lot; the activity id."""
    now = uow.clock.now()
    available_at, expires_at = domain.lot_dates(now, settings, pending)
    posting = domain.post(
        repository.members.totals_of(member),
        activity_type,
        points,
        reverses=reverses.type if reverses is not None else None,
    )
    activity_id = repository.ledger.append_activity(
        uow.session,
        member,
        activity_type,
        action,
        posting,
        reference,
        actor,
        now,
        pending_until=available_at if available_at > now else None,
        reverses_activity_id=reverses.id if reverses is not None else None,
    )
    repository.lots.open_lot(uow.session, member, activity_id, points, now, available_at, expires_at)
    tiers.follow_entry(uow, member, posting, activity_type, reverses, actor, activity_id, settings.vip_tiers)
    return activity_id


def credit_many(
    uow: UnitOfWork,
    credits: list[tuple[Row, int, str | None]],
    activity_type: str,
    action: str,
    actor: str,
    settings: ProgramRules,
) -> list[int]:
    """`credit` (spendable at once) for many locked members of one shop, one
    credit each (member, points, reference), in a few statements for them
    all; the activity ids, in order."""
    now = uow.clock.now()
    available_at, expires_at = domain.lot_dates(now, settings, False)
    postings = [
        domain.post(repository.members.totals_of(member), activity_type, points)
        for member, points, _ in credits
    ]
    activity_ids = repository.ledger.append_activities(
        uow.session,
        [
            (member, posting, reference)
            for (member, _, reference), posting in zip(credits, postings, strict=True)
        ],
        activity_type,
        action,
        actor,
        now,
    )
    repository.lots.open_lots(
        uow.session,
        [
            (member, activity_id, points)
            for (member, points, _), activity_id in zip(credits, activity_ids, strict=True)
        ],
        now,
        available_at,
        expires_at,
    )
    for (member, _, _), posting, activity_id in zip(credits, postings, activity_ids, strict=True):
        tiers.follow_entry(uow, member, posting, activity_type, None, actor, activity_id, settings.vip_tiers)
    return activity_ids


def debit(
    uow: UnitOfWork,
    member: Row,
    activity_type: DeductionType,
    plan: list,
    action: str,
    reference: str | None,
    actor: str,
    uncollected: int = 0,
    reverses: Row | None = None,
) -> int:
    """Take the planned points out of a locked member's lots; the activity id."""
    points = sum(take for _, take in plan)
    posting = domain.post(
        repository.members.totals_of(member),
        activity_type,
        -points,
        uncollected,
        reverses=reverses.type if reverses is not None else None,
    )
    activity_id = repository.ledger.append_activity(
        uow.session,
        member,
        activity_type,
        action,
        posting,
        reference,
        actor,
        uow.clock.now(),
        reverses_activity_id=reverses.id if reverses is not None else None,
    )
    repository.lots.take_from_lots(uow.session, plan)
    uow.publish(
        member.shop_id,
        PointsDeducted(
            customer_id=member.customer_id,
            activity_id=activity_id,
            type=activity_type,
            points=posting.points,
            action=action,
            reference=reference,
            balance_after=posting.balance_after,
        ),
    )
    program = repository.program.program_settings_of(uow.session, member.shop_id)
    tiers.follow_entry(uow, member, posting, activity_type, reverses, actor, activity_id, program.vip_tiers)
    return activity_id


def expire_due_points(uow: UnitOfWork, member: Row) -> Row:
    """Write off a locked member's lots past their expiry as one `expired`
    entry; the member as it is afterwards. Run before any spending, so
    nothing is ever spent from points that should be gone."""
    due = domain.expired_points(
        repository.lots.lots_of(uow.session, member.shop_id, member.customer_id), uow.clock.now()
    )
    if not due:
        return member
    debit(
        uow,
        member,
        "expired",
        [(lot, lot.remaining) for lot in due],
        domain.EXPIRED_ACTION,
        None,
        domain.SYSTEM_ACTOR,
    )
    return repository.members.known_member(uow.session, member.shop_id, member.customer_id)


def locked_member(uow: UnitOfWork, shop_id: str, customer_id: str) -> Row:
    member = repository.members.member(uow.session, shop_id, customer_id, lock=True)
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of this shop", {"customer_id": customer_id})
    return member


def expire_member_points(uow: UnitOfWork, shop_id: str, customer_id: str) -> bool:
    """True if some of the member's points expired."""
    member = repository.members.member(uow.session, shop_id, customer_id, lock=True)
    return member is not None and expire_due_points(uow, member) is not member


def expire_points(unit_of_work) -> int:
    """The expiry timer's run: every member with points past their expiry
    gets one `expired` entry, each member in a transaction of their own.
    `unit_of_work()` makes a fresh unit of work. The members expired."""
    expired = 0
    while True:
        with unit_of_work() as uow:
            due = repository.lots.members_with_expired_lots(uow.session, uow.clock.now(), TIMER_BATCH)
        done_now = 0
        for shop_id, customer_id in due:
            with unit_of_work() as uow:
                if expire_member_points(uow, shop_id, customer_id):
                    done_now += 1
                uow.commit()
        expired += done_now
        if not done_now:  # nothing left (or nothing that can be expired)
            return expired
