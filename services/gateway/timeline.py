"""The merged timeline (SPEC §7 "Merged timeline"): points, referrals and
reviews each answer their first `limit` items after the cursor's position
(shared.timeline), asked in parallel; the page is the first `limit` of their
merge, and its cursor the position of its last item. A service that does
not answer in time is named in `unavailable` and the others are still
merged (its items after the cursor are then not on this page)."""

import time
from typing import Any

from services.gateway.rpc import RPC_TIMEOUT_SECONDS, optional_calls, optional_result
from services.gateway.schemas import TimelineFilter
from shared.pagination import PageQuery, encode_cursor
from shared.timeline import Position, TimelinePage, invalid_cursor, merge, position, position_of

# Which service tells of which kinds of item.
SERVICE_KINDS = {
    "points": ("points", "admin"),
    "referrals": ("referral",),
    "reviews": ("review", "google_review"),
}


def cursor_of(at: Position) -> str:
    """The opaque cursor of a position: the feeds' cursor, its id naming the
    stream too."""
    return encode_cursor(at.occurred_at, [at.stream, at.row_id])


def after(query: PageQuery) -> Position | None:
    """The position a cursor names (a 400 naming `cursor` if it names none)."""
    decoded = query.after()
    if decoded is None:
        return None
    occurred_at, stream_and_row = decoded
    if not isinstance(stream_and_row, list) or len(stream_and_row) != 2:
        raise invalid_cursor()  # another feed's cursor
    return position(occurred_at, *stream_and_row)


def timeline(
    proxies: dict[str, Any], shop_id: str, query: TimelineFilter, customer_id: str | None = None
) -> dict:
    """The page of the timeline after the query's cursor, of one kind if
    it names one (only that kind's service is asked)."""
    from_, to = query.window()
    start = after(query)
    asked: dict[str, Any] = {
        "shop_id": shop_id,
        "from_": from_.isoformat(),
        "to": to.isoformat(),
        "limit": query.limit,
        "after": start.as_param() if start else None,
    }
    if customer_id is not None:
        asked["customer_id"] = customer_id
    if query.kind is not None:
        asked["kind"] = query.kind
    replies = optional_calls(
        {
            name: (proxies[name].timeline, asked)
            for name, kinds in SERVICE_KINDS.items()
            if query.kind is None or query.kind in kinds
        }
    )
    deadline = time.monotonic() + RPC_TIMEOUT_SECONDS
    answers = {name: optional_result(reply, deadline) for name, reply in replies.items()}
    return timeline_view(answers, query.limit)


def timeline_view(pages: dict[str, TimelinePage | None], limit: int) -> dict:
    """The services' pages as one; None for a service that did not answer."""
    items, more = merge([part for part in pages.values() if part is not None], limit)
    return {
        "items": items,
        "next_cursor": cursor_of(position_of(items[-1])) if more and items else None,
        "unavailable": [name for name, part in pages.items() if part is None],
    }
