"""Small helpers for tests that wait on asynchronous effects."""
import json
import time
import uuid


def wait_for(condition, timeout=15.0, interval=0.05):
    """Poll `condition` until it returns something truthy; return that value
    (or the last falsy one after `timeout` seconds, for the assert to show)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class EventTap:
    """A throwaway queue bound to `<source>.events`: proves what actually
    reached RabbitMQ, not just what a service meant to publish."""

    def __init__(self, amqp_uri: str, source: str):
        from kombu import Connection, Queue

        from shared.outbox import events_exchange

        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.queue = Queue(f"test-tap-{uuid.uuid4().hex[:8]}", exchange=events_exchange(source),
                           routing_key="#", exclusive=True)
        self.queue(self.channel).declare()
        self.events: list[dict] = []

    def drain(self) -> list[dict]:
        """Every message so far, as {"body", "message_id"}."""
        while (message := self.channel.basic_get(self.queue.name, no_ack=True)) is not None:
            self.events.append({"body": json.loads(message.body),
                                "message_id": message.properties.get("message_id")})
        return self.events

    def wait_for_event(self, event_type: str, **payload) -> list[dict]:
        """The messages of `event_type` whose payload has these fields, once
        there is at least one (or [] after the wait)."""
        def matching():
            return [e for e in self.drain() if e["body"]["type"] == event_type
                    and all(e["body"]["payload"].get(k) == v for k, v in payload.items())]
        return wait_for(matching)

    def close(self):
        self.connection.release()
