"""The merged timeline's contract (SPEC §7 "Merged timeline"): the streams
of events each service contributes, the one order they all share, and the
keyset page of one service's streams.

Every timeline item sits at a position (occurred_at, stream, row id): newest
first, then, at the same instant, by the stream's rank, then by the row's
id, all descending. Since every service orders its own items the same way,
"the items after position P" means the same thing everywhere, so one
position (the last item shown) is the cursor of every service at once: each
answers its first `limit` items after it, and the first `limit` of their
merge are exactly the timeline's next page (a k-way merge of keyset pages,
never an OFFSET). An item's `id` is "{stream}:{row id}", which is how the
gateway reads an item's position back."""

import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Column, ColumnElement, Select, and_, literal, tuple_
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic describes it on Python 3.11 (openapi.py)

from shared.errors import BadRequest
from shared.pagination import MAX_LIMIT, parse_query

# stream -> (rank at a tie on occurred_at, its rows' ids are integers). The
# ranks are the contract: change them and old cursors point elsewhere.
STREAMS: dict[str, tuple[int, bool]] = {
    "points": (1, True),  # a ledger entry (earned, redeemed, refunded, expired, adjusted)
    "admin": (2, True),  # an admin action on a member: exclusion, re-inclusion, profile edit
    "referral_claimed": (3, False),
    "referral_completed": (4, False),
    "referral_cancelled": (5, False),
    "review_submitted": (6, False),
    "review_moderated": (7, False),
    "google_review_submitted": (8, False),
    "google_review_moderated": (9, False),
    # A member's VIP tier changed (by a ledger entry or by hand); at the
    # instant of the entry that moved it, it is shown above that entry.
    "points_tier": (10, True),
}


KINDS = ("points", "admin", "referral", "review", "google_review")


def kind_of(stream: str) -> str:
    """The `kind` of a stream's items: its name up to the step."""
    return next(kind for kind in sorted(KINDS, key=len, reverse=True) if stream.startswith(kind))


class TimelineItem(TypedDict):
    id: str
    kind: str  # "points" | "referral" | "review" | "google_review" | "admin"
    occurred_at: str
    customer_id: str | None
    customer_email: str | None
    customer_name: str | None
    summary: str
    points: int | None
    ref: dict[str, Any]


class Timeline(TypedDict):
    """The gateway's answer: a page of the merged timeline, and the
    services that did not answer in time."""

    items: list[TimelineItem]
    next_cursor: str | None
    unavailable: list[Literal["points", "referrals", "reviews"]]


class TimelinePage(TypedDict):
    items: list[TimelineItem]
    more: bool  # items after the last one exist


@dataclass(frozen=True, order=True)
class Position:
    """Where an item sits; compares in timeline order reversed (a greater
    position is shown earlier)."""

    occurred_at: datetime
    rank: int
    row_id: Any  # int or str, the same type for every item of a stream

    @property
    def stream(self) -> str:
        return next(name for name, (rank, _) in STREAMS.items() if rank == self.rank)

    def as_param(self) -> list[Any]:
        """As an RPC argument: [occurred_at ISO, stream, row id]."""
        return [self.occurred_at.isoformat(), self.stream, self.row_id]


def invalid_cursor() -> BadRequest:
    return BadRequest("cursor is not valid; use next_cursor from the previous page", {"field": "cursor"})


def position(occurred_at: datetime | str, stream: str, row_id: Any) -> Position:
    """A position from its parts as they travel (RPC arguments, cursors, an
    item's id); a clear 400 naming the cursor if they make no sense."""
    try:
        rank, int_ids = STREAMS[stream]
        at = datetime.fromisoformat(occurred_at) if isinstance(occurred_at, str) else occurred_at
        if at.tzinfo is None:
            raise ValueError("naive time")
        row = int(row_id) if int_ids else str(row_id)
        if int_ids and isinstance(row_id, bool | float):
            raise ValueError("not an integer id")
        return Position(at, rank, row)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise invalid_cursor() from None


def position_of(item: TimelineItem) -> Position:
    stream, _, row_id = item["id"].partition(":")
    return position(item["occurred_at"], stream, row_id)


