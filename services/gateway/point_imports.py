"""Sending a balances file to the points service (SPEC §7 "Importing
balances"), for the admin API and for `loyalty import points` alike.

The file is read as a stream and never held whole: its header is checked
here (a file that cannot be an import is a 422 before anything is kept),
then its rows go on in batches as they are read, checked one by one by the
points service, which applies them once the whole file has arrived. The
file's SHA-256, taken on the way, makes the same file posted twice one
import. A file refused half-way (too large, not UTF-8) or cut off leaves
nothing behind."""

import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from shared.errors import BadRequest, PayloadTooLarge, Unprocessable
from shared.imports_api import MAX_IMPORT_BYTES, header_problems

log = logging.getLogger(__name__)

# A batch of rows is one RPC: bounded in rows and in characters.
BATCH_ROWS = 1000
BATCH_CHARS = 512 * 1024
MAX_LINE_CHARS = 64 * 1024

# call(method, **arguments): one RPC to the points service.
PointsCall = Callable[..., Any]


class _HashingReader(io.RawIOBase):
    """The upload as it is read: hashed, and refused past MAX_IMPORT_BYTES."""

    def __init__(self, stream: BinaryIO, on_read: Callable[[int], None] | None):
        self._stream = stream
        self._on_read = on_read
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        self.size += len(data)
        if self.size > MAX_IMPORT_BYTES:
            raise _too_large()
        self.sha256.update(data)
        if self._on_read is not None:
            self._on_read(len(data))
        buffer[: len(data)] = data
        return len(data)


def upload_points_file(
    call: PointsCall,
    shop_id: str,
    actor: str,
    stream: BinaryIO,
    file_name: str | None = None,
    size: int | None = None,
    on_read: Callable[[int], None] | None = None,
) -> str:
    """Stage the CSV read from `stream` as an import of the shop; its id
    (an earlier import's, for a file imported before). `size`: the length
    the sender announced (a body that ends short was cut off, not a file
    that ends there); `on_read(n)` is told of each n bytes read."""
    if size is not None and size > MAX_IMPORT_BYTES:
        raise _too_large()
    source = _HashingReader(stream, on_read)
    rows = csv.reader(_lines(io.TextIOWrapper(io.BufferedReader(source), encoding="utf-8-sig", newline="")))
    first = _next_row(rows)
    if first is None:
        raise Unprocessable("the file is empty", [{"field": "file", "message": "has no header row"}])
    header = [name.strip().lower() for name in first]
    if problems := header_problems(header):
        raise Unprocessable("the file's header row cannot be imported", problems)
    import_id = call("begin_import", shop_id=shop_id, actor=actor, file_name=file_name)["id"]
    try:
        staged = _stage_rows(call, shop_id, import_id, header, rows)
        if size is not None and source.size != size:
            raise BadRequest(
                f"the upload was cut off after {source.size} of {size} bytes: nothing was imported"
            )
        if not staged:
            raise Unprocessable(
                "the file has no rows to import", [{"field": "file", "message": "has a header only"}]
            )
        finished: str = call(
            "finish_import_upload",
            shop_id=shop_id,
            import_id=import_id,
            file_sha256=source.sha256.hexdigest(),
        )["id"]
        return finished
    except BaseException:
        _discard(call, shop_id, import_id)
        raise


def _lines(text: io.TextIOBase) -> Iterator[str]:
    """The file's lines for the CSV reader, each bounded: a row of a
    balances file is a few hundred characters, and one line of a million
    values would otherwise be held whole, then sent on whole."""
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise Unprocessable(
                "the file has a line longer than an import row can be",
                [{"field": "file", "message": f"a line is over {MAX_LINE_CHARS:,} characters"}],
            )
        yield line


def _stage_rows(call: PointsCall, shop_id: str, import_id: str, header: list[str], rows) -> int:
    """Send the data rows on in batches (blank lines skipped); how many. A
    row is sent with at most one value more than the header names, and how
    many it had: that is all its report needs."""
    batch: list[dict] = []
    chars = staged = 0
    while True:
        line = rows.line_num + 1  # where the row starts (a quoted value may span lines)
        values = _next_row(rows)
        if values is None:
            break
        if not any(value.strip() for value in values):
            continue
        batch.append({"line": line, "values": values[: len(header) + 1], "value_count": len(values)})
        chars += sum(len(value) + 8 for value in values[: len(header) + 1])
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            call("stage_import_rows", shop_id=shop_id, import_id=import_id, header=header, rows=batch)
            staged += len(batch)
            batch, chars = [], 0
    if batch:
        call("stage_import_rows", shop_id=shop_id, import_id=import_id, header=header, rows=batch)
        staged += len(batch)
    return staged


def _next_row(rows) -> list[str] | None:
    """The next row, None at the end; a file that is not CSV text is the
    merchant's mistake (422)."""
    try:
        return next(rows)
    except StopIteration:
        return None
    except UnicodeDecodeError:
        raise Unprocessable(
            "the file is not UTF-8 text",
            [{"field": "file", "message": f"cannot be read after line {rows.line_num}"}],
        ) from None
    except csv.Error as exc:
        raise Unprocessable(
            f"line {rows.line_num + 1} is not CSV", [{"field": "file", "message": str(exc)}]
        ) from None


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"an import file may be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")


def _discard(call: PointsCall, shop_id: str, import_id: str) -> None:
    try:
        call("discard_import_upload", shop_id=shop_id, import_id=import_id)
    except Exception:  # the points timer drops it within the hour anyway
        log.warning("could not discard the unfinished upload %s", import_id, exc_info=True)
