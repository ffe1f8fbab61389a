"""Upgrading a reviews database that already holds Google-review
submissions: each gets its review's key, and a review one customer had
already submitted twice keeps its first submission keyed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.reviews.domain import review_url_key
from services.reviews.service import MIGRATIONS
from shared.db import make_engine
from tests.support import migrate

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_existing_submissions_get_their_review_key_and_the_rule_holds_from_then_on(database_url_factory):
    url = database_url_factory("reviews")
    migrate(MIGRATIONS, url, "0003")
    engine = make_engine(url)
    existing = [
        ("g1", "c1", "https://www.google.com/maps/reviews/abc"),
        ("g2", "c1", "http://WWW.google.com/maps/reviews/abc/?utm_source=mail"),  # the same, again
        ("g3", "c2", "https://www.google.com/maps/reviews/abc"),
    ]
    with engine.begin() as conn:
        for n, (submission_id, customer_id, review_url) in enumerate(existing):
            conn.execute(
                text(
                    "INSERT INTO google_review_submissions (id, shop_id, customer_id, review_url, status, "
                    "occurred_at) VALUES (:id, 's1', :c, :u, 'approved', :t)"
                ),
                {"id": submission_id, "c": customer_id, "u": review_url, "t": T0 + timedelta(minutes=n)},
            )

    migrate(MIGRATIONS, url, "head")

    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, review_url_key FROM google_review_submissions")).all())
    key = review_url_key("https://www.google.com/maps/reviews/abc")
    assert keys == {"g1": key, "g2": None, "g3": key}
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the unique index
        conn.execute(
            text(
                "INSERT INTO google_review_submissions (id, shop_id, customer_id, review_url, "
                "review_url_key, status, occurred_at) VALUES ('g4', 's1', 'c1', 'x', :k, 'pending', :t)"
            ),
            {"k": key, "t": T0},
        )

    migrate(MIGRATIONS, url, "0003", downgrade=True)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM google_review_submissions")).scalar()
    engine.dispose()
    assert left == 3
