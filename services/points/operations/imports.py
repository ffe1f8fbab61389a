"""Importing balances from another loyalty app (SPEC §7 "Importing balances").

The gateway streams the merchant's file here in batches (`stage_rows`):
each row is checked as it arrives and kept by its line, valid or not. When
the whole file has arrived (`finish_upload`) the import runs: the timer
applies its rows a batch at a time (`apply_imports`), each batch in one
transaction with the rows' new states, so an interrupted import resumes
where it stopped and no row counts twice; the same file posted again (same
SHA-256) is the same import and applies nothing more.

A row credits its points (or takes them, when negative) as an `adjusted`
entry with the reason "Imported balance", makes the member if they are new
(with the row's email, name and birthday), fills in a known member's
missing profile fields and, when `vip_tier` is given, sets their tier by
hand. A row that cannot apply (an unknown tier, more points taken than
there are) fails alone, changing nothing, with its line and why.
Credits, nearly every row of a real file, are written for the whole batch
at once (ledger.credit_many): 100,000 rows must apply within a minute."""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.engine import Row

from services.points import domain, repository
from services.points.operations import commands, ledger, tiers
from services.points.repository.imports import FAILED, PENDING, UPLOADING
from services.points.schemas import CsvRow, ImportRef, ImportStart, ShopRef, StagedRows, UploadFinished
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound, Unprocessable, validation_details
from shared.imports_api import (
    IMPORT_REASON,
    MAX_REPORTED_ERRORS,
    ImportRow,
    ImportRowError,
    ImportStarted,
    PointsImport,
    PointsImportList,
    PointsImportSummary,
)

log = logging.getLogger(__name__)

BATCH_ROWS = 500
# Runs in a row whose batch failed before an import is given up as failed.
MAX_FAILURES = 5
LISTED_IMPORTS = 20
# An upload that stopped arriving this long ago lost its sender (a gateway
# killed mid-file): nothing of it was applied, and nobody got its id.
ABANDONED_UPLOAD_AGE = timedelta(hours=1)
_ROW_FIELDS = tuple(ImportRow.model_fields)


# --- the upload -------------------------------------------------------------------------


def begin_import(uow: UnitOfWork, start: ImportStart) -> ImportStarted:
    import_id = str(uuid.uuid4())
    repository.imports.create_import(
        uow.session, import_id, start.shop_id, start.file_name, start.actor, uow.clock.now()
    )
    return ImportStarted(id=import_id)


def stage_rows(uow: UnitOfWork, staged: StagedRows) -> None:
    _uploading(uow, staged)
    repository.imports.stage_rows(
        uow.session, staged.import_id, [_checked(staged.header, row) for row in staged.rows]
    )


def finish_upload(uow: UnitOfWork, finished: UploadFinished) -> ImportStarted:
    """The whole file arrived: it runs, unless the same file was imported
    before, which it then is (this upload is dropped)."""
    _uploading(uow, finished)
    earlier = repository.imports.import_of_file(uow.session, finished.shop_id, finished.file_sha256)
    if earlier is not None:
        repository.imports.discard_import(uow.session, finished.import_id)
        return ImportStarted(id=earlier.id)
    total, failed = repository.imports.staged_counts(uow.session, finished.import_id)
    if not repository.imports.start_import(
        uow.session, finished.import_id, finished.file_sha256, rows_total=total, rows_failed=failed
    ):  # the same file, posted at the same time, finished first
        earlier = must_exist(
            repository.imports.import_of_file(uow.session, finished.shop_id, finished.file_sha256),
            f"the import of file {finished.file_sha256}",
        )
        repository.imports.discard_import(uow.session, finished.import_id)
        return ImportStarted(id=earlier.id)
    return ImportStarted(id=finished.import_id)


def discard_upload(uow: UnitOfWork, ref: ImportRef) -> None:
    """The file was refused or stopped arriving: nothing of it stays."""
    found = repository.imports.import_of(uow.session, ref.shop_id, ref.import_id, lock=True)
    if found is not None and found.status == UPLOADING:
        repository.imports.discard_import(uow.session, ref.import_id)


def _import(uow: UnitOfWork, ref: ImportRef, lock: bool = False) -> Row:
    found = repository.imports.import_of(uow.session, ref.shop_id, ref.import_id, lock=lock)
    if found is None:
        raise NotFound(f"no import {ref.import_id}", {"import_id": ref.import_id})
    return found


def _uploading(uow: UnitOfWork, ref: ImportRef) -> Row:
    found = _import(uow, ref, lock=True)
    if found.status != UPLOADING:
        raise Conflict("this import's file has already arrived", {"import_id": ref.import_id})
    return found


