"""What each command, event and timer tick of the webhooks service does.

Subscriptions are written in one unit of work each. An event becomes one
delivery per matching active subscription in the unit of work of its
inbox row (effect and record together). The sender leases due deliveries
in one short unit of work, POSTs them outside any (never network I/O
inside a transaction), and records each answer in another."""

import hashlib
import json
import logging
import random
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import eventlet
from pydantic import BaseModel

from services.webhooks import domain, repository, sender
from services.webhooks.schemas import (
    AttemptsQuery,
    CreatedSubscription,
    DeliveryAttempt,
    NewSubscriptionRequest,
    SendTestRequest,
    Subscription,
    SubscriptionList,
    TestDelivery,
)
from shared import config, metrics
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound
from shared.events import Envelope, Payload
from shared.pagination import Page
from shared.secret_box import secret_box
from shared.webhooks_api import TEST_TOPIC

log = logging.getLogger(__name__)

# Deliveries one sender tick takes (sent side by side), and how long its
# lease on them lasts: longer than the slowest POST it could make.
CLAIM_BATCH = 20
SEND_CONCURRENCY = 10
LEASE_MARGIN = timedelta(seconds=30)


# --- subscriptions -----------------------------------------------------------------


def create_subscription(uow: UnitOfWork, request: NewSubscriptionRequest) -> CreatedSubscription:
    """With an Idempotency-Key, a retry gets the first answer again, the
    signing secret read back from the subscription's encrypted copy."""
    asked = request.model_dump(mode="json", include={"url", "topics"})

    def replay(stored: dict[str, Any]) -> CreatedSubscription:
        row = repository.subscription(uow.session, request.shop_id, stored["id"])
        if row is None:
            raise Conflict(
                "the webhook subscription this Idempotency-Key created has been deleted since",
                {"header": "Idempotency-Key", "id": stored["id"]},
            )
        return CreatedSubscription.model_validate(
            {**stored, "signing_secret": secret_box().decrypt(row.secret_encrypted)}
        )

    return _once(
        uow,
        request.shop_id,
        request.idempotency_key,
        ["create_subscription", asked],
        lambda: _create(uow, request),
        replay,
    )


def _create(uow: UnitOfWork, request: NewSubscriptionRequest) -> CreatedSubscription:
    domain.target_of(request.url, config.allow_http_webhooks())  # 422 naming the url
    signing_secret = "whsec_" + secrets.token_urlsafe(32)
    subscription_id = str(uuid.uuid4())
    repository.add_subscription(
        uow.session,
        id=subscription_id,
        shop_id=request.shop_id,
        shop_domain=request.shop_domain,
        url=request.url,
        topics=request.topics,
        secret_encrypted=secret_box().encrypt(signing_secret),
        status="active",
        disabled_reason=None,
        failing_since=None,
        created_at=uow.clock.now(),
    )
    row = _subscription(uow, request.shop_id, subscription_id)
    return CreatedSubscription.model_validate({**row._asdict(), "signing_secret": signing_secret})


def list_subscriptions(uow: UnitOfWork, shop_id: str) -> SubscriptionList:
    rows = repository.shop_subscriptions(uow.session, shop_id)
    return SubscriptionList(items=[Subscription.model_validate(row) for row in rows])


def get_subscription(uow: UnitOfWork, shop_id: str, subscription_id: str) -> Subscription:
    return Subscription.model_validate(_subscription(uow, shop_id, subscription_id))


def delete_subscription(uow: UnitOfWork, shop_id: str, subscription_id: str) -> dict[str, Any]:
    if not repository.remove_subscription(uow.session, shop_id, subscription_id):
        raise _no_such_subscription(subscription_id)
    return {"id": subscription_id, "deleted": True}


def set_status(uow: UnitOfWork, shop_id: str, subscription_id: str, status: str) -> Subscription:
    """Pause or resume. Resuming a disabled subscription starts it afresh:
    not failing, no reason shown."""
    _subscription(uow, shop_id, subscription_id)
    repository.change_subscription(
        uow.session, shop_id, subscription_id, status=status, disabled_reason=None, failing_since=None
    )
    return get_subscription(uow, shop_id, subscription_id)


