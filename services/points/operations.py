"""What each event, timer and RPC command does, inside the unit of work the
service opened: the domain rules applied to the repository, and the events
that follow published in the same transaction. The caller commits.

Every change to a member's points runs under that member's row lock (taken
first, before any lot or award), so concurrent commands queue per member
and never deadlock on each other."""
import hashlib
import json
from datetime import date

from sqlalchemy.engine import Row

from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import (
    CustomerCreated, DiscountCodeVoided, GoogleReviewApproved, OrderPlaced, OrderRefunded,
    PointsAwarded, ReferralCancelled, ReferralCompleted, ReviewApproved,
)
from shared.points_api import ProgramRules

from services.points import domain, repository
from services.points.models import discount_codes
from services.points.schemas import (
    Activity, ActivitiesQuery, Adjustment, AdjustmentResult, AuditEntry, AuditQuery,
    CustomerActivitiesQuery, CustomerDetail, CustomersQuery, DiscountCode, DiscountCodeCheck,
    MemberProfile, ProfileUpdate, ProgramUpdate, Redemption, RedemptionResult,
    Reversal, Reward, RewardCreation, StatusChange,
)

RECENT_ACTIVITIES = 10
TIMER_BATCH = 200


# --- the ledger: credits, spending, expiry ------------------------------------------------

def _credit(uow: UnitOfWork, member: Row, activity_type: str, points: int, action: str,
            reference: str | None, actor: str, settings: domain.ProgramSettings,
            pending: bool = False, reverses: Row | None = None) -> int:
    """Add `points` to a locked member as a new lot; the activity id."""
    now = uow.clock.now()
    available_at, expires_at = domain.lot_dates(now, settings, pending)
    posting = domain.post(repository.totals_of(member), activity_type, points,
                          reverses=reverses.type if reverses is not None else None)
    activity_id = repository.append_activity(
        uow.session, member, activity_type, action, posting, reference, actor, now,
        pending_until=available_at if available_at > now else None,
        reverses_activity_id=reverses.id if reverses is not None else None)
    repository.open_lot(uow.session, member, activity_id, points, now, available_at, expires_at)
    return activity_id


def _debit(uow: UnitOfWork, member: Row, activity_type: str, plan: list, action: str,
           reference: str | None, actor: str, uncollected: int = 0,
           reverses: Row | None = None) -> int:
    """Take the planned points out of a locked member's lots; the activity id."""
    points = sum(take for _, take in plan)
    posting = domain.post(repository.totals_of(member), activity_type, -points, uncollected,
                          reverses=reverses.type if reverses is not None else None)
    activity_id = repository.append_activity(
        uow.session, member, activity_type, action, posting, reference, actor, uow.clock.now(),
        reverses_activity_id=reverses.id if reverses is not None else None)
    repository.take_from_lots(uow.session, plan)
    return activity_id


def _expire_due_points(uow: UnitOfWork, member: Row) -> Row:
    """Write off a locked member's lots past their expiry as one `expired`
    entry; the member as it is afterwards. Run before any spending, so
    nothing is ever spent from points that should be gone."""
    due = domain.expired_points(repository.lots_of(uow.session, member.shop_id, member.customer_id),
                                uow.clock.now())
    if not due:
        return member
    _debit(uow, member, "expired", [(lot, lot.remaining) for lot in due], domain.EXPIRED_ACTION,
           None, domain.SYSTEM_ACTOR)
    return repository.member(uow.session, member.shop_id, member.customer_id)


def _locked_member(uow: UnitOfWork, shop_id: str, customer_id: str) -> Row:
    member = repository.member(uow.session, shop_id, customer_id, lock=True)
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of this shop",
                       {"customer_id": customer_id})
    return member


def expire_member_points(uow: UnitOfWork, shop_id: str, customer_id: str) -> bool:
    """True if some of the member's points expired."""
    member = repository.member(uow.session, shop_id, customer_id, lock=True)
    return member is not None and _expire_due_points(uow, member) is not member


