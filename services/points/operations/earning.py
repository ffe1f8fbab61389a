"""Points earned: orders (and their refunds), signing up, birthdays, reviews
and referrals, each credited once per business fact and announced."""

from datetime import date

from sqlalchemy.engine import Row

from services.points import domain, repository
from services.points.operations import codes, ledger
from shared.db import UnitOfWork, must_exist
from shared.events import (
    AwardReason,
    CustomerCreated,
    GoogleReviewApproved,
    OrderPlaced,
    OrderRefunded,
    PointsAwarded,
    ReferralCompleted,
    ReviewApproved,
)
from shared.points_api import ProgramRules


def _award(
    uow: UnitOfWork,
    member: Row,
    settings: ProgramRules,
    points: int,
    action: str,
    reason: AwardReason,
    ref_kind: str,
    ref_id: str,
    pending: bool = False,
    known_new: bool = False,
) -> int | None:
    """Credit `points` to a locked member once per (kind, id) and announce
    it; the activity id, or None when nothing was due (excluded member,
    nothing to give, already given). `known_new`: the caller has already
    found in this transaction that nothing was given for it (no need to
    look in the ledger)."""
    ledger_reference = domain.reference(ref_kind, ref_id)
    if (
        not domain.can_earn(member.status)
        or points <= 0
        or (
            not known_new
            and repository.ledger.activity_recorded(uow.session, member.shop_id, "earned", ledger_reference)
        )
    ):
        return None
    activity_id = ledger.credit(
        uow,
        member,
        "earned",
        points,
        action,
        ledger_reference,
        domain.SYSTEM_ACTOR,
        settings,
        pending=pending,
    )
    # The member is locked: its balance moved by exactly these points.
    uow.publish(
        member.shop_id,
        PointsAwarded(
            customer_id=member.customer_id,
            activity_id=activity_id,
            points=points,
            reason=reason,
            reference=ref_id,
            balance_after=member.balance + points,
        ),
    )
    return activity_id


def register_customer(uow: UnitOfWork, shop_id: str, customer: CustomerCreated) -> None:
    member = repository.members.ensure_member(
        uow.session,
        shop_id,
        customer.customer_id,
        uow.clock.now(),
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
    )
    settings = repository.program.program_settings_of(uow.session, shop_id)
    _award(
        uow,
        member,
        settings,
        settings.signup_points,
        domain.SIGNUP_ACTION,
        "signup",
        "customer",
        customer.customer_id,
    )