def schedule_test(uow: UnitOfWork, request: SendTestRequest) -> TestDelivery:
    """A delivery of topic `test`, sent like any other (retries included);
    refused unless the subscription is active, as nothing would be sent.
    With an Idempotency-Key, once: a retry gets the first answer."""
    shop_id, subscription_id = request.shop_id, request.subscription_id

    def schedule() -> TestDelivery:
        row = _subscription(uow, shop_id, subscription_id)
        if row.status != "active":
            raise Conflict(
                f"the webhook subscription is {row.status}: resume it before sending a test",
                {"id": subscription_id, "status": row.status},
            )
        now = uow.clock.now()
        event_id = str(uuid.uuid4())
        body = domain.delivery_body(event_id, TEST_TOPIC, row.shop_domain, now, {"test": True})
        delivery_id = repository.add_delivery(
            uow.session, **_new_delivery(shop_id, subscription_id, event_id, TEST_TOPIC, None, body, now)
        )
        return TestDelivery.model_validate(repository.delivery(uow.session, shop_id, delivery_id))

    return _once(
        uow,
        shop_id,
        request.idempotency_key,
        ["send_test", subscription_id],
        schedule,
        TestDelivery.model_validate,
    )


def list_attempts(uow: UnitOfWork, query: AttemptsQuery) -> Page[DeliveryAttempt]:
    _subscription(uow, query.shop_id, query.subscription_id)
    page = repository.attempts_page(uow.session, query.shop_id, query.subscription_id, query)
    return {
        "items": [DeliveryAttempt.model_validate(row) for row in page["items"]],
        "next_cursor": page["next_cursor"],
    }


AnswerT = TypeVar("AnswerT", bound=BaseModel)


def _once(
    uow: UnitOfWork,
    shop_id: str,
    key: str | None,
    asked: list[Any],
    run: Callable[[], AnswerT],
    replay: Callable[[dict[str, Any]], AnswerT],
) -> AnswerT:
    """`run()` once per Idempotency-Key (as points does its commands): the
    key is claimed in the same transaction as the effect, so a retry after
    a crash either replays the stored answer or does the work for the first
    time; the key with another request (`asked`: the command and its
    arguments) is a 409. The answer is stored without any signing secret."""
    if key is None:
        return run()
    fingerprint = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()
    if not repository.claim_idempotency_key(uow.session, shop_id, key, fingerprint, uow.clock.now()):
        record = must_exist(
            repository.idempotency_record(uow.session, shop_id, key), f"Idempotency-Key {key}"
        )
        if record.fingerprint != fingerprint:
            raise Conflict(
                "this Idempotency-Key was already used for a different request", {"header": "Idempotency-Key"}
            )
        return replay(json.loads(record.result))
    answer = run()
    stored = answer.model_dump(mode="json", exclude={"signing_secret"})
    repository.store_idempotent_result(uow.session, shop_id, key, json.dumps(stored))
    return answer


def _subscription(uow: UnitOfWork, shop_id: str, subscription_id: str):
    row = repository.subscription(uow.session, shop_id, subscription_id)
    if row is None:
        raise _no_such_subscription(subscription_id)
    return row


def _no_such_subscription(subscription_id: str) -> NotFound:
    return NotFound("no such webhook subscription", {"id": subscription_id})


# --- events into deliveries --------------------------------------------------------


def schedule_deliveries(uow: UnitOfWork, event: Envelope[Payload]) -> int:
    """One delivery per active subscription of the event's shop to its
    topic, due now; how many."""
    data = event.payload.model_dump(mode="json")
    topic = domain.topic_of(event.type, data)
    now = uow.clock.now()
    event_id = str(event.event_id)
    scheduled = 0
    for subscription in repository.shop_subscriptions(uow.session, event.shop_id):
        if subscription.status != "active" or topic not in subscription.topics:
            continue
        body = domain.delivery_body(event_id, topic, subscription.shop_domain, event.occurred_at, data)
        values = _new_delivery(
            event.shop_id, subscription.id, event_id, topic, domain.customer_of(data), body, now
        )
        scheduled += repository.schedule_delivery(uow.session, **values)
    return scheduled


def _new_delivery(shop_id, subscription_id, event_id, topic, customer_id, body: bytes, now) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "subscription_id": subscription_id,
        "event_id": event_id,
        "topic": topic,
        "customer_id": customer_id,
        "body": body.decode(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "first_attempt_at": None,
        "claimed_until": None,
        "created_at": now,
    }


# --- the sender --------------------------------------------------------------------


