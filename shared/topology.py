"""Broker topology for reliable consumers: for every event handler queue, a
ladder of retry queues and a dead-letter queue.

    <queue>                 bound to <source>.events by event type (nameko's)
    <queue>.retry.<ms>      TTL <ms>, then dead-lettered back into <queue>
    <queue>.dead            parked after the last retry; listed and replayed
                            by `loyalty dead-letters`

A failed delivery is re-published (with confirms) to the next retry queue and
only then acked, so a message is never lost and never hot-requeued. Listing and
replaying dead letters: `shared.dead_letters`."""

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from kombu import Connection, Queue
from kombu.transport.pyamqp import Channel

from shared import config
from shared.outbox import events_exchange

ATTEMPTS_HEADER = "x-loyalty-attempts"
ORIGIN_HEADER = "x-loyalty-queue"
ERROR_HEADER = "x-loyalty-error"


@dataclass(frozen=True)
class HandlerQueue:
    name: str
    source_service: str
    event_type: str


def handler_queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    # nameko's own naming for SERVICE_POOL event handlers, so both agree.
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def retry_queue_name(queue: str, delay_ms: int) -> str:
    return f"{queue}.retry.{delay_ms}"


def dead_queue_name(queue: str) -> str:
    return f"{queue}.dead"


def declare_handler_queue(channel: Channel, queue: HandlerQueue, delays_ms: list[int]) -> None:
    exchange = events_exchange(queue.source_service)
    exchange(channel).declare()
    Queue(queue.name, exchange=exchange, routing_key=queue.event_type, durable=True, auto_delete=False)(
        channel
    ).declare()
    for delay in delays_ms:
        Queue(
            retry_queue_name(queue.name, delay),
            durable=True,
            auto_delete=False,
            queue_arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue.name,
            },
        )(channel).declare()
    Queue(dead_queue_name(queue.name), durable=True, auto_delete=False)(channel).declare()


def declare_all(amqp_uri: str, queues: list[HandlerQueue]) -> list[HandlerQueue]:
    """`loyalty setup-broker`: every consumer queue exists before anything is
    published, so no event is dropped for want of a bound queue."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for queue in queues:
            declare_handler_queue(channel, queue, config.retry_delays_ms())
    return queues


@contextlib.contextmanager
def private_vhost(amqp_uri: str, prefix: str) -> Iterator[str]:
    """A fresh vhost on the local broker (when rabbitmqctl can make one),
    deleted after, so a test run or a benchmark never meets another's queues
    or a running `make run`; on a remote broker, `amqp_uri` itself."""
    parts = urlsplit(amqp_uri)
    if not shutil.which("rabbitmqctl") or parts.hostname not in ("localhost", "127.0.0.1"):
        yield amqp_uri
        return
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*")
        yield urlunsplit(parts._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