def _checked(header: list[str], row: CsvRow) -> dict:
    """A staged row: its values when valid, else why not."""
    staged: dict = dict.fromkeys(_ROW_FIELDS) | {"line": row.line, "state": PENDING, "error": None}
    count = row.value_count if row.value_count is not None else len(row.values)
    if count != len(header):
        return staged | {
            "state": FAILED,
            "error": f"has {count} values where the header names {len(header)} columns",
        }
    # A column without a name (a trailing comma in an export) is left out.
    values = {name: value for name, value in zip(header, row.values, strict=True) if name}
    try:
        valid = ImportRow.model_validate(values)
    except ValidationError as exc:
        why = "; ".join(f"{d['field']}: {d['message']}" for d in validation_details(exc))
        return staged | {"state": FAILED, "error": why[:1000]}
    return staged | valid.model_dump()


# --- what the merchant sees -------------------------------------------------------------


def get_import(uow: UnitOfWork, ref: ImportRef) -> PointsImport:
    found = _import(uow, ref)
    errors = repository.imports.failed_rows(uow.session, found.id, MAX_REPORTED_ERRORS)
    return PointsImport(
        **_summary(uow, found).model_dump(),
        errors=[ImportRowError(row=line, message=error) for line, error in errors],
    )


def list_imports(uow: UnitOfWork, ref: ShopRef) -> PointsImportList:
    return PointsImportList(
        items=[
            _summary(uow, found)
            for found in repository.imports.imports_of_shop(uow.session, ref.shop_id, LISTED_IMPORTS)
        ]
    )


def _summary(uow: UnitOfWork, found: Row) -> PointsImportSummary:
    rows_total, rows_failed = found.rows_total, found.rows_failed
    if found.status == UPLOADING:  # still arriving: what has so far
        rows_total, rows_failed = repository.imports.staged_counts(uow.session, found.id)
    return PointsImportSummary(
        id=found.id,
        status="running" if found.status == UPLOADING else found.status,
        file_name=found.file_name,
        rows_total=rows_total,
        rows_done=found.rows_done,
        rows_failed=rows_failed,
        created_at=found.created_at,
        finished_at=found.finished_at,
    )


# --- applying (the timer) ---------------------------------------------------------------


def apply_imports(unit_of_work: Callable[[], UnitOfWork]) -> int:
    """Apply every running import's rows, a batch per transaction, and close
    the imports with none left; drop abandoned uploads. The rows applied.
    An import whose batch fails is left for the next run (the failure was
    rolled back with the batch) and, failing MAX_FAILURES runs, marked
    failed; either way the other imports go on."""
    with unit_of_work() as uow:
        running = [(found.shop_id, found.id) for found in repository.imports.running_imports(uow.session)]
        repository.imports.discard_uploads_before(uow.session, uow.clock.now() - ABANDONED_UPLOAD_AGE)
        uow.commit()
    applied = 0
    for shop_id, import_id in running:
        try:
            applied += _apply_import(unit_of_work, shop_id, import_id)
        except Exception:
            log.exception("import %s of shop %s failed to apply a batch", import_id, shop_id)
            with unit_of_work() as uow:
                repository.imports.count_failure(uow.session, import_id, MAX_FAILURES, uow.clock.now())
                uow.commit()
    return applied


def _apply_import(unit_of_work: Callable[[], UnitOfWork], shop_id: str, import_id: str) -> int:
    applied = 0
    while True:
        with unit_of_work() as uow:
            settled = _apply_batch(uow, shop_id, import_id)
            uow.commit()
        if not settled:
            break
        applied += settled
        # Let the service's other workers run between batches (eventlet
        # makes time.sleep yield; the database calls themselves do not):
        # its RPCs and events would otherwise wait for the whole file.
        time.sleep(0)
    with unit_of_work() as uow:
        # Another replica may still hold a batch: it closes the import then.
        if not repository.imports.has_pending_rows(uow.session, import_id):
            finished = repository.imports.finish_import(uow.session, import_id, uow.clock.now())
            if finished is not None:
                commands.audit(
                    uow,
                    shop_id,
                    None,
                    finished.actor,
                    "points_imported",
                    None,
                    None,
                    {
                        "import_id": import_id,
                        "file_name": finished.file_name,
                        "rows_done": finished.rows_done,
                        "rows_failed": finished.rows_failed,
                    },
                )
        uow.commit()
    return applied


