"""Queries on the webhook deliveries the gateway has accepted."""
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.gateway.models import webhook_deliveries


def record_webhook_delivery(session: Session, shop_id: str, webhook_id: str, topic: str,
                            event_id: str, received_at: datetime) -> bool:
    """Remember a delivery in the caller's transaction; False if this shop
    already delivered this webhook id (the unique key decides, so two
    concurrent repeats cannot both pass). After False, roll back."""
    try:
        session.execute(insert(webhook_deliveries).values(
            shop_id=shop_id, webhook_id=webhook_id, topic=topic, event_id=event_id,
            received_at=received_at))
    except IntegrityError:
        return False
    return True
