"""Alembic, per service: each service keeps its own `migrations/` folder whose
env.py calls `run_migrations(metadata)`; services upgrade to head on start.

`main()` upgrades one service's database to head in a child process, as
`loyalty serve` has it do (shared.database)."""

import logging
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from eventlet.semaphore import Semaphore
from sqlalchemy import MetaData, create_engine, pool, text

from shared import config, logs
from shared.db import make_engine

log = logging.getLogger(__name__)


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# alembic's `context` is process-global: services started in one process
# (tests, `loyalty run`) must migrate one at a time, or a green thread that
# yields on a PostgreSQL query has its context swapped under it.
_MIGRATING = Semaphore(1)


def upgrade_to_head(migrations_dir: Path, url: str) -> None:
    with _MIGRATING:
        command.upgrade(alembic_config(migrations_dir, url), "head")


def _log_applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    # alembic's own INFO lines are silenced (shared.logs): say what changed.
    log.info("applied migration %s (%s)", step.up_revision_id, "up" if step.is_upgrade else "down")


def run_migrations(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic was run without sqlalchemy.url; migrate through upgrade_to_head()")
    engine = make_engine(url) if url.startswith("sqlite") else create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several replicas may start at once: one migrates, the rest wait.
            connection.execute(text("SELECT pg_advisory_lock(7246001)"))
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                on_version_apply=_log_applied,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(7246001)"))
                connection.commit()
    engine.dispose()


def main() -> None:
    logs.configure(os.environ[config.MIGRATE_SERVICE_ENV])
    upgrade_to_head(Path(os.environ[config.MIGRATE_DIR_ENV]), os.environ[config.MIGRATE_URL_ENV])
