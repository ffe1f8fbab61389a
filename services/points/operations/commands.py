"""The merchant's commands on a member: adjustments, redemptions, reversals,
exclusion and profile edits; each audited, the spending ones idempotent."""

from services.points import domain, repository
from services.points.models import idempotency_keys
from services.points.operations import codes, ledger, tiers, views
from services.points.schemas import (
    Activity,
    Adjustment,
    AdjustmentResult,
    MemberProfile,
    ProfileUpdate,
    Redemption,
    RedemptionResult,
    Reversal,
    Reward,
    StatusChange,
)
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import MemberExcluded, MemberIncluded
from shared.idempotency import run_once


def _idempotent(uow: UnitOfWork, command, method: str, result_model, run):
    """`run()` once per Idempotency-Key (shared.idempotency)."""
    asked = command.model_dump(mode="json", exclude={"idempotency_key", "actor"})
    return run_once(
        uow,
        idempotency_keys,
        command.shop_id,
        command.idempotency_key,
        [method, asked],
        run,
        result_model.model_validate,
    )


def audit(
    uow: UnitOfWork,
    shop_id: str,
    customer_id: str | None,
    actor: str,
    action: str,
    reason: str | None,
    before: dict | None,
    after: dict | None,
) -> None:
    repository.audit.record_audit(
        uow.session,
        shop_id=shop_id,
        customer_id=customer_id,
        actor=actor,
        action=action,
        reason=reason,
        before=before,
        after=after,
        occurred_at=uow.clock.now(),
    )


def adjust_points(uow: UnitOfWork, command: Adjustment) -> AdjustmentResult:
    """An admin's signed change with a reason. Taking points away spends
    the oldest available points; it may not take more than is available."""

    def run():
        member = ledger.expire_due_points(
            uow, ledger.locked_member(uow, command.shop_id, command.customer_id)
        )
        action = domain.adjustment_action(command.reason)
        if command.points > 0:
            settings = repository.program.program_settings_of(uow.session, command.shop_id)
            activity_id = ledger.credit(
                uow, member, "adjusted", command.points, action, None, command.actor, settings
            )
        else:
            plan = domain.plan_spending(
                repository.lots.lots_of(uow.session, command.shop_id, command.customer_id),
                -command.points,
                uow.clock.now(),
            )
            activity_id = ledger.debit(uow, member, "adjusted", plan, action, None, command.actor)
        after = repository.members.known_member(uow.session, command.shop_id, command.customer_id)
        audit(
            uow,
            command.shop_id,
            command.customer_id,
            command.actor,
            "points_adjusted",
            command.reason,
            {"balance": member.balance},
            {"balance": after.balance, "points": command.points, "activity_id": activity_id},
        )
        return AdjustmentResult(
            activity=views.activity(uow, command.shop_id, activity_id), customer=views.profile(uow, after)
        )

    return _idempotent(uow, command, "adjust_points", AdjustmentResult, run)


def redeem_reward(uow: UnitOfWork, command: Redemption) -> RedemptionResult:
    """Spend a reward's cost from the oldest available points and issue its
    discount code."""

    def run():
        member = ledger.locked_member(uow, command.shop_id, command.customer_id)
        if member.status != domain.MEMBER_ACTIVE:
            raise Conflict(
                "this customer is excluded from the program and cannot redeem",
                {"customer_id": command.customer_id},
            )
        reward = repository.program.reward(uow.session, command.shop_id, command.reward_id)
        if reward is None or not reward.active:
            raise Unprocessable(
                "no such active reward",
                [{"field": "reward_id", "message": "is not an active reward of this shop"}],
            )
        member = ledger.expire_due_points(uow, member)
        plan = domain.plan_spending(
            repository.lots.lots_of(uow.session, command.shop_id, command.customer_id),
            reward.points_cost,
            uow.clock.now(),
            field="reward_id",
        )
        activity_id = ledger.debit(
            uow, member, "redeemed", plan, domain.redemption_action(reward.name), None, command.actor
        )
        code = codes.issue_code(
            uow,
            command.shop_id,
            domain.REWARD_CODE_PREFIX,
            kind=domain.REDEMPTION,
            customer_id=member.customer_id,
            customer_email=member.email,
            reward_id=reward.id,
            activity_id=activity_id,
            value_type=reward.kind,
            value=reward.value or 0,
        )
        after = repository.members.known_member(uow.session, command.shop_id, command.customer_id)
        audit(
            uow,
            command.shop_id,
            command.customer_id,
            command.actor,
            "reward_redeemed",
            None,
            {"balance": member.balance},
            {
                "balance": after.balance,
                "reward_id": reward.id,
                "points": -reward.points_cost,
                "code": code.code,
                "activity_id": activity_id,
            },
        )
        return RedemptionResult(
            code=code.code,
            points_spent=reward.points_cost,
            reward=Reward.model_validate(reward._asdict()),
            discount_code=code,
            activity=views.activity(uow, command.shop_id, activity_id),
            customer=views.profile(uow, after),
        )

    return _idempotent(uow, command, "redeem_reward", RedemptionResult, run)


