"""A member's VIP tier as a fact (SPEC §7 "Tier changes"): stored on the
member (`current_tier`), worked out again under the member's row lock after
every ledger entry and every tier an admin sets or clears, and each real
change recorded (`tier_changes`, the timeline's tier items) and announced
(`member_tier_changed`) in the transaction that made it.

A new program (other thresholds) moves nobody at once: each member's tier
follows it at their next ledger entry (docs/points.md)."""

from typing import get_args

from sqlalchemy.engine import Row

from services.points import domain, repository
from shared.db import UnitOfWork
from shared.events import MemberTierChanged, TierChangeReason
from shared.points_api import VipTier

# A ledger entry that moves a tier names the change after its own type.
_ENTRY_REASONS: dict[str, TierChangeReason] = {reason: reason for reason in get_args(TierChangeReason)}


def settle_tier(
    uow: UnitOfWork,
    member: Row,
    tier: str | None,
    reason: TierChangeReason,
    actor: str,
    activity_id: int | None = None,
) -> None:
    """Make `tier` the locked member's tier (`member` as it was before the
    change): if it is another one than theirs, record and announce the change."""
    if tier == member.current_tier:
        return
    repository.tiers.record_tier_change(
        uow.session, member, tier, reason, actor, activity_id, uow.clock.now()
    )
    repository.members.update_member(uow.session, member, current_tier=tier)
    uow.publish(
        member.shop_id,
        MemberTierChanged(
            customer_id=member.customer_id, from_tier=member.current_tier, to_tier=tier, reason=reason
        ),
    )


def follow_entry(
    uow: UnitOfWork,
    member: Row,
    posting: domain.Posting,
    activity_type: str,
    reverses: Row | None,
    actor: str,
    activity_id: int,
    tiers: list[VipTier],
) -> None:
    """The tier after a ledger entry moved the locked member's totals
    (`member` as it was before the entry), under today's thresholds."""
    tier = domain.vip_tier(member.vip_tier, posting.totals.lifetime_earned, tiers)
    reason: TierChangeReason = "reversed" if reverses is not None else _ENTRY_REASONS[activity_type]
    settle_tier(uow, member, tier, reason, actor, activity_id)
