"""The seeder's own fleet: the services as `make run` starts them
(loyalty.launcher's Child and Supervisor), on the shop's databases but a
private RabbitMQ vhost and a port of their own, all telling the time from
one clock file (shared.clock.FileClock) that the seeder moves. All but
the webhooks service: the shop's subscribers would be sent months of
made-up events, a day a second (SEED_SERVICES).

"Quiet" is how the seeder knows a day's effects have all landed before it
moves the clock: every outbox row published, every consumer queue (and its
retry queues) empty, and the inbox and outbox row counts unchanged over a
few looks in a row (a handler holding a message has not committed yet)."""

import contextlib
import json
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kombu import Connection
from sqlalchemy import create_engine, text

from loyalty.launcher import Child, Supervisor, service_command
from loyalty.services import SERVICES, all_handler_queues
from shared import config
from shared.clock import write_clock_file
from shared.topology import declare_all, private_vhost, retry_queue_name

# Its queues are not even declared: the seed's events for it are dropped
# on the seed's vhost, deleted after.
SEED_SERVICES = [name for name in SERVICES if name != "webhooks"]
READY_TIMEOUT_SECONDS = 120.0
COUNTS = text(
    "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL), "
    "(SELECT count(*) FROM outbox), (SELECT count(*) FROM processed_events)"
)
QUIET_LOOKS = 3
LOOK_INTERVAL_SECONDS = 0.03


def seed_fleet_ready(port: int) -> bool:
    """The gateway's /ready for the services the seed runs: its 503 naming
    the webhooks service alone (not started) is ready too."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return response.status == 200
    except urllib.error.HTTPError as refused:
        report = json.load(refused)["error"]["details"] or {}
        services = report.get("services", {})
        behind_the_gateway = [name for name in SEED_SERVICES if name != "gateway"]
        return (report.get("broker"), report.get("database")) == ("ok", "ok") and all(
            services.get(name) == "ok" for name in behind_the_gateway
        )
    except (OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Fleet:
    """The running seed fleet as the seeder drives it: its address, its
    clock, and whether it is quiet (read straight from its databases, with
    engines of plain reads: no write lock is ever taken, and its broker)."""

    def __init__(self, amqp_uri: str, port: int, clock_file: Path) -> None:
        self.amqp_uri = amqp_uri
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.clock_file = clock_file
        self.engines = {name: create_engine(config.database_url(name)) for name in SEED_SERVICES}
        self.queues = [queue.name for queue in all_handler_queues(SEED_SERVICES)]
        self.retry_queues = [
            retry_queue_name(name, delay) for name in self.queues for delay in config.retry_delays_ms()
        ]

    def set_clock(self, at: datetime) -> None:
        write_clock_file(self.clock_file, at)

    def wait_until_quiet(self, timeout: float = 30.0) -> bool:
        """True once quiet; False if still busy after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        looks, last = 0, None
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            while time.monotonic() < deadline:
                rows = self._row_counts()
                settled = rows[0] == 0 and self._queued(channel, self.queues) == 0
                looks = looks + 1 if settled and rows == last else 0
                # A failed handler's message waits in a retry queue: looked at
                # once the rest is still (there are three of them per queue).
                if looks >= QUIET_LOOKS and self._queued(channel, self.retry_queues) == 0:
                    return True
                last = rows
                time.sleep(LOOK_INTERVAL_SECONDS)
        return False

    def _row_counts(self) -> tuple[int, ...]:
        """(unpublished outbox rows in all, then each service's outbox and inbox rows)."""
        counts = []
        unpublished = 0
        for engine in self.engines.values():
            with engine.connect() as conn:
                waiting, outbox, inbox = conn.execute(COUNTS).one()
            unpublished += waiting
            counts += [outbox, inbox]
        return (unpublished, *counts)

    @staticmethod
    def _queued(channel, queues: list[str]) -> int:
        return sum(channel.queue_declare(queue=name, passive=True).message_count for name in queues)

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


@contextlib.contextmanager
def demo_fleet(log_path: Path) -> Iterator[Fleet]:
    """The seed's services running until the block ends, then stopped (and
    their vhost and clock file gone)."""
    with (
        private_vhost(config.amqp_uri(), "loyalty-demo") as amqp_uri,
        tempfile.TemporaryDirectory(prefix="loyalty-demo-clock-") as clock_dir,
        open(log_path, "a") as log,
    ):
        clock_file = Path(clock_dir) / "now"
        write_clock_file(clock_file, datetime.now().astimezone())
        port = free_port()
        env = {
            "AMQP_URI": amqp_uri,
            "GATEWAY_PORT": str(port),
            "GATEWAY_HOST": "127.0.0.1",
            "LOYALTY_CLOCK_FILE": str(clock_file),
            "LOYALTY_RELAY_INTERVAL": "0.5",
            # Expiry and birthdays are checked each second of a day that lasts about one.
            "LOYALTY_POINTS_TIMER_INTERVAL": "1",
            # Every shopper reaches the gateway from this machine: the story
            # names their addresses, and none of them is held to a rate.
            "LOYALTY_TRUSTED_PROXIES": "127.0.0.1/32",
            "LOYALTY_RATE_LIMIT_PER_MINUTE": "1000000",
            "LOYALTY_RATE_LIMIT_BURST": "1000000",
            "METRICS_PORT": "",
        }
        children = [Child(name, service_command(name), env=env, output=log) for name in SEED_SERVICES]
        supervisor = Supervisor(children)
        supervisor.start_all()
        try:
            # While they start (each handler declares its own queue too;
            # nothing is published before they are all ready).
            declare_all(amqp_uri, all_handler_queues(SEED_SERVICES))
            with contextlib.closing(Fleet(amqp_uri, port, clock_file)) as fleet:
                deadline = time.monotonic() + READY_TIMEOUT_SECONDS
                while not seed_fleet_ready(port):
                    exited = [child.name for child in supervisor.children if not child.running]
                    if exited or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"the demo seed's services did not start ({', '.join(exited) or 'timed out'}); "
                            f"see {log_path}"
                        )
                    time.sleep(0.2)
                yield fleet
        finally:
            supervisor.stop_all()
