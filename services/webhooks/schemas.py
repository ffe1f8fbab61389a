"""The webhooks service's RPC contract: its inputs here, its answers in
shared/webhooks_api.py (re-exported), which the gateway describes too."""

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import CursorQuery
from shared.webhooks_api import CreatedSubscription as CreatedSubscription
from shared.webhooks_api import DeliveryAttempt as DeliveryAttempt
from shared.webhooks_api import NewSubscription, SubscriptionStatusChange
from shared.webhooks_api import Subscription as Subscription
from shared.webhooks_api import SubscriptionList as SubscriptionList
from shared.webhooks_api import TestDelivery as TestDelivery


class ShopRef(BaseModel):
    shop_id: str = Field(min_length=1, max_length=64)


class SubscriptionRef(ShopRef):
    subscription_id: str = Field(min_length=1, max_length=36)


class Idempotent(BaseModel):
    # The caller's Idempotency-Key: a retry with it gets the first answer.
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class NewSubscriptionRequest(NewSubscription, Idempotent):
    model_config = ConfigDict(extra="forbid")

    shop_id: str = Field(min_length=1, max_length=64)
    # The shop's domain as the gateway knows it: every delivery names it.
    shop_domain: str = Field(min_length=1, max_length=255)


class SendTestRequest(SubscriptionRef, Idempotent):
    pass


class StatusRequest(SubscriptionRef, SubscriptionStatusChange):
    pass


class AttemptsQuery(SubscriptionRef, CursorQuery):
    pass
