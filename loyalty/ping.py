"""`loyalty ping SERVICE`: one `health()` RPC to a backend, as its
healthcheck. Speaks nameko's RPC wire format over plain kombu with an
exclusive reply queue, which goes away with the connection (a nameko
standalone proxy would leave a reply queue behind for five minutes on
every check)."""

import json
import uuid

from kombu import Connection, Consumer, Exchange, Producer, Queue

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


def ping(amqp_uri: str, service: str, timeout: float = 5.0) -> dict:
    """The service's `health()` answer; raises if none comes in `timeout`."""
    correlation_id = str(uuid.uuid4())
    replies: list = []

    def on_reply(body, message) -> None:
        replies.append(body)
        message.ack()

    with Connection(amqp_uri, connect_timeout=timeout) as conn:
        channel = conn.channel()
        reply_queue = Queue(
            f"rpc.ping-{correlation_id}",
            exchange=RPC_EXCHANGE,
            routing_key=correlation_id,
            exclusive=True,
            auto_delete=True,
        )
        with Consumer(channel, queues=[reply_queue], accept=["json"], callbacks=[on_reply]):
            Producer(channel).publish(
                {"args": [], "kwargs": {}},
                exchange=RPC_EXCHANGE,
                routing_key=f"{service}.health",
                reply_to=correlation_id,
                correlation_id=correlation_id,
                serializer="json",
                mandatory=True,
                declare=[RPC_EXCHANGE],
            )
            conn.drain_events(timeout=timeout)
    if not replies:
        raise TimeoutError(f"no answer from {service}")
    body = replies[0] if isinstance(replies[0], dict) else json.loads(replies[0])
    if body.get("error"):
        raise RuntimeError(body["error"].get("value") or body["error"])
    return body["result"]