def award_points_for_order(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    """Member on first sight; points once per order when it is paid, at the
    rate of that moment (kept with the award for later refunds), pending for
    the return window; the program's codes it used are marked used whether
    or not it is paid yet. An order that will never earn (a test order, one
    voided or refunded on arrival, an excluded member's) is recorded with
    why, and earns nothing later either."""
    now = uow.clock.now()
    codes.mark_codes_used(uow, shop_id, order)
    if not order.customer_id:
        return
    member = repository.members.ensure_member(
        uow.session,
        shop_id,
        order.customer_id,
        now,
        email=order.email,
        first_name=order.first_name,
        last_name=order.last_name,
    )
    if repository.orders.order_award(uow.session, shop_id, order.order_id) is not None:
        return
    reason = domain.no_points_reason(order.test, order.financial_status, order.is_paid, member.status)
    if reason is None and not order.is_paid:
        return
    settings = repository.program.program_settings_of(uow.session, shop_id)
    rate = settings.points_per_currency_unit
    label = domain.order_label(order.order_id, order.order_name)
    points, activity_id = 0, None
    if reason is None:
        points = domain.points_for_order(order.subtotal, rate, settings.rounding)
        activity_id = _award(
            uow,
            member,
            settings,
            points,
            domain.placed_order_action(label),
            "order",
            "order",
            order.order_id,
            pending=settings.pending_days > 0,
            # No award row for the order: its award and ledger entry are
            # written together, once (unique per shop and order).
            known_new=True,
        )
    repository.orders.record_order_award(
        uow.session,
        shop_id=shop_id,
        order_id=order.order_id,
        order_name=label,
        customer_id=member.customer_id,
        subtotal=order.subtotal,
        rate=rate,
        points=points,
        activity_id=activity_id,
        created_at=now,
        no_points_reason=reason,
    )
    # Refunds that arrived before the order did wait for it.
    for refund in repository.orders.waiting_refunds(uow.session, shop_id, order.order_id):
        _take_back(uow, shop_id, order.order_id, refund.refund_id, refund.amount, waiting=True)


def take_back_points_for_refund(uow: UnitOfWork, shop_id: str, refund: OrderRefunded) -> None:
    """Points back in proportion to the refunded share of the order, at the
    order's own rate, never more than it earned, never below a zero balance
    (the shortfall is recorded as uncollected). Each refund counts once; a
    refund of an order not seen yet waits for it."""
    if repository.orders.refund_recorded(uow.session, shop_id, refund.refund_id):
        return
    if repository.orders.order_award(uow.session, shop_id, refund.order_id) is None:
        repository.orders.record_waiting_refund(
            uow.session, shop_id, refund.refund_id, refund.order_id, refund.amount, uow.clock.now()
        )
        return
    _take_back(uow, shop_id, refund.order_id, refund.refund_id, refund.amount)


def _take_back(
    uow: UnitOfWork, shop_id: str, order_id: str, refund_id: str, amount, waiting: bool = False
) -> None:
    # The caller has found the award (and so its member).
    award = must_exist(
        repository.orders.order_award(uow.session, shop_id, order_id), f"award of order {order_id}"
    )
    # Member first, then the award: the same lock order as earning.
    member = ledger.expire_due_points(
        uow, repository.members.known_member(uow.session, shop_id, award.customer_id, lock=True)
    )
    award = must_exist(
        repository.orders.order_award(uow.session, shop_id, order_id, lock=True), f"award of order {order_id}"
    )
    due = (
        0
        if award.reversed_at
        else domain.points_to_take_back(
            award.points, award.subtotal, award.refunded_amount, award.refunded_points, amount
        )
    )
    activity_id = None
    if due > 0:
        own_lot = repository.lots.lot_of_activity(uow.session, award.activity_id)
        plan, uncollected = domain.plan_take_back(
            repository.lots.lots_of(uow.session, shop_id, member.customer_id),
            due,
            uow.clock.now(),
            own_lot_id=own_lot.id if own_lot else None,
        )
        activity_id = ledger.debit(
            uow,
            member,
            "refunded",
            plan,
            domain.refunded_order_action(award.order_name),
            domain.reference("refund", refund_id),
            domain.SYSTEM_ACTOR,
            uncollected,
        )
    repository.orders.record_refund(
        uow.session, award, refund_id, amount, due, activity_id, uow.clock.now(), waiting=waiting
    )


def award_review_points(uow: UnitOfWork, shop_id: str, review: ReviewApproved) -> None:
    member = repository.members.ensure_member(uow.session, shop_id, review.customer_id, uow.clock.now())
    settings = repository.program.program_settings_of(uow.session, shop_id)
    _award(
        uow,
        member,
        settings,
        settings.review_points,
        domain.REVIEW_ACTION,
        "review",
        "review",
        review.review_id,
    )
    if review.has_media:
        member = repository.members.known_member(uow.session, shop_id, review.customer_id)
        _award(
            uow,
            member,
            settings,
            settings.photo_review_bonus_points,
            domain.PHOTO_REVIEW_ACTION,
            "photo_review",
            "photo_review",
            review.review_id,
        )


def award_google_review_points(uow: UnitOfWork, shop_id: str, submission: GoogleReviewApproved) -> None:
    member = repository.members.ensure_member(uow.session, shop_id, submission.customer_id, uow.clock.now())
    settings = repository.program.program_settings_of(uow.session, shop_id)
    _award(
        uow,
        member,
        settings,
        settings.google_review_points,
        domain.GOOGLE_REVIEW_ACTION,
        "google_review",
        "google_review",
        submission.submission_id,
    )


def award_referrer(uow: UnitOfWork, shop_id: str, referral: ReferralCompleted) -> None:
    member = repository.members.ensure_member(
        uow.session, shop_id, referral.referrer_customer_id, uow.clock.now()
    )
    settings = repository.program.program_settings_of(uow.session, shop_id)
    _award(
        uow,
        member,
        settings,
        settings.referrer_reward_points,
        domain.REFERRAL_ACTION,
        "referral",
        "referral",
        referral.referral_id,
    )


def award_birthday_points(unit_of_work) -> int:
    """The birthday timer's run: today's birthdays (UTC) get the program's
    birthday points, once per member per year. The members credited."""
    with unit_of_work() as uow:
        today = uow.clock.now().date()
    keys, after_id, credited = domain.birthday_keys_on(today), 0, 0
    while True:
        with unit_of_work() as uow:
            found = repository.members.members_with_birthday(uow.session, keys, after_id, ledger.TIMER_BATCH)
        for row in found:
            with unit_of_work() as uow:
                if award_birthday(uow, row.shop_id, row.customer_id, today):
                    credited += 1
                uow.commit()
        if len(found) < ledger.TIMER_BATCH:
            return credited
        after_id = found[-1].id


def award_birthday(uow: UnitOfWork, shop_id: str, customer_id: str, today: date) -> bool:
    member = repository.members.member(uow.session, shop_id, customer_id, lock=True)
    if member is None or domain.birthday_key(member.birthday) not in domain.birthday_keys_on(today):
        return False
    settings = repository.program.program_settings_of(uow.session, shop_id)
    return (
        _award(
            uow,
            member,
            settings,
            settings.birthday_points,
            domain.BIRTHDAY_ACTION,
            "birthday",
            "birthday",
            f"{customer_id}:{today.year}",
        )
        is not None
    )
