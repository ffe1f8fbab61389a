"""The points service's part of the merged timeline, on the real database:
its ledger entries, member actions and tier changes after a position, ties
on occurred_at broken by stream then id, as the gateway's merge relies on."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from services.points.models import audit_log, tier_changes
from services.points.tests.test_service import seed_feed
from shared.errors import BadRequest, NotFound
from shared.timeline import position_of


def seed_member_actions(db, shop_id, now):
    """Admin actions and tier changes at the ledger's instants (ties across
    streams), and an adjustment's audit row, which the ledger already tells of."""
    with db.begin() as conn:
        for i in range(3):
            conn.execute(
                insert(tier_changes).values(
                    shop_id=shop_id,
                    customer_id="bob" if i % 2 else "alice",
                    from_tier=None if i else "Silver",
                    to_tier="Silver" if i else "Gold",
                    reason="earned",
                    actor="system",
                    occurred_at=now - timedelta(minutes=i // 2),
                )
            )
        for i, action in enumerate(
            [
                "customer_excluded",
                "customer_included",
                "customer_updated",
                "points_adjusted",
                "customer_excluded",
            ]
        ):
            conn.execute(
                insert(audit_log).values(
                    shop_id=shop_id,
                    customer_id="bob" if i % 2 else "alice",
                    actor="staff:1",
                    action=action,
                    reason="asked to" if action == "customer_excluded" else None,
                    before={"name": "Al"} if action == "customer_updated" else None,
                    after={"name": "Alice"} if action == "customer_updated" else None,
                    occurred_at=now - timedelta(minutes=i // 2),
                )
            )


def page_through(rpc, shop_id, window, limit, customer_id=None):
    items, after = [], None
    while True:
        page = rpc.timeline(shop_id, **window, limit=limit, after=after, customer_id=customer_id)
        assert len(page["items"]) <= limit
        items += page["items"]
        if not page["more"]:
            return items
        after = position_of(page["items"][-1]).as_param()


@pytest.mark.parametrize("limit", [1, 3, 200])
def test_pages_after_a_position_hold_every_entry_and_member_action_once_in_order(rpc, db, shop_id, limit):
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    seed_feed(db, shop_id, now)
    seed_member_actions(db, shop_id, now)
    window = {"from_": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}

    items = page_through(rpc, shop_id, window, limit)

    assert len(items) == 23 + 4 + 3  # not the adjustment's audit row
    assert len({i["id"] for i in items}) == len(items)
    assert items == sorted(items, key=position_of, reverse=True)
    # At the newest instant the tier changes, then the member actions (by rank) come first.
    assert [i["id"].split(":")[0] for i in items[:8]] == ["points_tier"] * 2 + ["admin"] * 2 + ["points"] * 4
    assert [i["summary"] for i in items[:2]] == [
        "Tier changed: no tier → Silver",
        "Tier changed: Silver → Gold",
    ]
    excluded = next(i for i in items if i["ref"].get("action") == "customer_excluded")
    assert excluded["summary"] == "Excluded from the program (asked to)"
    assert excluded["customer_email"] == "Alice@Example.com"
    edited = next(i for i in items if i["ref"].get("action") == "customer_updated")
    assert edited["summary"] == "Profile edited: name"
    entry = next(i for i in items if i["id"].startswith("points:"))
    assert set(entry) == {
        "id",
        "kind",
        "occurred_at",
        "customer_id",
        "customer_email",
        "customer_name",
        "summary",
        "points",
        "ref",
    }
    assert entry["summary"].startswith("activity ")

    bobs = page_through(rpc, shop_id, window, limit, customer_id="bob")
    assert bobs == [i for i in items if i["customer_id"] == "bob"]


def test_a_customer_who_is_no_member_and_a_nonsense_position_are_refused(rpc, db, shop_id):
    now = datetime.now(UTC)
    seed_feed(db, shop_id, now)
    window = {"from_": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    with pytest.raises(NotFound):
        rpc.timeline(shop_id, **window, limit=5, customer_id="nobody")
    with pytest.raises(BadRequest):
        rpc.timeline(shop_id, **window, limit=5, after=[now.isoformat(), "points", "not-a-number"])