def expire_points(unit_of_work) -> int:
    """The expiry timer's run: every member with points past their expiry
    gets one `expired` entry, each member in a transaction of their own.
    `unit_of_work()` makes a fresh unit of work. The members expired."""
    expired = 0
    while True:
        with unit_of_work() as uow:
            due = repository.members_with_expired_lots(uow.session, uow.clock.now(), TIMER_BATCH)
        done_now = 0
        for shop_id, customer_id in due:
            with unit_of_work() as uow:
                if expire_member_points(uow, shop_id, customer_id):
                    done_now += 1
                uow.commit()
        expired += done_now
        if not done_now:    # nothing left (or nothing that can be expired)
            return expired


def award_birthday_points(unit_of_work) -> int:
    """The birthday timer's run: today's birthdays (UTC) get the program's
    birthday points, once per member per year. The members credited."""
    with unit_of_work() as uow:
        today = uow.clock.now().date()
    keys, after_id, credited = domain.birthday_keys_on(today), 0, 0
    while True:
        with unit_of_work() as uow:
            found = repository.members_with_birthday(uow.session, keys, after_id, TIMER_BATCH)
        for row in found:
            with unit_of_work() as uow:
                if award_birthday(uow, row.shop_id, row.customer_id, today):
                    credited += 1
                uow.commit()
        if len(found) < TIMER_BATCH:
            return credited
        after_id = found[-1].id


def award_birthday(uow: UnitOfWork, shop_id: str, customer_id: str, today: date) -> bool:
    member = repository.member(uow.session, shop_id, customer_id, lock=True)
    if member is None or domain.birthday_key(member.birthday) not in domain.birthday_keys_on(today):
        return False
    settings = repository.program_settings_of(uow.session, shop_id)
    return _award(uow, member, settings, settings.birthday_points, domain.BIRTHDAY_ACTION,
                  "birthday", "birthday", f"{customer_id}:{today.year}") is not None


# --- earning ----------------------------------------------------------------------------

def _award(uow: UnitOfWork, member: Row, settings: domain.ProgramSettings, points: int,
           action: str, reason: str, ref_kind: str, ref_id: str, pending: bool = False) -> int | None:
    """Credit `points` to a locked member once per (kind, id) and announce
    it; the activity id, or None when nothing was due (excluded member,
    nothing to give, already given)."""
    ledger_reference = domain.reference(ref_kind, ref_id)
    if (not domain.can_earn(member.status) or points <= 0
            or repository.activity_recorded(uow.session, member.shop_id, "earned", ledger_reference)):
        return None
    activity_id = _credit(uow, member, "earned", points, action, ledger_reference,
                          domain.SYSTEM_ACTOR, settings, pending=pending)
    # The member is locked: its balance moved by exactly these points.
    uow.publish(member.shop_id, PointsAwarded(
        customer_id=member.customer_id, activity_id=activity_id, points=points,
        reason=reason, reference=ref_id, balance_after=member.balance + points))
    return activity_id


def register_customer(uow: UnitOfWork, shop_id: str, customer: CustomerCreated) -> None:
    member = repository.ensure_member(
        uow.session, shop_id, customer.customer_id, uow.clock.now(), email=customer.email,
        first_name=customer.first_name, last_name=customer.last_name)
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings, settings.signup_points, domain.SIGNUP_ACTION, "signup",
           "customer", customer.customer_id)


