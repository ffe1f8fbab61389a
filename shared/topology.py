"""Broker topology for reliable consumers: for every event handler queue, a
ladder of retry queues and a dead-letter queue.

    <queue>                 bound to <source>.events by event type (nameko's)
    <queue>.retry.<ms>      TTL <ms>, then dead-lettered back into <queue>
    <queue>.dead            parked after the last retry; listed and replayed
                            by `loyalty dead-letters`

A failed delivery is re-published (with confirms) to the next retry queue and
only then acked, so a message is never lost and never hot-requeued."""
import contextlib
import inspect
import json
import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from kombu import Connection, Queue

from shared import config
from shared.outbox import events_exchange

log = logging.getLogger(__name__)

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


def handler_queues(service_cls) -> list[HandlerQueue]:
    """Every reliable event handler queue a service class consumes from."""
    from shared.entrypoints import ReliableEventHandler

    queues = []
    for method_name, method in inspect.getmembers(service_cls, callable):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                queues.append(HandlerQueue(
                    handler_queue_name(entrypoint.source_service, entrypoint.event_type,
                                       service_cls.name, method_name),
                    entrypoint.source_service, entrypoint.event_type))
    return queues


def declare_handler_queue(channel, queue: HandlerQueue, delays_ms: list[int]) -> None:
    exchange = events_exchange(queue.source_service)
    exchange(channel).declare()
    Queue(queue.name, exchange=exchange, routing_key=queue.event_type,
          durable=True, auto_delete=False)(channel).declare()
    for delay in delays_ms:
        Queue(retry_queue_name(queue.name, delay), durable=True, auto_delete=False,
              queue_arguments={"x-message-ttl": delay,
                               "x-dead-letter-exchange": "",
                               "x-dead-letter-routing-key": queue.name})(channel).declare()
    Queue(dead_queue_name(queue.name), durable=True, auto_delete=False)(channel).declare()


def declare_all(amqp_uri: str, service_classes) -> list[HandlerQueue]:
    """`loyalty setup-broker`: every consumer queue exists before anything is
    published, so no event is dropped for want of a bound queue."""
    queues = [q for cls in service_classes for q in handler_queues(cls)]
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for queue in queues:
            declare_handler_queue(channel, queue, config.retry_delays_ms())
    return queues


def _drain(channel, queue_name: str):
    """Fetch every message of a queue, unacked; closing the channel returns
    the ones not acked to the queue."""
    while True:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            return
        yield message


def list_dead_letters(amqp_uri: str, queues: list[HandlerQueue]) -> list[dict]:
    found = []
    with Connection(amqp_uri) as conn:
        for queue in queues:
            channel = conn.channel()
            try:
                for message in _drain(channel, dead_queue_name(queue.name)):
                    props = message.properties
                    headers = props.get("application_headers") or {}
                    found.append({
                        "id": props.get("message_id"),
                        "queue": queue.name,
                        "event_type": props.get("type"),
                        "attempts": headers.get(ATTEMPTS_HEADER),
                        "error": headers.get(ERROR_HEADER),
                        "body": json.loads(message.body),
                    })
            finally:
                channel.close()
    return found


def replay_dead_letters(amqp_uri: str, queues: list[HandlerQueue], message_id: str | None) -> int:
    """Move dead letters (all, or those of one event id) back to their queue
    with a fresh attempt count. Publish is confirmed before the ack."""
    replayed = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        for queue in queues:
            channel = conn.channel()
            try:
                producer = conn.Producer(channel=channel)
                for message in _drain(channel, dead_queue_name(queue.name)):
                    props = message.properties
                    if message_id is not None and props.get("message_id") != message_id:
                        continue
                    headers = dict(props.get("application_headers") or {})
                    headers[ATTEMPTS_HEADER] = 0
                    headers.pop(ERROR_HEADER, None)
                    producer.publish(message.body, exchange="", routing_key=queue.name,
                                     content_type=props.get("content_type", "application/json"),
                                     content_encoding=props.get("content_encoding", "utf-8"),
                                     message_id=props.get("message_id"), type=props.get("type"),
                                     headers=headers, delivery_mode=2)
                    channel.basic_ack(message.delivery_info["delivery_tag"])
                    replayed += 1
                    log.info("replayed dead letter %s to %s", props.get("message_id"), queue.name)
            finally:
                channel.close()
    return replayed


@contextlib.contextmanager
def private_vhost(amqp_uri: str, prefix: str):
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


def _rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
