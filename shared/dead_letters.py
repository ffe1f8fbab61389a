"""Dead letters: the events a handler gave up on, parked in `<queue>.dead`
(see shared.topology). `loyalty dead-letters list|replay` uses these."""

import json
import logging
from collections.abc import Iterator
from typing import Any, TypedDict

from amqp import Message
from kombu import Connection
from kombu.transport.pyamqp import Channel

from shared.topology import ATTEMPTS_HEADER, ERROR_HEADER, HandlerQueue, dead_queue_name

log = logging.getLogger(__name__)


class DeadLetter(TypedDict):
    id: str | None
    queue: str
    event_type: str | None
    attempts: int | None
    error: str | None
    body: Any  # the event as published: JSON, possibly not a valid envelope


def _drain(channel: Channel, queue_name: str) -> Iterator[Message]:
    """Fetch every message of a queue, unacked; closing the channel returns
    the ones not acked to the queue."""
    while True:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            return
        yield message


def list_dead_letters(amqp_uri: str, queues: list[HandlerQueue]) -> list[DeadLetter]:
    found: list[DeadLetter] = []
    with Connection(amqp_uri) as conn:
        for queue in queues:
            channel = conn.channel()
            try:
                for message in _drain(channel, dead_queue_name(queue.name)):
                    props = message.properties
                    headers = props.get("application_headers") or {}
                    found.append(
                        {
                            "id": props.get("message_id"),
                            "queue": queue.name,
                            "event_type": props.get("type"),
                            "attempts": headers.get(ATTEMPTS_HEADER),
                            "error": headers.get(ERROR_HEADER),
                            "body": json.loads(message.body),
                        }
                    )
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
                    producer.publish(
                        message.body,
                        exchange="",
                        routing_key=queue.name,
                        content_type=props.get("content_type", "application/json"),
                        content_encoding=props.get("content_encoding", "utf-8"),
                        message_id=props.get("message_id"),
                        type=props.get("type"),
                        headers=headers,
                        delivery_mode=2,
                    )
                    channel.basic_ack(message.delivery_info["delivery_tag"])
                    replayed += 1
                    log.info("replayed dead letter %s to %s", props.get("message_id"), queue.name)
            finally:
                channel.close()
    return replayed