def award_points_for_order(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    """Member on first sight; points once per order when it is paid, at the
    rate of that moment (kept with the award for later refunds), pending for
    the return window; the program's codes it used are marked used whether
    or not it is paid yet."""
    now = uow.clock.now()
    mark_codes_used(uow, shop_id, order)
    if not order.customer_id:
        return
    member = repository.ensure_member(uow.session, shop_id, order.customer_id, now, email=order.email)
    if (not order.is_paid or not domain.can_earn(member.status)
            or repository.order_award(uow.session, shop_id, order.order_id) is not None):
        return
    settings = repository.program_settings_of(uow.session, shop_id)
    rate = settings.points_per_currency_unit
    points = domain.points_for_order(order.subtotal, rate, settings.rounding)
    label = domain.order_label(order.order_id, order.order_name)
    activity_id = _award(uow, member, settings, points, domain.placed_order_action(label), "order",
                         "order", order.order_id, pending=settings.pending_days > 0)
    repository.record_order_award(
        uow.session, shop_id=shop_id, order_id=order.order_id, order_name=label,
        customer_id=member.customer_id, subtotal=order.subtotal, rate=rate, points=points,
        activity_id=activity_id, created_at=now)
    # Refunds that arrived before the order did wait for it.
    for refund in repository.waiting_refunds(uow.session, shop_id, order.order_id):
        _take_back(uow, shop_id, order.order_id, refund.refund_id, refund.amount, waiting=True)


def mark_codes_used(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    # Sorted, so two orders naming the same codes lock them in the same order.
    for code in sorted({domain.normalize_code(c) for c in order.discount_codes if c.strip()}):
        row = repository.discount_code(uow.session, shop_id, code, lock=True)
        if row is not None and row.status == domain.CODE_ACTIVE:
            repository.mark_code_used(uow.session, row, order.order_id, order.customer_id,
                                      uow.clock.now())


def take_back_points_for_refund(uow: UnitOfWork, shop_id: str, refund: OrderRefunded) -> None:
    """Points back in proportion to the refunded share of the order, at the
    order's own rate, never more than it earned, never below a zero balance
    (the shortfall is recorded as uncollected). Each refund counts once; a
    refund of an order not seen yet waits for it."""
    if repository.refund_recorded(uow.session, shop_id, refund.refund_id):
        return
    if repository.order_award(uow.session, shop_id, refund.order_id) is None:
        repository.record_waiting_refund(uow.session, shop_id, refund.refund_id, refund.order_id,
                                         refund.amount, uow.clock.now())
        return
    _take_back(uow, shop_id, refund.order_id, refund.refund_id, refund.amount)


def _take_back(uow: UnitOfWork, shop_id: str, order_id: str, refund_id: str, amount,
               waiting: bool = False) -> None:
    award = repository.order_award(uow.session, shop_id, order_id)
    # Member first, then the award: the same lock order as earning.
    member = _expire_due_points(uow, repository.member(uow.session, shop_id, award.customer_id, lock=True))
    award = repository.order_award(uow.session, shop_id, order_id, lock=True)
    due = 0 if award.reversed_at else domain.points_to_take_back(
        award.points, award.subtotal, award.refunded_amount, award.refunded_points, amount)
    activity_id = None
    if due > 0:
        own_lot = repository.lot_of_activity(uow.session, award.activity_id)
        plan, uncollected = domain.plan_take_back(
            repository.lots_of(uow.session, shop_id, member.customer_id), due, uow.clock.now(),
            own_lot_id=own_lot.id if own_lot else None)
        activity_id = _debit(uow, member, "refunded", plan, domain.refunded_order_action(award.order_name),
                             domain.reference("refund", refund_id), domain.SYSTEM_ACTOR, uncollected)
    repository.record_refund(uow.session, award, refund_id, amount, due, activity_id,
                             uow.clock.now(), waiting=waiting)


def award_review_points(uow: UnitOfWork, shop_id: str, review: ReviewApproved) -> None:
    member = repository.ensure_member(uow.session, shop_id, review.customer_id, uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings, settings.review_points, domain.REVIEW_ACTION, "review",
           "review", review.review_id)
    if review.has_media:
        member = repository.member(uow.session, shop_id, review.customer_id)
        _award(uow, member, settings, settings.photo_review_bonus_points,
               domain.PHOTO_REVIEW_ACTION, "photo_review", "photo_review", review.review_id)


def award_google_review_points(uow: UnitOfWork, shop_id: str, submission: GoogleReviewApproved) -> None:
    member = repository.ensure_member(uow.session, shop_id, submission.customer_id, uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings, settings.google_review_points, domain.GOOGLE_REVIEW_ACTION,
           "google_review", "google_review", submission.submission_id)


def award_referrer(uow: UnitOfWork, shop_id: str, referral: ReferralCompleted) -> None:
    member = repository.ensure_member(uow.session, shop_id, referral.referrer_customer_id,
                                      uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings, settings.referrer_reward_points, domain.REFERRAL_ACTION,
           "referral", "referral", referral.referral_id)


# --- merchant actions ----------------------------------------------------------------------

def _idempotent(uow: UnitOfWork, command, method: str, result_model, run):
    """Run `run()` once per Idempotency-Key: the key is claimed in the same
    transaction as the effect, so a retry after a crash either finds the
    stored result or does the work for the first time."""
    key = command.idempotency_key
    if key is None:
        return run()
    asked = command.model_dump(mode="json", exclude={"idempotency_key", "actor"})
    fingerprint = hashlib.sha256(json.dumps([method, asked], sort_keys=True).encode()).hexdigest()
    if not repository.claim_idempotency_key(uow.session, command.shop_id, key, fingerprint,
                                            uow.clock.now()):
        record = repository.idempotency_record(uow.session, command.shop_id, key)
        if record.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different request",
                           {"header": "Idempotency-Key"})
        return result_model.model_validate_json(record.result)
    result = run()
    repository.store_idempotent_result(uow.session, command.shop_id, key, result.model_dump(mode="json"))
    return result


def _audit(uow: UnitOfWork, shop_id: str, customer_id: str | None, actor: str, action: str,
           reason: str | None, before: dict | None, after: dict | None) -> None:
    repository.record_audit(uow.session, shop_id=shop_id, customer_id=customer_id, actor=actor,
                            action=action, reason=reason, before=before, after=after,
                            occurred_at=uow.clock.now())


def _activity(uow: UnitOfWork, shop_id: str, activity_id: int) -> Activity:
    return Activity.model_validate(repository.activity(uow.session, shop_id, activity_id)._asdict())


def adjust_points(uow: UnitOfWork, command: Adjustment) -> AdjustmentResult:
    """An admin's signed change with a reason. Taking points away spends
    the oldest available points; it may not take more than is available."""
    def run():
        member = _expire_due_points(uow, _locked_member(uow, command.shop_id, command.customer_id))
        action = domain.adjustment_action(command.reason)
        if command.points > 0:
            settings = repository.program_settings_of(uow.session, command.shop_id)
            activity_id = _credit(uow, member, "adjusted", command.points, action, None,
                                  command.actor, settings)
        else:
            plan = domain.plan_spending(
                repository.lots_of(uow.session, command.shop_id, command.customer_id),
                -command.points, uow.clock.now())
            activity_id = _debit(uow, member, "adjusted", plan, action, None, command.actor)
        after = repository.member(uow.session, command.shop_id, command.customer_id)
        _audit(uow, command.shop_id, command.customer_id, command.actor, "points_adjusted",
               command.reason, {"balance": member.balance},
               {"balance": after.balance, "points": command.points, "activity_id": activity_id})
        return AdjustmentResult(activity=_activity(uow, command.shop_id, activity_id),
                                customer=_profile(uow, after))
    return _idempotent(uow, command, "adjust_points", AdjustmentResult, run)


def redeem_reward(uow: UnitOfWork, command: Redemption) -> RedemptionResult:
    """Spend a reward's cost from the oldest available points and issue its
    discount code."""
    def run():
        member = _locked_member(uow, command.shop_id, command.customer_id)
        if member.status != domain.MEMBER_ACTIVE:
            raise Conflict("this customer is excluded from the program and cannot redeem",
                           {"customer_id": command.customer_id})
        reward = repository.reward(uow.session, command.shop_id, command.reward_id)
        if reward is None or not reward.active:
            raise Unprocessable("no such active reward", [
                {"field": "reward_id", "message": "is not an active reward of this shop"}])
        member = _expire_due_points(uow, member)
        plan = domain.plan_spending(
            repository.lots_of(uow.session, command.shop_id, command.customer_id),
            reward.points_cost, uow.clock.now(), field="reward_id")
        activity_id = _debit(uow, member, "redeemed", plan, domain.redemption_action(reward.name),
                             None, command.actor)
        code = _issue_code(uow, command.shop_id, domain.REWARD_CODE_PREFIX, kind=domain.REDEMPTION,
                           customer_id=member.customer_id, customer_email=member.email,
                           reward_id=reward.id, activity_id=activity_id, value_type=reward.kind,
                           value=reward.value or 0)
        after = repository.member(uow.session, command.shop_id, command.customer_id)
        _audit(uow, command.shop_id, command.customer_id, command.actor, "reward_redeemed", None,
               {"balance": member.balance},
               {"balance": after.balance, "reward_id": reward.id, "points": -reward.points_cost,
                "code": code.code, "activity_id": activity_id})
        return RedemptionResult(
            code=code.code, points_spent=reward.points_cost,
            reward=Reward.model_validate(reward._asdict()), discount_code=code,
            activity=_activity(uow, command.shop_id, activity_id), customer=_profile(uow, after))
    return _idempotent(uow, command, "redeem_reward", RedemptionResult, run)


def reverse_activity(uow: UnitOfWork, command: Reversal) -> Activity:
    """Undo a ledger entry with an opposite one (never by changing it)."""
    original = repository.activity(uow.session, command.shop_id, command.activity_id)
    if original is None:
        raise NotFound(f"point activity {command.activity_id} does not exist",
                       {"activity_id": command.activity_id})
    member = _locked_member(uow, command.shop_id, original.customer_id)
    reference = domain.reference("reversal", original.id)
    refusal = domain.reversal_refusal(
        original.type, original.points, original.reverses_activity_id,
        repository.activity_recorded(uow.session, command.shop_id, "adjusted", reference))
    if refusal:
        raise Conflict(refusal, {"activity_id": original.id})
    member = _expire_due_points(uow, member)
    action = domain.reversal_action(original.action)
    if original.points > 0:
        own_lot = repository.lot_of_activity(uow.session, original.id)
        plan, short = domain.plan_take_back(
            repository.lots_of(uow.session, command.shop_id, original.customer_id),
            original.points, uow.clock.now(), own_lot_id=own_lot.id if own_lot else None)
        if short:
            raise Unprocessable(
                f"cannot reverse: {short} of these {original.points} points are no longer available",
                [{"field": "activity_id", "message": "the points it added have been spent"}])
        activity_id = _debit(uow, member, "adjusted", plan, action, reference, command.actor,
                             reverses=original)
        award = repository.order_award_of_activity(uow.session, command.shop_id, original.id)
        if award is not None:
            repository.mark_award_reversed(uow.session, award, uow.clock.now())
    else:
        if original.type == "redeemed":
            _void_redemption_code(uow, command.shop_id, original.id)
        if original.type == "refunded":
            # Later refunds of the order count from what stands refunded.
            repository.uncount_refund(uow.session, repository.refund_of_activity(
                uow.session, command.shop_id, original.id))
        settings = repository.program_settings_of(uow.session, command.shop_id)
        activity_id = _credit(uow, member, "adjusted", -original.points, action, reference,
                              command.actor, settings, reverses=original)
    after = repository.member(uow.session, command.shop_id, original.customer_id)
    _audit(uow, command.shop_id, original.customer_id, command.actor, "activity_reversed",
           command.reason, {"balance": member.balance, "activity_id": original.id},
           {"balance": after.balance, "activity_id": activity_id})
    return _activity(uow, command.shop_id, activity_id)


def _void_redemption_code(uow: UnitOfWork, shop_id: str, activity_id: int) -> None:
    code = repository.code_of_redemption(uow.session, shop_id, activity_id)
    if code is None or code.status == domain.CODE_VOIDED:
        return
    if code.status == domain.CODE_USED:
        raise Conflict(f"the reward's code {code.code} was already used on order {code.order_id}; "
                       "the redemption cannot be undone", {"activity_id": activity_id})
    repository.mark_code_voided(uow.session, code, uow.clock.now())
    uow.publish(shop_id, DiscountCodeVoided(code=code.code, customer_email=code.customer_email,
                                            referral_id=None, reason="redemption_reversed"))


def set_exclusion(uow: UnitOfWork, command: StatusChange, excluded: bool) -> MemberProfile:
    """Exclude from / re-include in the program; doing it twice changes nothing."""
    member = _locked_member(uow, command.shop_id, command.customer_id)
    status = domain.MEMBER_EXCLUDED if excluded else domain.MEMBER_ACTIVE
    if member.status != status:
        after = repository.update_member(uow.session, member, status=status)
        _audit(uow, command.shop_id, command.customer_id, command.actor,
               "customer_excluded" if excluded else "customer_included", command.reason,
               {"status": member.status}, {"status": status})
        member = after
    return _profile(uow, member)


def update_customer(uow: UnitOfWork, command: ProfileUpdate) -> MemberProfile:
    """Name, birthday and a hand-set VIP tier (null: back to automatic)."""
    member = _locked_member(uow, command.shop_id, command.customer_id)
    changes = command.changes.model_dump(include=command.changes.model_fields_set)
    values = {}
    if "name" in changes:
        values["first_name"], values["last_name"] = domain.split_name(changes["name"])
    if "birthday" in changes:
        values["birthday"] = changes["birthday"]
    if "vip_tier" in changes:
        tier = changes["vip_tier"]
        tiers = repository.program_settings_of(uow.session, command.shop_id).vip_tiers
        if tier is not None and tier not in {t.name for t in tiers}:
            known = ", ".join(t.name for t in tiers) or "none are configured"
            raise Unprocessable("request is not valid", [
                {"field": "vip_tier", "message": f"is not one of the program's tiers ({known})"}])
        values["vip_tier"] = tier
    before = _profile(uow, member)
    after = _profile(uow, repository.update_member(uow.session, member, **values))
    fields = [f for f in ("name", "birthday", "vip_tier", "vip_tier_manual")
              if getattr(before, f) != getattr(after, f)]
    if fields:
        _audit(uow, command.shop_id, command.customer_id, command.actor, "customer_updated", None,
               before.model_dump(mode="json", include=set(fields)),
               after.model_dump(mode="json", include=set(fields)))
    return after


def _rules(settings: domain.ProgramSettings) -> ProgramRules:
    return ProgramRules(
        points_per_currency_unit=settings.points_per_currency_unit, rounding=settings.rounding,
        pending_days=settings.pending_days, expiry_days=settings.expiry_days,
        signup_points=settings.signup_points, birthday_points=settings.birthday_points,
        review_points=settings.review_points,
        photo_review_bonus_points=settings.photo_review_bonus_points,
        google_review_points=settings.google_review_points,
        referrer_reward_points=settings.referrer_reward_points,
        referee_coupon={"type": settings.referee_coupon_type, "value": settings.referee_coupon_value},
        vip_tiers=[{"name": tier.name, "threshold": tier.threshold} for tier in settings.vip_tiers])


def get_program(uow: UnitOfWork, shop_id: str) -> ProgramRules:
    return _rules(repository.program_settings_of(uow.session, shop_id))


def update_program(uow: UnitOfWork, command: ProgramUpdate) -> ProgramRules:
    rules = command.settings
    before = _rules(repository.program_settings_of(uow.session, command.shop_id, lock=True))
    repository.save_program_settings(uow.session, command.shop_id, domain.ProgramSettings(
        **rules.model_dump(exclude={"referee_coupon", "vip_tiers"}),
        referee_coupon_type=rules.referee_coupon.type, referee_coupon_value=rules.referee_coupon.value,
        vip_tiers=tuple(domain.VipTier(tier.name, tier.threshold) for tier in rules.vip_tiers)),
        uow.clock.now())
    after = get_program(uow, command.shop_id)
    _audit(uow, command.shop_id, None, command.actor, "program_updated", None,
           before.model_dump(mode="json"), after.model_dump(mode="json"))
    return after


def list_rewards(uow: UnitOfWork, shop_id: str) -> list[Reward]:
    return [Reward.model_validate(row._asdict()) for row in repository.rewards_of(uow.session, shop_id)]


def create_reward(uow: UnitOfWork, command: RewardCreation) -> Reward:
    row = repository.insert_reward(uow.session, shop_id=command.shop_id,
                                   created_at=uow.clock.now(), **command.reward.model_dump())
    reward = Reward.model_validate(row._asdict())
    _audit(uow, command.shop_id, None, command.actor, "reward_created", None, None,
           reward.model_dump(mode="json"))
    return reward


# --- discount codes -----------------------------------------------------------------------

def _issue_code(uow: UnitOfWork, shop_id: str, prefix: str, **values) -> DiscountCode:
    """A new random code; a clash with an existing one (40 random bits:
    very rare) just draws again."""
    while True:
        code = domain.new_discount_code(prefix)
        if repository.insert_unless_exists(uow.session, discount_codes, shop_id=shop_id, code=code,
                                           status=domain.CODE_ACTIVE, created_at=uow.clock.now(),
                                           **values):
            return DiscountCode.model_validate(repository.discount_code(uow.session, shop_id, code)._asdict())


def void_referral_codes(uow: UnitOfWork, shop_id: str, referral: ReferralCancelled) -> None:
    _void_welcome_codes(uow, shop_id, referral.referral_id, "referral_cancelled")


def void_unclaimed_welcome_code(uow: UnitOfWork, shop_id: str, referral_id: str) -> None:
    """The code of a claim referrals refused after the code was issued (a
    concurrent claim of the same mailbox won): no referral owns it."""
    _void_welcome_codes(uow, shop_id, referral_id, "claim_refused")


def _void_welcome_codes(uow: UnitOfWork, shop_id: str, referral_id: str, reason: str) -> None:
    now = uow.clock.now()
    for row in repository.active_welcome_codes_of_referral(uow.session, shop_id, referral_id):
        repository.mark_code_voided(uow.session, row, now)
        uow.publish(shop_id, DiscountCodeVoided(
            code=row.code, customer_email=row.customer_email, referral_id=row.referral_id,
            reason=reason))


def issue_referral_welcome_code(uow: UnitOfWork, shop_id: str, referral_id: str,
                                referee_email: str) -> DiscountCode:
    """The referral's welcome code, made on the first call with the program's
    current coupon value; every later call returns the same code."""
    settings = repository.program_settings_of(uow.session, shop_id)
    existing = repository.welcome_code_of_referral(uow.session, shop_id, referral_id)
    while existing is None:
        # A conflict is either a concurrent call for this referral (then its
        # code is returned) or, very rarely, a random code already taken.
        repository.insert_unless_exists(
            uow.session, discount_codes, shop_id=shop_id,
            code=domain.new_discount_code(domain.WELCOME_CODE_PREFIX),
            kind=domain.REFERRAL_WELCOME, customer_email=referee_email, referral_id=referral_id,
            status=domain.CODE_ACTIVE, value_type=settings.referee_coupon_type,
            value=settings.referee_coupon_value, created_at=uow.clock.now())
        existing = repository.welcome_code_of_referral(uow.session, shop_id, referral_id)
    return DiscountCode.model_validate(existing._asdict())


# --- queries ----------------------------------------------------------------------------------

def _activities(result: dict) -> dict:
    return {"items": [Activity.model_validate(row._asdict()) for row in result["items"]],
            "next_cursor": result["next_cursor"]}


def list_activities(uow: UnitOfWork, query: ActivitiesQuery) -> dict:
    return _activities(repository.activities_page(uow.session, query))


def list_customer_activities(uow: UnitOfWork, query: CustomerActivitiesQuery) -> dict:
    if repository.member(uow.session, query.shop_id, query.customer_id) is None:
        raise NotFound(f"customer {query.customer_id} is not a member of this shop",
                       {"customer_id": query.customer_id})
    return _activities(repository.customer_activities_page(
        uow.session, query.shop_id, query.customer_id, query))


def _profile(uow: UnitOfWork, member: Row, lots: list | None = None,
             settings: domain.ProgramSettings | None = None) -> MemberProfile:
    now = uow.clock.now()
    if lots is None:
        lots = repository.lots_of(uow.session, member.shop_id, member.customer_id)
    settings = settings or repository.program_settings_of(uow.session, member.shop_id)
    expiry = domain.next_expiry(lots, now)
    return MemberProfile.model_validate(dict(
        member._asdict(), name=domain.display_name(member.first_name, member.last_name),
        member_since=member.created_at,
        vip_tier=domain.vip_tier(member.vip_tier, member.lifetime_earned, settings.vip_tiers),
        vip_tier_manual=member.vip_tier is not None,
        pending_points=domain.pending_points(lots, now),
        available_points=domain.available_points(lots, now),
        next_expiry={"points": expiry[0], "date": expiry[1]} if expiry else None))


def list_customers(uow: UnitOfWork, query: CustomersQuery) -> dict:
    result = repository.members_page(uow.session, query.shop_id, query.q, query)
    lots = repository.lots_of_members(uow.session, query.shop_id,
                                      [row.customer_id for row in result["items"]])
    settings = repository.program_settings_of(uow.session, query.shop_id)
    return {"items": [_profile(uow, row, lots[row.customer_id], settings) for row in result["items"]],
            "next_cursor": result["next_cursor"]}


def get_customer(uow: UnitOfWork, shop_id: str, customer_id: str) -> CustomerDetail:
    member = repository.member(uow.session, shop_id, customer_id)
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of this shop",
                       {"customer_id": customer_id})
    recent = repository.customer_activities_page(
        uow.session, shop_id, customer_id, CustomerActivitiesQuery(
            shop_id=shop_id, customer_id=customer_id, limit=RECENT_ACTIVITIES))
    return CustomerDetail.model_validate(dict(
        _profile(uow, member).model_dump(),
        recent_activities=[row._asdict() for row in recent["items"]]))


def find_member_by_email(uow: UnitOfWork, shop_id: str, email: str) -> MemberProfile | None:
    member = repository.member_by_email(uow.session, shop_id, email)
    return None if member is None else _profile(uow, member)


def list_audit_log(uow: UnitOfWork, query: AuditQuery) -> dict:
    result = repository.audit_page(uow.session, query.shop_id, query.customer_id, query)
    return {"items": [AuditEntry.model_validate(row._asdict()) for row in result["items"]],
            "next_cursor": result["next_cursor"]}


def get_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCode:
    row = repository.discount_code(uow.session, shop_id, code)
    if row is None:
        raise NotFound(f"discount code {code} does not exist")
    return DiscountCode.model_validate(row._asdict())


def check_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCodeCheck:
    row = repository.discount_code(uow.session, shop_id, code)
    valid, reason = domain.code_validity(None if row is None else row.status)
    return DiscountCodeCheck(
        code=domain.normalize_code(code), valid=valid, reason=reason,
        value_type=None if row is None else row.value_type, value=None if row is None else row.value)
