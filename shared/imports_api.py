"""Importing balances from another loyalty app (SPEC §7): the CSV's columns,
what a valid row is, and the answers. The gateway checks a file's header
with it; the points service checks each row with it, so the two agree.

A row's values are CSV text: numbers and dates are parsed from text here,
with messages a merchant can act on ("points: must be a whole number")."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from shared.errors import FieldError
from shared.points_api import IsoDate, Output, TierName, plausible_birthday

IMPORT_COLUMNS = ("customer_id", "email", "points", "first_name", "last_name", "birthday", "vip_tier")
REQUIRED_IMPORT_COLUMNS = ("customer_id", "email", "points")
# Columns without a name (trailing commas) are allowed, and left out; so many are not.
MAX_IMPORT_COLUMNS = 50
# The words every imported row's `adjusted` activity carries.
IMPORT_REASON = "Imported balance"
# Balances other apps kept may be larger than one admin adjustment may be.
MAX_IMPORTED_POINTS = 100_000_000
# A file is streamed, never held whole; this bounds what one upload may stage.
MAX_IMPORT_BYTES = 64 * 1024 * 1024
# The bad rows an answer lists (rows_failed counts them all).
MAX_REPORTED_ERRORS = 1000


def header_problems(header: list[str]) -> list[FieldError]:
    """What makes a header row unusable (unknown, repeated or missing
    columns), as 422 details; none when it can be imported."""
    problems: list[FieldError] = []
    if len(header) > MAX_IMPORT_COLUMNS:
        return [{"field": "file", "message": f"the header names more than {MAX_IMPORT_COLUMNS} columns"}]
    known = set(IMPORT_COLUMNS)
    for name in header:
        if name and name not in known:
            problems.append(
                {"field": name, "message": f"is not a column of an import ({', '.join(IMPORT_COLUMNS)})"}
            )
    for name in sorted({name for name in header if name and header.count(name) > 1}):
        problems.append({"field": name, "message": "is named twice"})
    for name in REQUIRED_IMPORT_COLUMNS:
        if name not in header:
            problems.append({"field": name, "message": "is a required column"})
    return problems


def _blank_as_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _present(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("is empty: every row names its customer")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            raise ValueError("must be a whole number, e.g. 250 or -40")
        return int(text)
    return value


# An address's shape only: a full check (pydantic's EmailStr, IDNA rules for
# the domain) cost 190 µs a row, a fifth of applying a row.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _plausible_email(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 320 or not _EMAIL.fullmatch(value):
            raise ValueError("is not an email address")
    return value


Name = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None,
    BeforeValidator(_blank_as_none),
]


class ImportRow(BaseModel):
    """One data row of the file, its values by column."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Annotated[
        str, BeforeValidator(_present), StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    email: Annotated[str, BeforeValidator(_plausible_email)]
    points: Annotated[
        int, BeforeValidator(_whole_number), Field(ge=-MAX_IMPORTED_POINTS, le=MAX_IMPORTED_POINTS)
    ]
    first_name: Name = None
    last_name: Name = None
    birthday: Annotated[IsoDate | None, BeforeValidator(_blank_as_none)] = None
    vip_tier: Annotated[TierName | None, BeforeValidator(_blank_as_none)] = None

    @field_validator("birthday")
    @classmethod
    def _plausible_birthday(cls, value: date | None) -> date | None:
        return plausible_birthday(value)


# --- answers -----------------------------------------------------------------------

ImportStatus = Literal["running", "done", "failed"]


class ImportStarted(Output):
    id: str


class ImportRowError(Output):
    row: int  # the line of the file, its header being line 1
    message: str


class PointsImportSummary(Output):
    id: str
    status: ImportStatus
    file_name: str | None
    rows_total: int  # rows read so far while the file is still arriving
    rows_done: int
    rows_failed: int
    created_at: datetime
    finished_at: datetime | None


class PointsImport(PointsImportSummary):
    errors: list[ImportRowError]  # the first MAX_REPORTED_ERRORS bad rows, by line


class PointsImportList(Output):
    items: list[PointsImportSummary]
