"""Imports of balances and their staged rows (models.point_imports): made,
staged, claimed a batch at a time, settled, and read back for the merchant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.points.models import point_import_rows, point_imports
from shared.db import insert_row

UPLOADING, RUNNING, DONE, FAILED = "uploading", "running", "done", "failed"
PENDING = "pending"  # applied rows are dropped (settle_rows)


def create_import(
    session: Session, import_id: str, shop_id: str, file_name: str | None, actor: str, now: datetime
) -> None:
    insert_row(
        session,
        point_imports,
        id=import_id,
        shop_id=shop_id,
        status=UPLOADING,
        file_name=file_name,
        rows_total=0,
        rows_done=0,
        rows_failed=0,
        failures=0,
        actor=actor,
        created_at=now,
    )


def import_of(session: Session, shop_id: str, import_id: str, lock: bool = False) -> Row | None:
    query = select(point_imports).where(point_imports.c.shop_id == shop_id, point_imports.c.id == import_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).first()


def import_of_file(session: Session, shop_id: str, file_sha256: str) -> Row | None:
    return session.execute(
        select(point_imports).where(
            point_imports.c.shop_id == shop_id, point_imports.c.file_sha256 == file_sha256
        )
    ).first()


def imports_of_shop(session: Session, shop_id: str, limit: int) -> Sequence[Row]:
    """Newest first."""
    return session.execute(
        select(point_imports)
        .where(point_imports.c.shop_id == shop_id)
        .order_by(point_imports.c.created_at.desc(), point_imports.c.id.desc())
        .limit(limit)
    ).all()


def stage_rows(session: Session, import_id: str, rows: list[dict]) -> None:
    """Rows as checked: each with its `line`, `state` and, when valid, values."""
    if rows:
        session.execute(insert(point_import_rows), [{"import_id": import_id, **row} for row in rows])


def staged_counts(session: Session, import_id: str) -> tuple[int, int]:
    """(rows staged, rows found invalid) so far."""
    total, failed = session.execute(
        select(func.count(), func.count().filter(point_import_rows.c.state == FAILED)).where(
            point_import_rows.c.import_id == import_id
        )
    ).one()
    return total, failed


def start_import(
    session: Session, import_id: str, file_sha256: str, rows_total: int, rows_failed: int
) -> bool:
    """The upload complete, its rows may apply; False if the shop has an
    import of the same file already (one that finished in the meantime)."""
    try:
        with session.begin_nested():  # a unique violation undoes this alone
            session.execute(
                update(point_imports)
                .where(point_imports.c.id == import_id)
                .values(
                    status=RUNNING, file_sha256=file_sha256, rows_total=rows_total, rows_failed=rows_failed
                )
            )
    except IntegrityError:
        return False
    return True


def finish_import(session: Session, import_id: str, now: datetime) -> Row | None:
    """Mark a running import done; the import, or None if it was not
    running (another replica closed it first)."""
    return session.execute(
        update(point_imports)
        .where(point_imports.c.id == import_id, point_imports.c.status == RUNNING)
        .values(status=DONE, finished_at=now)
        .returning(*point_imports.c)
    ).first()


def count_failure(session: Session, import_id: str, max_failures: int, now: datetime) -> None:
    """One more run failed to apply the import; at `max_failures` it is failed."""
    session.execute(
        update(point_imports)
        .where(point_imports.c.id == import_id, point_imports.c.status == RUNNING)
        .values(failures=point_imports.c.failures + 1)
    )
    session.execute(
        update(point_imports)
        .where(
            point_imports.c.id == import_id,
            point_imports.c.status == RUNNING,
            point_imports.c.failures >= max_failures,
        )
        .values(status=FAILED, finished_at=now)
    )


def discard_import(session: Session, import_id: str) -> None:
    session.execute(delete(point_import_rows).where(point_import_rows.c.import_id == import_id))
    session.execute(delete(point_imports).where(point_imports.c.id == import_id))


def discard_uploads_before(session: Session, before: datetime) -> None:
    """Drop the uploads begun before `before` that never finished; one being
    finished or staged to right now (locked) is left alone."""
    stale = (
        session.execute(
            select(point_imports.c.id)
            .where(point_imports.c.status == UPLOADING, point_imports.c.created_at < before)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if stale:
        session.execute(delete(point_import_rows).where(point_import_rows.c.import_id.in_(stale)))
        session.execute(delete(point_imports).where(point_imports.c.id.in_(stale)))


def running_imports(session: Session) -> Sequence[Row]:
    """Every shop's imports with rows to apply, oldest first."""
    return session.execute(
        select(point_imports).where(point_imports.c.status == RUNNING).order_by(point_imports.c.created_at)
    ).all()


def claim_import(session: Session, shop_id: str, import_id: str) -> Row | None:
    """The import, locked for this transaction; None while another
    replica's applier holds it (SKIP LOCKED: it goes on with another)."""
    return session.execute(
        select(point_imports)
        .where(point_imports.c.shop_id == shop_id, point_imports.c.id == import_id)
        .with_for_update(skip_locked=True)
    ).first()


def pending_rows(session: Session, import_id: str, limit: int) -> Sequence[Row]:
    """The next rows to apply, in file order (the caller has claimed the import)."""
    return session.execute(
        select(point_import_rows)
        .where(point_import_rows.c.import_id == import_id, point_import_rows.c.state == PENDING)
        .order_by(point_import_rows.c.line)
        .limit(limit)
    ).all()


def has_pending_rows(session: Session, import_id: str) -> bool:
    return session.execute(
        select(
            exists().where(point_import_rows.c.import_id == import_id, point_import_rows.c.state == PENDING)
        )
    ).scalar_one()


def settle_rows(session: Session, import_id: str, applied: list[int], failed: list[tuple[int, str]]) -> None:
    """Settle rows in the transaction that applied them: an applied row is
    dropped (its balance is in the ledger now, and the customer's data has
    no reason to stay here), a failed one kept with why, for the report;
    both counted on the import."""
    if applied:
        session.execute(
            delete(point_import_rows).where(
                point_import_rows.c.import_id == import_id, point_import_rows.c.line.in_(applied)
            )
        )
    if failed:
        session.execute(
            update(point_import_rows)
            .where(
                and_(
                    point_import_rows.c.import_id == import_id,
                    point_import_rows.c.line == bindparam("row_line"),
                )
            )
            .values(state=FAILED, error=bindparam("why")),
            [{"row_line": line, "why": why} for line, why in failed],
        )
    session.execute(
        update(point_imports)
        .where(point_imports.c.id == import_id)
        .values(
            rows_done=point_imports.c.rows_done + len(applied),
            rows_failed=point_imports.c.rows_failed + len(failed),
        )
    )


def failed_rows(session: Session, import_id: str, limit: int) -> Sequence[Row]:
    """The bad rows, by line."""
    return session.execute(
        select(point_import_rows.c.line, point_import_rows.c.error)
        .where(point_import_rows.c.import_id == import_id, point_import_rows.c.state == FAILED)
        .order_by(point_import_rows.c.line)
        .limit(limit)
    ).all()
