"""The point feed as a CSV download: every page of it, streamed, as the
points service writes it (shared.activity_csv)."""

import logging

from werkzeug.wrappers import Response

from services.gateway.point_pages import activity_values
from services.gateway.rpc import results
from services.gateway.schemas import PointFilters
from shared import activity_csv

log = logging.getLogger(__name__)

EXPORT_PAGE_SIZE = 5000
# Where each column is in an activity of a points replica that answers rows
# rather than CSV text (older than shared.activity_csv: docs/deploy.md).
ACTIVITY_KEYS = tuple("id" if column == "activity_id" else column for column in activity_csv.COLUMNS)


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


def page_text(page: dict) -> tuple[str, int]:
    """A page's CSV lines and how many rows they are."""
    if "csv" in page:
        return page["csv"], page["rows"]
    rows = list(activity_values(page, ACTIVITY_KEYS))
    return activity_csv.csv_text(rows), len(rows)


def csv_chunks(first_page: dict, ask_page, shop_id: str):
    """The CSV body: the header, then each page's rows as one chunk. The
    next page is asked for before this one is written, so the points
    service reads it while we write this one; memory holds those two pages
    however long the export. Runs after the route's worker has finished,
    while the server sends the body. A page that fails ends the stream
    without its closing chunk, so the client sees a broken download rather
    than a short file that looks complete."""
    page, rows = first_page, 0
    header = activity_csv.csv_text([activity_csv.COLUMNS])
    while True:
        upcoming = ask_page(page["next_cursor"]) if page["next_cursor"] else None
        text, count = page_text(page)
        rows += count
        yield header + text
        header = ""
        if upcoming is None:
            return
        try:
            page = results(upcoming)[0]
        except Exception:
            log.exception("CSV export of point activities for shop %s stopped after %d rows", shop_id, rows)
            raise
