"""Pages of point activities as the points service answers its feed and
export RPCs: compact rows (shared.points_api.ActivityRows), read here into
the feed's items or the export's cells. A points replica older than the
rows (while an upgrade rolls through the replicas) answers the items
themselves, which are read as they are."""

from collections.abc import Iterator, Sequence
from typing import Any


def activity_items(page: dict) -> list[dict[str, Any]]:
    """The page's activities as the feed shows them (Activity's fields)."""
    if "rows" not in page:
        return page["items"]
    columns = page["columns"]
    return [dict(zip(columns, row, strict=True)) for row in page["rows"]]


def activity_values(page: dict, keys: Sequence[str]) -> Iterator[list[Any]]:
    """Each activity of the page as its values of `keys` (Activity's field
    names), in that order."""
    if "rows" not in page:
        for item in page["items"]:
            yield [item.get(key) for key in keys]
        return
    columns = page["columns"]
    positions = [columns.index(key) for key in keys]
    for row in page["rows"]:
        yield [row[position] for position in positions]
