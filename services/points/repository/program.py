"""The program: its settings (the rules document an admin edits) and the
rewards members redeem points for."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points.models import program_settings, rewards
from shared.db import inserted_id, must_exist
from shared.points_api import ProgramRules
from shared.upserts import insert_unless_exists

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
