"""Keyset pagination and the date-range window every feed shares.

A cursor is the opaque, URL-safe encoding of the last row's sort key
(occurred_at, id); the next page is `WHERE (occurred_at, id) < cursor`
ordered newest first, so page 1,000 costs what page 1 costs."""

import base64
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Column, Row, Select, literal, tuple_
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic describes it on Python 3.11 (openapi.py)

from shared.clock import utcnow
from shared.errors import BadRequest, Unprocessable, validation_details

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DEFAULT_WINDOW = timedelta(days=30)
EARLIEST = datetime.min.replace(tzinfo=UTC)
ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")

ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound=BaseModel)

# A row's sort key as a cursor holds it: (occurred_at, id). The id is
# whatever the client sent back, checked only by the query it ends up in.
CursorKey = tuple[datetime, object]


class Page(TypedDict, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


def encode_cursor(occurred_at: datetime, row_id: object) -> str:
    raw = json.dumps([occurred_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> CursorKey:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        occurred_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(occurred_at), row_id
    except Exception:
        raise BadRequest(
            "cursor is not valid; use next_cursor from the previous page", {"field": "cursor"}
        ) from None


class CursorQuery(BaseModel):
    """`cursor` and `limit`: a list that is not a dated feed (e.g. members)."""

    cursor: str | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    model_config = {"populate_by_name": True, "extra": "ignore"}

    def after(self) -> CursorKey | None:
        """(sort time, id) of the cursor, or None on the first page."""
        return decode_cursor(self.cursor) if self.cursor else None


class WindowQuery(BaseModel):
    """`from`/`to`: a window of time (default: the last 30 days)."""

    model_config = {"populate_by_name": True, "extra": "ignore"}

    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _written_as_a_date(cls, value: object) -> object:
        # Not a unix timestamp ("-15577"), which lax pydantic would take.
        if isinstance(value, str) and not ISO_DATE_START.match(value.strip()):
            raise ValueError("must be a date and time, e.g. 2026-01-31T00:00:00Z")
        return value

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a timezone, e.g. 2026-01-31T00:00:00Z")
        return value

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.to is None:
            self.to = utcnow()
        if self.from_ is None:
            # From the beginning of time, for a `to` within 30 days of it.
            self.from_ = max(self.to, EARLIEST + DEFAULT_WINDOW) - DEFAULT_WINDOW
        if self.from_ > self.to:
            raise ValueError("'from' must not be after 'to'")
        return self

    def window(self) -> tuple[datetime, datetime]:
        """(from, to): both set by validation (the default window fills in
        what was not given)."""
        if self.from_ is None or self.to is None:
            raise ValueError("a feed query's window is filled in when it is validated; this one was not")
        return self.from_, self.to


class PageQuery(CursorQuery, WindowQuery):
    """A feed: `from`/`to` (default: the last 30 days), `cursor`, `limit`."""


def parse_query(model: type[ModelT], params: object) -> ModelT:
    """Validate query/body params (or any JSON document) into `model` or
    raise a 422 naming the fields."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise Unprocessable("request is not valid", validation_details(exc)) from None


def page(items: Sequence[ItemT], limit: int, key: Callable[[ItemT], CursorKey]) -> Page[ItemT]:
    """Given up to limit+1 rows, the page and the cursor of the next one.
    `key(row)` -> (occurred_at, id)."""
    has_more = len(items) > limit
    shown = list(items[:limit])
    next_cursor = encode_cursor(*key(shown[-1])) if has_more and shown else None
    return {"items": shown, "next_cursor": next_cursor}


def keyset_page(
    session: Session,
    statement: Select[Any],
    occurred_at: Column[datetime],
    row_id: Column[Any],
    query: CursorQuery,
) -> Page[Row[Any]]:
    """One page of `statement` (already filtered by shop and any other
    filter), newest first, within the query's window if it has one, after
    its cursor. `occurred_at`/`row_id` are the sort columns; an index on
    (shop_id, [filter,] occurred_at, id) serves it."""
    if isinstance(query, PageQuery):
        from_, to = query.window()
        statement = statement.where(occurred_at >= from_, occurred_at <= to)
    after = query.after()
    if after is not None:
        after_key = tuple_(*(literal(value) for value in after))
        statement = statement.where(tuple_(occurred_at, row_id) < after_key)
    rows = session.execute(statement.order_by(occurred_at.desc(), row_id.desc()).limit(query.limit + 1)).all()
    return page(rows, query.limit, key=lambda row: (getattr(row, occurred_at.key), getattr(row, row_id.key)))
