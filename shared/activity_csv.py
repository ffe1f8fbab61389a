"""The point feed's CSV export (GET /api/activities/points.csv): its
columns and how a row is written. The points service writes each page as
CSV text (csv.writer is C code), which then crosses RPC as one string: a
page of JSON rows cost more to encode and decode than the database took to
read it. The gateway streams the header and the pages."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from shared.points_api import Output

COLUMNS = (
    "occurred_at",
    "customer_id",
    "customer_email",
    "type",
    "action",
    "points",
    "balance_after",
    "uncollected_points",
    "actor",
    "activity_id",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvPage(Output):
    """A page of the export: its rows as CSV text (no header)."""

    csv: str
    rows: int
    next_cursor: str | None


def safe_cell(value: Any) -> Any:
    """A text value made safe to open in a spreadsheet: one that would run
    as a formula (an email like "=HYPERLINK(...)@x.com") gets a leading
    quote. Numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows of values in COLUMNS' order as CSV lines (times as ISO strings)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
