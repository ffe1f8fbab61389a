"""The point feed as a CSV download: every page of it, streamed, with text
cells made safe to open in a spreadsheet."""

import csv
import io
import logging
from collections.abc import Iterator

from werkzeug.wrappers import Response

from services.gateway.point_pages import activity_values
from services.gateway.rpc import results
from services.gateway.schemas import PointFilters

log = logging.getLogger(__name__)

EXPORT_PAGE_SIZE = 1000
CSV_COLUMNS = (
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
# Where each column is in an activity of the feed.
ACTIVITY_KEYS = tuple("id" if column == "activity_id" else column for column in CSV_COLUMNS)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def point_activities_csv(export_activities, shop_id: str, query: PointFilters) -> Response:
    """The download. The first page is asked for now, in the route's
    worker, so a refused query is still a JSON error; later pages are asked
    for while the body streams (through the container's RPC reply listener,
    which outlives the worker), each bounded by the RPC timeout."""
    from_, to = query.window()

    def ask_page(cursor):
        """Start the RPC for a page; `results` waits for its answer."""
        return export_activities.call_async(
            shop_id=shop_id,
            type=query.type,
            q=query.q,
            from_=from_.isoformat(),
            to=to.isoformat(),
            cursor=cursor,
            limit=EXPORT_PAGE_SIZE,
        )

    filename = f"point-activities-{from_:%Y-%m-%d}-to-{to:%Y-%m-%d}.csv"
    return Response(
        csv_chunks(results(ask_page(None))[0], ask_page, shop_id),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_cell(value):
    """A text value made safe to open in a spreadsheet: one that would run
    as a formula (an email like "=HYPERLINK(...)@x.com") gets a leading
    quote. Numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(page: dict) -> Iterator[list]:
    return ([csv_cell(value) for value in values] for values in activity_values(page, ACTIVITY_KEYS))


def csv_chunks(first_page: dict, ask_page, shop_id: str):
    """The CSV body: the header, then each page's rows as one chunk. The
    next page is asked for before this one is written, so the points
    service reads it while we write this one; memory holds those two pages
    however long the export. Runs after the route's worker has finished,
    while the server sends the body. A page that fails ends the stream
    without its closing chunk, so the client sees a broken download rather
    than a short file that looks complete."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    page, rows = first_page, 0
    while True:
        upcoming = ask_page(page["next_cursor"]) if page["next_cursor"] else None
        cells = list(csv_rows(page))
        writer.writerows(cells)
        rows += len(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if upcoming is None:
            return
        try:
            page = results(upcoming)[0]
        except Exception:
            log.exception("CSV export of point activities for shop %s stopped after %d rows", shop_id, rows)
            raise
