"""Idempotency-Key on a command (points' spending admin actions, webhooks'
subscriptions): the key is claimed in the same transaction as the effect,
so a retry after a crash either answers what the first request answered or
does the work for the first time; the same key with another request is a
409, never someone else's answer."""

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Text, select, update

from shared.db import UnitOfWork, UTCDateTime, must_exist
from shared.errors import Conflict
from shared.upserts import insert_unless_exists

AnswerT = TypeVar("AnswerT", bound=BaseModel)


def idempotency_keys_table(metadata: MetaData) -> Table:
    """A service's table of the keys it has seen, per shop."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("shop_id", String(64), primary_key=True),
        Column("key", String(200), primary_key=True),
        # What was asked (command and arguments, hashed): the same key for
        # another request is refused rather than answered with this one's result.
        Column("fingerprint", String(64), nullable=False),
        Column("result", Text),  # the first answer as JSON (run_once's `stored`)
        Column("created_at", UTCDateTime, nullable=False),
    )


def run_once(
    uow: UnitOfWork,
    keys: Table,
    shop_id: str,
    key: str | None,
    asked: list[Any],
    run: Callable[[], AnswerT],
    replay: Callable[[dict[str, Any]], AnswerT],
    stored: Callable[[AnswerT], dict[str, Any]] = lambda answer: answer.model_dump(mode="json"),
) -> AnswerT:
    """`run()` once per key (no key: every time). `asked` is the command
    and its arguments as JSON values; `stored(answer)` what is kept of the
    first answer (e.g. without a secret) and `replay(kept)` the answer a
    retry gets from it. On PostgreSQL a concurrent first request with the
    key waits on the claim until the other commits (or rolls back)."""
    if key is None:
        return run()
    fingerprint = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()
    if not insert_unless_exists(
        uow.session, keys, shop_id=shop_id, key=key, fingerprint=fingerprint, created_at=uow.clock.now()
    ):
        record = must_exist(
            uow.session.execute(select(keys).where(keys.c.shop_id == shop_id, keys.c.key == key)).first(),
            f"Idempotency-Key {key}",
        )
        if record.fingerprint != fingerprint:
            raise Conflict(
                "this Idempotency-Key was already used for a different request", {"header": "Idempotency-Key"}
            )
        return replay(json.loads(record.result))
    answer = run()
    uow.session.execute(
        update(keys)
        .where(keys.c.shop_id == shop_id, keys.c.key == key)
        .values(result=json.dumps(stored(answer)))
    )
    return answer