def _apply_batch(uow: UnitOfWork, shop_id: str, import_id: str) -> int:
    """Apply the next rows of one import; how many were settled (applied or failed)."""
    found = repository.imports.claim_import(uow.session, shop_id, import_id)
    if found is None:  # another replica is applying it: one applier per import keeps file order
        return 0
    rows = _first_row_per_customer(repository.imports.pending_rows(uow.session, import_id, BATCH_ROWS))
    if not rows:
        return 0
    settings = repository.program.program_settings_of(uow.session, shop_id)
    tier_names = {tier.name for tier in settings.vip_tiers}
    now = uow.clock.now()
    members = repository.members.locked_members(uow.session, shop_id, [row.customer_id for row in rows])
    failed: list[tuple[int, str]] = []
    to_apply = []
    for row in rows:
        why = _refusal(row, members.get(row.customer_id), tier_names)
        if why:
            failed.append((row.line, why))
        else:
            to_apply.append(row)
    members |= _with_due_points_expired(uow, members)
    new = sorted((row for row in to_apply if row.customer_id not in members), key=lambda row: row.customer_id)
    if new:
        first_tier = domain.tier_for(0, settings.vip_tiers)
        repository.members.add_members(
            uow.session, shop_id, [_new_member(shop_id, row, now, first_tier) for row in new], now
        )
        members |= repository.members.locked_members(uow.session, shop_id, [row.customer_id for row in new])
    applied: list[int] = []
    credits: list[tuple[Row, int, str | None]] = []
    action = domain.adjustment_action(IMPORT_REASON)
    for row in to_apply:
        reference = domain.reference("import", f"{import_id}:{row.line}")
        member = members[row.customer_id]
        if row.points < 0:
            try:
                member = _take(uow, member, row.points, action, reference, found.actor)
            except Unprocessable as exc:
                failed.append((row.line, f"points: {exc}"))
                continue
        member = _update_profile(uow, member, row, settings.vip_tiers, found.actor)
        if row.points > 0:
            credits.append((member, row.points, reference))
        applied.append(row.line)
    if credits:
        ledger.credit_many(uow, credits, "adjusted", action, found.actor, settings)
    repository.imports.settle_rows(uow.session, import_id, applied, failed)
    return len(applied) + len(failed)


def _first_row_per_customer(rows) -> list[Row]:
    """Each customer's first row: a customer named again applies in a later
    batch, so their rows apply in file order."""
    seen: set[str] = set()
    first = []
    for row in rows:
        if row.customer_id not in seen:
            seen.add(row.customer_id)
            first.append(row)
    return first


def _with_due_points_expired(uow: UnitOfWork, members: dict[str, Row]) -> dict[str, Row]:
    """The locked members who had points past their expiry, as they are once
    those expired (before an import's entry, as before an admin's)."""
    if not members:
        return {}
    shop_id = next(iter(members.values())).shop_id
    lots = repository.lots.lots_of_members(uow.session, shop_id, list(members))
    now = uow.clock.now()
    return {
        customer_id: ledger.expire_due_points(uow, member)
        for customer_id, member in members.items()
        if domain.expired_points(lots[customer_id], now)
    }


def _refusal(row: Row, member: Row | None, tier_names: set[str]) -> str | None:
    if row.vip_tier is not None and row.vip_tier not in tier_names:
        known = ", ".join(sorted(tier_names)) or "none are configured"
        return f"vip_tier: is not one of the program's tiers ({known})"
    if row.points < 0 and member is None:
        return f"points: would take {-row.points} points from a new member, who has none"
    return None


def _new_member(shop_id: str, row: Row, now: datetime, first_tier: str | None) -> dict:
    return repository.members.new_member(
        shop_id,
        row.customer_id,
        now,
        row.email,
        row.first_name,
        row.last_name,
        birthday=row.birthday,
        birthday_key=domain.birthday_key(row.birthday),
        current_tier=first_tier,
    )


def _take(uow: UnitOfWork, member: Row, points: int, action: str, reference: str, actor: str) -> Row:
    """Take a negative row's points from the oldest available (422 when the
    balance would go below zero); the member afterwards."""
    member = ledger.expire_due_points(uow, member)
    plan = domain.plan_spending(
        repository.lots.lots_of(uow.session, member.shop_id, member.customer_id), -points, uow.clock.now()
    )
    ledger.debit(uow, member, "adjusted", plan, action, reference, actor)
    return repository.members.known_member(uow.session, member.shop_id, member.customer_id)


def _update_profile(uow: UnitOfWork, member: Row, row: Row, program_tiers, actor: str) -> Row:
    """Fill in what the member's profile lacks; set the row's tier by hand."""
    values = domain.missing_profile_fields(
        member._asdict(),
        {
            "email": row.email,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "birthday": row.birthday,
        },
    )
    if row.vip_tier is not None and row.vip_tier != member.vip_tier:
        values["vip_tier"] = row.vip_tier
        tiers.settle_tier(
            uow,
            member,
            domain.vip_tier(row.vip_tier, member.lifetime_earned, program_tiers),
            "manual_set",
            actor,
        )
    if not values:
        return member
    return repository.members.update_member(uow.session, member, **values)
