"""Members' tier changes: one row for each, the history the merged
timeline's tier items read."""

from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.points.models import tier_changes
from shared.db import insert_row


def record_tier_change(
    session: Session,
    member_row: Row,
    to_tier: str | None,
    reason: str,
    actor: str,
    activity_id: int | None,
    now: datetime,
) -> None:
    """`member_row` as it was before: its current tier is the one left."""
    insert_row(
        session,
        tier_changes,
        shop_id=member_row.shop_id,
        customer_id=member_row.customer_id,
        from_tier=member_row.current_tier,
        to_tier=to_tier,
        reason=reason,
        actor=actor,
        activity_id=activity_id,
        occurred_at=now,
    )
