"""The reviews service's part of the merged timeline (SPEC §7): each review
and Google review when submitted and when moderated, after a position,
newest first."""

import functools
import operator
from typing import Any

from services.reviews import repository
from services.reviews.domain import GOOGLE_REVIEW, REVIEW
from shared.customer_copies import full_name
from shared.db import UnitOfWork
from shared.timeline import TimelineItem, TimelinePage, TimelineQuery, item_id, service_page, stream_entries

STEPS = ("submitted", "moderated")


def _summary(kind: str, step: str, row: Any) -> str:
    if kind == REVIEW:
        subject = f"{row.rating}-star review of {row.product_title or 'product ' + row.product_id}"
    else:
        subject = "Google review"
    return f"{subject} submitted" if step == "submitted" else f"{subject} {row.status}"


def _ref(kind: str, row: Any) -> dict:
    common = {"id": row.id, "status": row.status, "moderated_by": row.moderated_by}
    if kind == GOOGLE_REVIEW:
        return {**common, "review_url": row.review_url}
    return {
        **common,
        "product_id": row.product_id,
        "product_title": row.product_title,
        "rating": row.rating,
        "title": row.title,
        "media_urls": row.media_urls,
    }


def _points(kind: str, step: str, row: Any) -> int | None:
    if step == "submitted" or row.reward_points is None:
        return None
    return row.reward_points + (getattr(row, "photo_bonus_points", None) or 0)


def item(kind: str, step: str, row: Any) -> TimelineItem:
    stream = f"{kind}_{step}"
    at = row.occurred_at if step == "submitted" else row.moderated_at
    return {
        "id": item_id(stream, row.id),
        "kind": kind,
        "occurred_at": at.isoformat(),
        "customer_id": row.customer_id,
        "customer_email": row.customer_email,
        "customer_name": full_name(row.customer_first_name, row.customer_last_name),
        "summary": _summary(kind, step, row),
        "points": _points(kind, step, row),
        "ref": _ref(kind, row),
    }


def timeline(uow: UnitOfWork, query: TimelineQuery) -> TimelinePage:
    return service_page(
        (
            entry
            for kind in (REVIEW, GOOGLE_REVIEW)
            for step in STEPS
            if query.wants(f"{kind}_{step}")
            for entry in stream_entries(
                f"{kind}_{step}",
                repository.timeline_stream(uow.session, kind, step, query),
                operator.attrgetter("occurred_at" if step == "submitted" else "moderated_at"),
                functools.partial(item, kind, step),
            )
        ),
        query.limit,
    )
