"""The merged timeline's pure parts (services/gateway/timeline.py and
shared/timeline.py): services simulated as lists that answer their first
`limit` items after a position, exactly as their keyset queries do. Paging
through the merge must yield every item exactly once, in order, whatever
the ties on occurred_at, page sizes, services unavailable or items arriving
between pages."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway.timeline import after, cursor_of, timeline_view
from shared.errors import BadRequest
from shared.pagination import PageQuery, encode_cursor, parse_query
from shared.timeline import STREAMS, Position, TimelineQuery, merge, position, position_of

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SERVICE_STREAMS = {
    "points": ("points", "admin", "points_tier"),
    "referrals": ("referral_claimed", "referral_completed", "referral_cancelled"),
    "reviews": ("review_submitted", "review_moderated", "google_review_submitted", "google_review_moderated"),
}


def item(stream: str, row_id, at: datetime) -> dict:
    return {
        "id": f"{stream}:{row_id}",
        "kind": stream.split("_")[0],
        "occurred_at": at.isoformat(),
        "customer_id": "c1",
        "customer_email": None,
        "customer_name": None,
        "summary": "",
        "points": None,
        "ref": {},
    }


def service_answer(items: list[dict], start: Position | None, limit: int) -> dict:
    """What a service's `timeline` RPC answers: its first `limit` items
    after `start` and whether more follow."""
    later = sorted(
        (i for i in items if start is None or position_of(i) < start), key=position_of, reverse=True
    )
    return {"items": later[:limit], "more": len(later) > limit}


def page_through(
    services: dict[str, list[dict]], limit: int, between_pages=lambda page_number: None, down=()
) -> list[dict]:
    shown, cursor, page_number = [], None, 0
    while True:
        query = parse_query(PageQuery, {"limit": limit, **({"cursor": cursor} if cursor else {})})
        start = after(query)
        answers = {
            name: None if name in down else service_answer(items, start, limit)
            for name, items in services.items()
        }
        result = timeline_view(answers, limit)
        assert len(result["items"]) <= limit
        assert result["unavailable"] == [name for name in services if name in down]
        shown += result["items"]
        cursor = result["next_cursor"]
        page_number += 1
        if cursor is None:
            return shown
        between_pages(page_number)


# Few distinct instants and small ids: plenty of ties on occurred_at within
# and across services, and on ids across streams.
@st.composite
def shops(draw):
    services: dict[str, list[dict]] = {}
    for service, streams in SERVICE_STREAMS.items():
        rows = draw(
            st.lists(
                st.tuples(st.sampled_from(streams), st.integers(1, 40), st.integers(0, 5)),
                unique_by=lambda row: (row[0], row[1]),
                max_size=25,
            )
        )
        services[service] = [
            item(stream, row_id if STREAMS[stream][1] else f"r{row_id:03d}", T0 - timedelta(seconds=second))
            for stream, row_id, second in rows
        ]
    return services


def in_timeline_order(services: dict[str, list[dict]]) -> list[str]:
    return [
        i["id"]
        for i in sorted((i for items in services.values() for i in items), key=position_of, reverse=True)
    ]


@settings(max_examples=300, deadline=None)
@given(services=shops(), limit=st.integers(1, 7))
def test_every_item_appears_exactly_once_in_timeline_order(services, limit):
    assert [i["id"] for i in page_through(services, limit)] == in_timeline_order(services)


@settings(max_examples=200, deadline=None)
@given(services=shops(), limit=st.integers(1, 7), arrivals=st.integers(1, 4))
def test_items_arriving_between_pages_neither_show_later_nor_push_any_out(services, limit, arrivals):
    expected = in_timeline_order(services)
    newest = T0 + timedelta(seconds=1)

    def new_activity(page_number):
        for n in range(arrivals):
            for stream_number, (name, streams) in enumerate(SERVICE_STREAMS.items()):
                stream = streams[n % len(streams)]
                row_id = 1000 + page_number * 10 + n if STREAMS[stream][1] else f"new{page_number}-{n}"
                services[name].append(
                    item(stream, row_id, newest + timedelta(seconds=page_number + stream_number))
                )

    assert [i["id"] for i in page_through(services, limit, new_activity)] == expected


@settings(max_examples=100, deadline=None)
@given(services=shops(), limit=st.integers(1, 7))
def test_a_service_that_does_not_answer_is_named_and_the_rest_still_merged(services, limit):
    shown = page_through(services, limit, down=("referrals",))
    assert [i["id"] for i in shown] == in_timeline_order({**services, "referrals": []})


@pytest.mark.parametrize(
    ("items", "order"),
    [
        # Same instant in three services: the stream's rank decides, highest first.
        (
            [("points", 5), ("review_submitted", "a"), ("referral_claimed", "z"), ("admin", 9)],
            ["review_submitted:a", "referral_claimed:z", "admin:9", "points:5"],
        ),
        # Same instant and stream: the larger id first (integers as numbers, not text).
        ([("points", 9), ("points", 10), ("points", 2)], ["points:10", "points:9", "points:2"]),
        (
            [("referral_completed", "b"), ("referral_completed", "c")],
            ["referral_completed:c", "referral_completed:b"],
        ),
    ],
)
def test_ties_on_occurred_at_are_broken_by_stream_then_id(items, order):
    page, more = merge([{"items": [item(stream, row_id, T0) for stream, row_id in items], "more": False}], 10)
    assert [i["id"] for i in page] == order
    assert not more


def test_a_page_of_exactly_limit_items_has_a_next_cursor_when_a_service_has_more():
    answers = {
        "points": {"items": [item("points", 1, T0)], "more": True},
        "reviews": {"items": [], "more": False},
    }
    result = timeline_view(answers, 1)
    assert result["next_cursor"] is not None
    assert after(parse_query(PageQuery, {"cursor": result["next_cursor"]})) == position(T0, "points", 1)


def test_the_last_page_has_no_cursor():
    answers = {"points": {"items": [item("points", 1, T0)], "more": False}}
    assert timeline_view(answers, 5)["next_cursor"] is None


def test_a_cursor_round_trips_as_opaque_url_safe_text():
    at = position(T0, "google_review_moderated", "f3a1-9")
    cursor = cursor_of(at)
    assert not set(cursor) & set("=/+")
    assert after(parse_query(PageQuery, {"cursor": cursor})) == at


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        encode_cursor(T0, 42),  # a single feed's cursor
        encode_cursor(T0, ["gifts", 1]),  # no such stream
        encode_cursor(T0, ["points", "x"]),  # a ledger id is a number
        encode_cursor(T0, ["points", 1.5]),
        encode_cursor(T0.replace(tzinfo=None), ["points", 1]),
    ],
)
def test_a_cursor_that_names_no_position_is_a_clear_400(cursor):
    with pytest.raises(BadRequest) as raised:
        after(parse_query(PageQuery, {"cursor": cursor}))
    assert raised.value.details == {"field": "cursor"}


def test_the_services_query_reads_the_position_the_gateway_sends():
    at = position(T0, "admin", 7)
    query = TimelineQuery.model_validate(
        {"shop_id": "s", "from_": T0 - timedelta(days=1), "to": T0, "after": at.as_param(), "limit": 3}
    )
    assert query.after == at
    with pytest.raises(BadRequest):
        TimelineQuery.model_validate({"shop_id": "s", "from_": T0, "to": T0, "after": ["x"], "limit": 3})
