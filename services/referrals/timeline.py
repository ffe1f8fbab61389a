"""The referrals service's part of the merged timeline (SPEC §7): each
referral's claim, completion and cancellation, after a position, newest
first. Every item is about the referrer (the member the program rewards)."""

import functools
import operator
from typing import Any

from services.referrals import repository
from shared.customer_copies import full_name
from shared.db import UnitOfWork
from shared.timeline import TimelineItem, TimelinePage, TimelineQuery, item_id, service_page, stream_entries

STEPS = {
    "referral_claimed": ("occurred_at", "{referee} claimed a referral"),
    "referral_completed": ("completed_at", "{referee}'s first order completed a referral"),
    "referral_cancelled": ("cancelled_at", "Referral of {referee} cancelled"),
}


def step_item(stream: str, row: Any) -> TimelineItem:
    time_field, summary = STEPS[stream]
    return {
        "id": item_id(stream, row.id),
        "kind": "referral",
        "occurred_at": getattr(row, time_field).isoformat(),
        "customer_id": row.referrer_customer_id,
        "customer_email": row.customer_email,
        "customer_name": full_name(row.customer_first_name, row.customer_last_name),
        "summary": summary.format(referee=row.referee_email),
        "points": row.referrer_reward_points if stream == "referral_completed" else None,
        "ref": {
            "id": row.id,
            "step": stream.removeprefix("referral_"),
            "status": row.status,
            "code": row.code,
            "referee_email": row.referee_email,
            "referee_customer_id": row.referee_customer_id,
            "discount_code": row.discount_code,
            "order_id": row.order_id,
            "cancelled_by": row.cancelled_by,
        },
    }


def timeline(uow: UnitOfWork, query: TimelineQuery) -> TimelinePage:
    return service_page(
        (
            entry
            for stream, (time_field, _) in STEPS.items()
            if query.wants(stream)
            for entry in stream_entries(
                stream,
                repository.step_stream(uow.session, stream, query),
                operator.attrgetter(time_field),
                functools.partial(step_item, stream),
            )
        ),
        query.limit,
    )