def reverse_activity(uow: UnitOfWork, command: Reversal) -> Activity:
    """Undo a ledger entry with an opposite one (never by changing it)."""
    original = repository.ledger.activity(uow.session, command.shop_id, command.activity_id)
    if original is None:
        raise NotFound(
            f"point activity {command.activity_id} does not exist", {"activity_id": command.activity_id}
        )
    member = ledger.locked_member(uow, command.shop_id, original.customer_id)
    reference = domain.reference("reversal", original.id)
    refusal = domain.reversal_refusal(
        original.type,
        original.points,
        original.reverses_activity_id,
        repository.ledger.activity_recorded(uow.session, command.shop_id, "adjusted", reference),
    )
    if refusal:
        raise Conflict(refusal, {"activity_id": original.id})
    member = ledger.expire_due_points(uow, member)
    action = domain.reversal_action(original.action)
    if original.points > 0:
        own_lot = repository.lots.lot_of_activity(uow.session, original.id)
        plan, short = domain.plan_take_back(
            repository.lots.lots_of(uow.session, command.shop_id, original.customer_id),
            original.points,
            uow.clock.now(),
            own_lot_id=own_lot.id if own_lot else None,
        )
        if short:
            raise Unprocessable(
                f"cannot reverse: {short} of these {original.points} points are no longer available",
                [{"field": "activity_id", "message": "the points it added have been spent"}],
            )
        activity_id = ledger.debit(
            uow, member, "adjusted", plan, action, reference, command.actor, reverses=original
        )
        award = repository.orders.order_award_of_activity(uow.session, command.shop_id, original.id)
        if award is not None:
            repository.orders.mark_award_reversed(uow.session, award, uow.clock.now())
    else:
        if original.type == "redeemed":
            codes.void_redemption_code(uow, command.shop_id, original.id)
        if original.type == "refunded":
            # Later refunds of the order count from what stands refunded.
            refund = repository.orders.refund_of_activity(uow.session, command.shop_id, original.id)
            repository.orders.uncount_refund(
                uow.session, must_exist(refund, f"refund of activity {original.id}")
            )
        settings = repository.program.program_settings_of(uow.session, command.shop_id)
        activity_id = ledger.credit(
            uow,
            member,
            "adjusted",
            -original.points,
            action,
            reference,
            command.actor,
            settings,
            reverses=original,
        )
    after = repository.members.known_member(uow.session, command.shop_id, original.customer_id)
    audit(
        uow,
        command.shop_id,
        original.customer_id,
        command.actor,
        "activity_reversed",
        command.reason,
        {"balance": member.balance, "activity_id": original.id},
        {"balance": after.balance, "activity_id": activity_id},
    )
    return views.activity(uow, command.shop_id, activity_id)


def set_exclusion(uow: UnitOfWork, command: StatusChange, excluded: bool) -> MemberProfile:
    """Exclude from / re-include in the program; doing it twice changes nothing."""
    member = ledger.locked_member(uow, command.shop_id, command.customer_id)
    status = domain.MEMBER_EXCLUDED if excluded else domain.MEMBER_ACTIVE
    if member.status != status:
        after = repository.members.update_member(uow.session, member, status=status)
        repository.daily_totals.count_exclusion(uow.session, command.shop_id, excluded, uow.clock.now())
        audit(
            uow,
            command.shop_id,
            command.customer_id,
            command.actor,
            "customer_excluded" if excluded else "customer_included",
            command.reason,
            {"status": member.status},
            {"status": status},
        )
        change = MemberExcluded if excluded else MemberIncluded
        uow.publish(command.shop_id, change(customer_id=command.customer_id, reason=command.reason))
        member = after
    return views.profile(uow, member)


def update_customer(uow: UnitOfWork, command: ProfileUpdate) -> MemberProfile:
    """Name, birthday and a hand-set VIP tier (null: back to automatic); a
    tier that changes by it is recorded and announced as any other."""
    member = ledger.locked_member(uow, command.shop_id, command.customer_id)
    changes = command.changes.model_dump(include=command.changes.model_fields_set)
    values = {}
    if "name" in changes:
        values["first_name"], values["last_name"] = domain.split_name(changes["name"])
    if "birthday" in changes:
        values["birthday"] = changes["birthday"]
    before = views.profile(uow, member)
    if "vip_tier" in changes:
        manual_tier = changes["vip_tier"]
        program_tiers = repository.program.program_settings_of(uow.session, command.shop_id).vip_tiers
        if manual_tier is not None and manual_tier not in {t.name for t in program_tiers}:
            known = ", ".join(t.name for t in program_tiers) or "none are configured"
            raise Unprocessable(
                "request is not valid",
                [{"field": "vip_tier", "message": f"is not one of the program's tiers ({known})"}],
            )
        values["vip_tier"] = manual_tier
        # Cleared: back to the tier lifetime points reach under today's thresholds.
        tiers.settle_tier(
            uow,
            member,
            domain.vip_tier(manual_tier, member.lifetime_earned, program_tiers),
            "manual_set" if manual_tier is not None else "manual_unset",
            command.actor,
        )
    after = views.profile(uow, repository.members.update_member(uow.session, member, **values))
    fields = [
        f
        for f in ("name", "birthday", "vip_tier", "vip_tier_manual")
        if getattr(before, f) != getattr(after, f)
    ]
    if fields:
        audit(
            uow,
            command.shop_id,
            command.customer_id,
            command.actor,
            "customer_updated",
            None,
            before.model_dump(mode="json", include=set(fields)),
            after.model_dump(mode="json", include=set(fields)),
        )
    return after
