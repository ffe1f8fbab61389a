"""The program's rules and its rewards catalog, as the merchant sets them."""

from services.points import repository
from services.points.operations import commands
from services.points.schemas import ProgramUpdate, Reward, RewardCreation
from shared.db import UnitOfWork
from shared.points_api import ProgramRules


def get_program(uow: UnitOfWork, shop_id: str) -> ProgramRules:
    return repository.program.program_settings_of(uow.session, shop_id)


def update_program(uow: UnitOfWork, command: ProgramUpdate) -> ProgramRules:
    """The merchant's document replaces the stored one whole; the answer is
    the document as stored."""
    before = repository.program.program_settings_of(uow.session, command.shop_id, lock=True)
    repository.program.save_program_settings(uow.session, command.shop_id, command.settings, uow.clock.now())
    commands.audit(
        uow,
        command.shop_id,
        None,
        command.actor,
        "program_updated",
        None,
        before.model_dump(mode="json"),
        command.settings.model_dump(mode="json"),
    )
    return command.settings


def list_rewards(uow: UnitOfWork, shop_id: str) -> list[Reward]:
    return [
        Reward.model_validate(row._asdict()) for row in repository.program.rewards_of(uow.session, shop_id)
    ]


def create_reward(uow: UnitOfWork, command: RewardCreation) -> Reward:
    row = repository.program.insert_reward(
        uow.session, shop_id=command.shop_id, created_at=uow.clock.now(), **command.reward.model_dump()
    )
    reward = Reward.model_validate(row._asdict())
    commands.audit(
        uow,
        command.shop_id,
        None,
        command.actor,
        "reward_created",
        None,
        None,
        reward.model_dump(mode="json"),
    )
    return reward
