from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import BadRequest, Unprocessable
from shared.pagination import PageQuery, decode_cursor, encode_cursor, page, parse_query

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)


def test_cursor_round_trips_and_is_opaque_url_safe_text():
    at = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    cursor = encode_cursor(at, 42)
    assert "=" not in cursor
    assert "/" not in cursor
    assert "+" not in cursor
    assert decode_cursor(cursor) == (at, 42)


def test_garbage_cursor_is_a_clear_400():
    with pytest.raises(BadRequest) as raised:
        decode_cursor("not-a-cursor")
    assert raised.value.details == {"field": "cursor"}


def test_window_defaults_to_the_last_30_days():
    query = parse_query(PageQuery, {})
    assert query.to - query.from_ == timedelta(days=30)
    assert query.limit == 50


def test_a_window_ending_near_year_one_starts_there():
    query = parse_query(PageQuery, {"to": "0001-01-05T00:00:00Z"})
    assert query.window() == (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 5, tzinfo=UTC))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"from": "2026-01-01T00:00:00"}, "from"),  # no timezone
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, None),
    ],
)
def test_bad_page_parameters_are_422_naming_the_field(params, field):
    with pytest.raises(Unprocessable) as raised:
        parse_query(PageQuery, params)
    if field:
        assert raised.value.details[0]["field"] == field


def test_page_cuts_at_limit_and_points_at_the_last_row():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [(at - timedelta(minutes=i), i) for i in range(4)]
    result = page(rows, 3, key=lambda row: row)
    assert result["items"] == rows[:3]
    assert decode_cursor(result["next_cursor"]) == rows[2]
    assert page(rows, 4, key=lambda row: row)["next_cursor"] is None
