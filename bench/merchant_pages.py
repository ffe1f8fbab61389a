"""The merchant's pages that ask every service at once, timed one request
at a time through the gateway (latency without queueing): the overview for
30 and for 365 days, and the merged timeline's first page and a deep one
(reached by following next_cursor), next to a page of the points feed
alone, in the same window."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from bench.clients import FEED_PATH
from bench.load import Load, sequential_gets

DASHBOARD_PATH = "/api/dashboard"
TIMELINE_PATH = "/api/activities"
OVERVIEW_DAYS = (30, 365)


@dataclass
class MerchantPages:
    dashboard: dict[int, Load] = field(default_factory=dict)  # days -> load
    feed_page: Load | None = None  # the points feed alone
    timeline_first: Load | None = None
    timeline_deep: Load | None = None
    deep_items: int = 0  # items before the deep page


def timeline_cursor(base_url: str, headers: dict, params: dict, pages: int) -> tuple[str | None, int]:
    """The cursor `pages` pages into the merged timeline and the items
    before it (fewer pages where the window ends sooner)."""
    cursor, items = None, 0
    with requests.Session() as http:
        http.headers.update(headers)
        for _ in range(pages):
            answer = http.get(
                base_url + TIMELINE_PATH, params={**params, "cursor": cursor} if cursor else params
            )
            answer.raise_for_status()
            body = answer.json()
            if body["next_cursor"] is None:
                break
            cursor, items = body["next_cursor"], items + len(body["items"])
    return cursor, items


def measure_merchant_pages(base_url: str, headers: dict, now: datetime, requests_each: int, depth: int):
    result = MerchantPages()
    for days in OVERVIEW_DAYS:
        window = {"from": (now - timedelta(days=days - 1)).date().isoformat(), "to": now.date().isoformat()}
        result.dashboard[days] = sequential_gets(base_url + DASHBOARD_PATH, requests_each, headers, window)
    page = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat(), "limit": 50}
    result.feed_page = sequential_gets(base_url + FEED_PATH, requests_each, headers, page)
    result.timeline_first = sequential_gets(base_url + TIMELINE_PATH, requests_each, headers, page)
    cursor, result.deep_items = timeline_cursor(base_url, headers, page, depth)
    deep = {**page, "cursor": cursor} if cursor else page
    result.timeline_deep = sequential_gets(base_url + TIMELINE_PATH, requests_each, headers, deep)
    return result