def item_id(stream: str, row_id: Any) -> str:
    return f"{stream}:{row_id}"


def merge(pages: Iterable[TimelinePage], limit: int) -> tuple[list[TimelineItem], bool]:
    """The first `limit` items of several pages that each hold the first
    items of their own part after one same position, in timeline order, and
    whether any item is left after them."""
    items: list[TimelineItem] = []
    more = False
    for part in pages:
        items.extend(part["items"])
        more = more or part["more"]
    items.sort(key=position_of, reverse=True)
    return items[:limit], more or len(items) > limit


def after_condition(
    occurred_at: Column[datetime], row_id: Column[Any], stream: str, after: Position
) -> ColumnElement[bool]:
    """This stream's rows that come after `after` in timeline order, as a
    range on its (…, occurred_at, id) index."""
    rank = STREAMS[stream][0]
    if rank < after.rank:
        return occurred_at <= after.occurred_at
    if rank > after.rank:
        return occurred_at < after.occurred_at
    return tuple_(occurred_at, row_id) < tuple_(literal(after.occurred_at), literal(after.row_id))


class TimelineQuery(BaseModel):
    """What a service's `timeline` RPC takes: a shop (and a customer, for
    theirs), the window, the position to start after ([occurred_at ISO,
    stream, row id], None for the first page) and how many items."""

    shop_id: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    from_: datetime
    to: datetime
    after: Position | None = None
    limit: int = Field(ge=1, le=MAX_LIMIT)
    kind: Literal["points", "admin", "referral", "review", "google_review"] | None = None

    model_config = {"arbitrary_types_allowed": True}

    def wants(self, stream: str) -> bool:
        """Whether the query asks for this stream's items (all, or its kind's)."""
        return self.kind is None or kind_of(stream) == self.kind

    @field_validator("after", mode="before")
    @classmethod
    def _position(cls, value: object) -> object:
        if value is None or isinstance(value, Position):
            return value
        if not isinstance(value, list | tuple) or len(value) != 3:
            raise invalid_cursor()
        return position(*value)


def timeline_query(**arguments: Any) -> TimelineQuery:
    """A service's `timeline` RPC arguments as its query: a 422 naming the
    field when they are not valid."""
    return parse_query(TimelineQuery, arguments)


def stream_rows(
    session: Session,
    statement: Select[Any],
    occurred_at: Column[datetime],
    row_id: Column[Any],
    stream: str,
    query: TimelineQuery,
) -> Sequence[Any]:
    """Up to limit+1 rows of one stream (`statement`, already filtered by
    shop and customer) after the query's position, newest first: one range
    scan of an index on (shop_id, [customer,] occurred_at, id)."""
    conditions = [occurred_at >= query.from_, occurred_at <= query.to]
    if query.after is not None:
        conditions.append(after_condition(occurred_at, row_id, stream, query.after))
    return session.execute(
        statement.where(and_(*conditions)).order_by(occurred_at.desc(), row_id.desc()).limit(query.limit + 1)
    ).all()


def stream_entries(
    stream: str, rows: Iterable[Any], at: Callable[[Any], datetime], item: Callable[[Any], TimelineItem]
) -> Iterator[tuple[tuple[datetime, int, Any], Callable[[], TimelineItem]]]:
    """A stream's rows as (position key, how to make the row's item): a
    service sorts the rows of all its streams by their keys and makes the
    items of those it shows only (its streams answer up to limit+1 rows
    each, most of which the page leaves out)."""
    rank = STREAMS[stream][0]
    for row in rows:
        yield (at(row), rank, row.id), functools.partial(item, row)


def service_page(
    entries: Iterable[tuple[tuple[datetime, int, Any], Callable[[], TimelineItem]]], limit: int
) -> TimelinePage:
    """One service's answer from the up to limit+1 rows of each of its
    streams (stream_entries): the first `limit` in timeline order, made."""
    ordered = sorted(entries, key=operator.itemgetter(0), reverse=True)
    return {"items": [make() for _, make in ordered[:limit]], "more": len(ordered) > limit}
