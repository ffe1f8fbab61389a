"""Keyset pagination and the date-range window every feed shares.

A cursor is the opaque, URL-safe encoding of the last row's sort key
(occurred_at, id); the next page is `WHERE (occurred_at, id) < cursor`
ordered newest first, so page 1,000 costs what page 1 costs."""

import base64
import json
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import tuple_

from shared.clock import utcnow
from shared.errors import BadRequest, Unprocessable, validation_details

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DEFAULT_WINDOW = timedelta(days=30)


def encode_cursor(occurred_at: datetime, row_id) -> str:
    raw = json.dumps([occurred_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, object]:
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

    def after(self):
        """(sort time, id) of the cursor, or None on the first page."""
        return decode_cursor(self.cursor) if self.cursor else None


class PageQuery(CursorQuery):
    """A feed: `from`/`to` (default: the last 30 days), `cursor`, `limit`."""

    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a timezone, e.g. 2026-01-31T00:00:00Z")
        return value

    @model_validator(mode="after")
    def _window(self):
        if self.to is None:
            self.to = utcnow()
        if self.from_ is None:
            self.from_ = self.to - DEFAULT_WINDOW
        if self.from_ > self.to:
            raise ValueError("'from' must not be after 'to'")
        return self


def parse_query(model: type[BaseModel], params: dict):
    """Validate query/body params into `model` or raise a 422 naming the fields."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise Unprocessable("request is not valid", validation_details(exc)) from None


def page(items: list, limit: int, key) -> dict:
    """Given up to limit+1 rows, the page and the cursor of the next one.
    `key(row)` -> (occurred_at, id)."""
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(*key(items[-1])) if has_more and items else None
    return {"items": items, "next_cursor": next_cursor}


def keyset_page(session, statement, occurred_at, row_id, query: CursorQuery) -> dict:
    """One page of `statement` (already filtered by shop and any other
    filter), newest first, within the query's window if it has one, after
    its cursor. `occurred_at`/`row_id` are the sort columns; an index on
    (shop_id, [filter,] occurred_at, id) serves it."""
    if isinstance(query, PageQuery):
        statement = statement.where(occurred_at >= query.from_, occurred_at <= query.to)
    after = query.after()
    if after is not None:
        statement = statement.where(tuple_(occurred_at, row_id) < tuple_(*after))
    rows = session.execute(statement.order_by(occurred_at.desc(), row_id.desc()).limit(query.limit + 1)).all()
    return page(rows, query.limit, key=lambda row: (getattr(row, occurred_at.key), getattr(row, row_id.key)))