def send_due_deliveries(db) -> int:
    """One sender tick: lease what is due, POST it, record the answers.
    `db`: the worker's database (a unit of work per step). How many were sent."""
    with db.unit_of_work() as uow:
        now = uow.clock.now()
        lease_until = now + timedelta(seconds=config.webhook_timeout_seconds()) + LEASE_MARGIN
        claimed = repository.claim_due_deliveries(uow.session, now, lease_until, CLAIM_BATCH)
        uow.commit()
    if not claimed:
        return 0
    pool = eventlet.GreenPool(SEND_CONCURRENCY)
    answers = list(pool.imap(_send, claimed))
    for row, answer in zip(claimed, answers, strict=True):
        outcome = db.transaction(
            lambda uow, row=row, answer=answer: record_answer(uow, row, answer, lease_until)
        )
        metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        metrics.WEBHOOK_LATENCY.observe(answer.duration_ms / 1000)
    return len(claimed)


def _send(row) -> sender.Answer:
    """The receiver's answer; a delivery that cannot even be sent (its
    secret unreadable after a key change, a bug) is a failed attempt with
    the reason, so it never stops the rest of the batch."""
    try:
        return _signed_post(row)
    except Exception as exc:
        log.exception("webhook delivery %s could not be sent", row.id)
        return sender.Answer(None, f"not sent: {exc}", 0)


def _signed_post(row) -> sender.Answer:
    body = row.body.encode()
    secret = secret_box().decrypt(row.secret_encrypted)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "loyalty-webhooks/1",
        "X-Loyalty-Topic": row.topic,
        "X-Loyalty-Event-Id": row.event_id,
        "X-Loyalty-Shop-Domain": row.shop_domain,
        "X-Loyalty-Hmac-Sha256": domain.signature(secret, body),
    }
    return sender.post(row.url, body, headers)


def record_answer(uow: UnitOfWork, row, answer: sender.Answer, lease_until: datetime) -> str:
    """The attempt as the merchant reads it, the delivery's next step, and
    the subscription's health (24 h failing straight disables it); the
    attempt's outcome. Only while the delivery is still ours as leased
    (`lease_until`): one given up meanwhile (its subscription disabled by
    another answer of the batch) stays given up, and one whose lease ran
    out is another sender's to record."""
    given_up = "delivered" if answer.delivered else "failed"
    subscription = repository.subscription(uow.session, row.shop_id, row.subscription_id)
    if subscription is None:  # deleted (with its deliveries) while this one was on the way
        return given_up
    now = uow.clock.now()
    first_attempt_at = row.first_attempt_at or now
    attempt = row.attempts + 1
    retry_at = None
    if answer.delivered:
        outcome = "delivered"
    else:
        retry_at = domain.next_attempt_at(first_attempt_at, now, attempt, random.random())
        outcome = "retrying" if retry_at is not None else "failed"
    settled = repository.settle_delivery(
        uow.session,
        row.id,
        lease_until,
        status="pending" if retry_at is not None else outcome,
        attempts=attempt,
        first_attempt_at=first_attempt_at,
        next_attempt_at=retry_at,
    )
    if not settled:
        return given_up
    repository.add_attempt(
        uow.session,
        shop_id=row.shop_id,
        subscription_id=row.subscription_id,
        delivery_id=row.id,
        topic=row.topic,
        event_id=row.event_id,
        attempt=attempt,
        attempted_at=now,
        outcome=outcome,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
        error=answer.error,
        next_retry_at=retry_at,
    )
    _note_health(uow, subscription, answer.delivered, now)
    return outcome


def _note_health(uow: UnitOfWork, subscription, delivered: bool, now) -> None:
    shop_id, subscription_id = subscription.shop_id, subscription.id
    if delivered:
        if subscription.failing_since is not None:
            repository.change_subscription(uow.session, shop_id, subscription_id, failing_since=None)
        return
    failing_since = subscription.failing_since or now
    if subscription.status == "active" and domain.should_disable(failing_since, now):
        reason = domain.disabled_reason(failing_since)
        repository.change_subscription(
            uow.session, shop_id, subscription_id, status="disabled", disabled_reason=reason
        )
        repository.fail_pending_deliveries(uow.session, shop_id, subscription_id)
        log.warning("webhook subscription %s of %s disabled: %s", subscription_id, shop_id, reason)
    elif subscription.failing_since is None:
        repository.change_subscription(uow.session, shop_id, subscription_id, failing_since=now)
