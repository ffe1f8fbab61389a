"""The points service's part of the merged timeline (SPEC §7): its ledger
entries, the admin actions on members and the members' tier changes, after
a position, newest first."""

import operator
from typing import Any

from services.points import domain, repository
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.timeline import TimelineItem, TimelinePage, TimelineQuery, item_id, service_page, stream_entries

ADMIN_SUMMARIES = {
    "customer_excluded": "Excluded from the program",
    "customer_included": "Included in the program again",
    "customer_updated": "Profile edited",
}
# A profile edit's fields as the merchant's screens name them (a tier set by
# hand is stored as the tier and the flag that it was set by hand: one field).
PROFILE_FIELDS = {
    "name": "name",
    "birthday": "birthday",
    "vip_tier": "VIP tier",
    "vip_tier_manual": "VIP tier",
}


def _named(row: Any) -> dict:
    return {
        "occurred_at": row.occurred_at.isoformat(),
        "customer_id": row.customer_id,
        "customer_email": row.customer_email,
        "customer_name": domain.display_name(row.customer_first_name, row.customer_last_name),
    }


def ledger_item(row: Any) -> TimelineItem:
    return {
        "id": item_id("points", row.id),
        "kind": "points",
        **_named(row),  # type: ignore[typeddict-item]
        "summary": row.action,
        "points": row.points,
        "ref": {
            "id": row.id,
            "type": row.type,
            "balance_after": row.balance_after,
            "uncollected_points": row.uncollected_points,
            "actor": row.actor,
            "pending_until": row.pending_until.isoformat() if row.pending_until else None,
            "reverses_activity_id": row.reverses_activity_id,
        },
    }


def admin_item(row: Any) -> TimelineItem:
    summary = ADMIN_SUMMARIES[row.action]
    if row.action == "customer_updated" and row.after:
        fields = dict.fromkeys(PROFILE_FIELDS.get(field, field) for field in sorted(row.after))
        summary += ": " + ", ".join(fields)
    if row.reason:
        summary += f" ({row.reason})"
    return {
        "id": item_id("admin", row.id),
        "kind": "admin",
        **_named(row),  # type: ignore[typeddict-item]
        "summary": summary,
        "points": None,
        "ref": {
            "id": row.id,
            "action": row.action,
            "actor": row.actor,
            "reason": row.reason,
            "before": row.before,
            "after": row.after,
        },
    }


def tier_item(row: Any) -> TimelineItem:
    """E.g. "Tier changed: Silver → Gold"; a tier of none is "no tier"."""
    return {
        "id": item_id("points_tier", row.id),
        "kind": "points",
        **_named(row),  # type: ignore[typeddict-item]
        "summary": f"Tier changed: {row.from_tier or 'no tier'} → {row.to_tier or 'no tier'}",
        "points": None,
        "ref": {
            "id": row.id,
            "from_tier": row.from_tier,
            "to_tier": row.to_tier,
            "reason": row.reason,
            "actor": row.actor,
            "activity_id": row.activity_id,
        },
    }


def timeline(uow: UnitOfWork, query: TimelineQuery) -> TimelinePage:
    """A customer's timeline is a member's: 404 for anyone else."""
    session = uow.session
    customer_id = query.customer_id
    if customer_id is not None and repository.members.member(session, query.shop_id, customer_id) is None:
        raise NotFound(
            f"customer {query.customer_id} is not a member of this shop", {"customer_id": query.customer_id}
        )
    occurred_at = operator.attrgetter("occurred_at")
    entries: list = []
    if query.wants("points"):
        rows = repository.timeline.ledger_stream(session, query)
        entries += stream_entries("points", rows, occurred_at, ledger_item)
    if query.wants("points_tier"):
        rows = repository.timeline.tier_stream(session, query)
        entries += stream_entries("points_tier", rows, occurred_at, tier_item)
    if query.wants("admin"):
        rows = repository.timeline.admin_stream(session, query)
        entries += stream_entries("admin", rows, occurred_at, admin_item)
    return service_page(entries, query.limit)
