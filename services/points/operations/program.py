"""The program's rules and its rewards catalog, as the merchant sets them."""
from shared.db import UnitOfWork
from shared.points_api import ProgramRules

from services.points import domain, repository
from services.points.operations import commands
from services.points.schemas import ProgramUpdate, Reward, RewardCreation


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
    commands.audit(uow, command.shop_id, None, command.actor, "program_updated", None,
                   before.model_dump(mode="json"), after.model_dump(mode="json"))
    return after


def list_rewards(uow: UnitOfWork, shop_id: str) -> list[Reward]:
    return [Reward.model_validate(row._asdict()) for row in repository.rewards_of(uow.session, shop_id)]


def create_reward(uow: UnitOfWork, command: RewardCreation) -> Reward:
    row = repository.insert_reward(uow.session, shop_id=command.shop_id,
                                   created_at=uow.clock.now(), **command.reward.model_dump())
    reward = Reward.model_validate(row._asdict())
    commands.audit(uow, command.shop_id, None, command.actor, "reward_created", None, None,
                   reward.model_dump(mode="json"))
    return reward
