"""Small helpers for tests that wait on asynchronous effects."""

import json
import time
import uuid

from nameko.amqp.publish import Publisher


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
        self.queue = Queue(
            f"test-tap-{uuid.uuid4().hex[:8]}",
            exchange=events_exchange(source),
            routing_key="#",
            exclusive=True,
        )
        self.queue(self.channel).declare()
        self.events: list[dict] = []

    def drain(self) -> list[dict]:
        """Every message so far, as {"body", "message_id"}."""
        while (message := self.channel.basic_get(self.queue.name, no_ack=True)) is not None:
            self.events.append(
                {"body": json.loads(message.body), "message_id": message.properties.get("message_id")}
            )
        return self.events

    def wait_for_event(self, event_type: str, **payload) -> list[dict]:
        """The messages of `event_type` whose payload has these fields, once
        there is at least one (or [] after the wait)."""

        def matching():
            return [
                e
                for e in self.drain()
                if e["body"]["type"] == event_type
                and all(e["body"]["payload"].get(k) == v for k, v in payload.items())
            ]

        return wait_for(matching)

    def close(self):
        self.connection.release()


def migrate(migrations_dir, url: str, revision: str, downgrade: bool = False) -> None:
    """A service's database to `revision` of its migrations, up (or down)."""
    from alembic import command

    from shared.migrations import _MIGRATING, alembic_config

    with _MIGRATING:
        (command.downgrade if downgrade else command.upgrade)(alembic_config(migrations_dir, url), revision)


def loyalty_cli(system, *args):
    """`loyalty ARGS` as an operator runs it, against the test system (its
    databases are in the environment the system fixture set)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, AMQP_URI=system.amqp_uri)
    return subprocess.run(
        [sys.executable, "-m", "loyalty.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRabbit:
    """A RabbitMQ node of a test's own (own node name, ports, config and
    data), so a test can stop and start the broker without touching the
    machine's shared one. `boot()` starts the node; `stop()` and `start()`
    then stop and start the broker in it (`rabbitmqctl stop_app` /
    `start_app`: connections drop, durable queues and persistent messages
    stay); `remove()` ends the node. Needs rabbitmq-server; the node runs as
    the `rabbitmq` user (the server's own wrapper switches to it when run as
    root), so its folder is made theirs."""

    def __init__(self):
        import tempfile

        self.name = f"loyalty-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.dir = tempfile.mkdtemp(prefix="loyalty-rabbit-")
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @staticmethod
    def available() -> str | None:
        """Why a private node cannot be run here, or None if it can."""
        import os
        import shutil

        if not shutil.which("rabbitmq-server") or not shutil.which("rabbitmqctl"):
            return "rabbitmq-server is not installed"
        if os.geteuid() != 0:
            return "a private RabbitMQ node is started as root (it runs as the rabbitmq user)"
        return None

    def _env(self) -> dict:
        import os

        return dict(
            os.environ,
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONF_ENV_FILE=f"{self.dir}/rabbitmq-env.conf",
            RABBITMQ_CONFIG_FILE=f"{self.dir}/rabbitmq.conf",
            RABBITMQ_ENABLED_PLUGINS_FILE=f"{self.dir}/enabled_plugins",
            RABBITMQ_MNESIA_BASE=f"{self.dir}/mnesia",
            RABBITMQ_LOG_BASE=f"{self.dir}/log",
            RABBITMQ_PID_FILE=f"{self.dir}/pid",
        )

    def boot(self, timeout: float = 60.0) -> None:
        import shutil
        import subprocess
        from pathlib import Path

        folder = Path(self.dir)
        # Every interface, not 127.0.0.1 alone: RabbitMQ 3.10 cannot start a
        # listener bound to one address again after stop_app (eaddrinuse).
        # The guest user still only logs in from loopback.
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.default = {self.port}\n")
        (folder / "rabbitmq-env.conf").write_text("")
        (folder / "enabled_plugins").write_text("[].\n")
        shutil.chown(folder, "rabbitmq", "rabbitmq")
        for path in folder.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.run(
            ["rabbitmq-server", "-detached"], env=self._env(), check=True, capture_output=True, timeout=30
        )
        if not wait_for(self.accepts_connections, timeout=timeout, interval=0.2):
            raise RuntimeError(f"private RabbitMQ node {self.name} did not start; see {self.dir}/log")

    def _ctl(self, *args) -> None:
        import subprocess

        subprocess.run(["rabbitmqctl", "-n", self.name, *args], check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        """The broker goes away: every connection drops, none is accepted."""
        self._ctl("stop_app")
        assert wait_for(lambda: not self.accepts_connections(), timeout=30)

    def start(self) -> None:
        self._ctl("start_app")
        assert wait_for(self.accepts_connections, timeout=30, interval=0.1)

    def accepts_connections(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def remove(self) -> None:
        import shutil
        import subprocess

        subprocess.run(["rabbitmqctl", "-n", self.name, "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class ServiceProcesses:
    """The services as `make run` runs them: one OS process each
    (`loyalty serve NAME`), logging to files in `log_dir`."""

    def __init__(self, env: dict, log_dir, names=None):
        from loyalty.services import SERVICES

        self.env = env
        self.log_dir = log_dir
        self.names = list(names or SERVICES)
        self.processes: dict = {}
        self.base_url = f"http://127.0.0.1:{env['GATEWAY_PORT']}"

    def setup_broker(self) -> None:
        """What `loyalty setup-broker` does, without a process of its own."""
        from loyalty.services import all_handler_queues
        from shared.topology import declare_all

        declare_all(self.env["AMQP_URI"], all_handler_queues())

    def start(self, name: str) -> None:
        import subprocess
        import sys

        with open(self.log_dir / f"{name}.log", "a") as log:  # the child writes to its own copy
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "loyalty.cli", "serve", name],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self, name: str, timeout: float = 20.0) -> None:
        """Stop one service (SIGTERM, as an operator would); `start` brings it back."""
        process = self.processes[name]
        process.terminate()
        process.wait(timeout=timeout)

    def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash or the OOM killer ends it: no
        stop, no cleanup, whatever it was doing left half done."""
        process = self.processes[name]
        process.kill()
        process.wait()

    def start_all(self) -> None:
        for name in self.names:
            self.start(name)
        self.wait_until_ready()

    def exited(self) -> dict:
        """{name: exit code} of the processes that are no longer running."""
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def ready(self) -> bool:
        import requests

        try:
            return requests.get(self.base_url + "/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_until_ready(self, timeout: float = 90.0) -> None:
        if (
            not wait_for(lambda: self.ready() or self.exited(), timeout=timeout, interval=0.3)
            or self.exited()
        ):
            raise RuntimeError(f"the services did not become ready (exited: {self.exited()}):\n{self.logs()}")

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-tail:]}" for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self, timeout: float = 20.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=timeout)
            except Exception:
                process.kill()
                process.wait()


def shopify_session_token(shop_domain: str, secret: str, sub: str = "8001", **claims) -> str:
    """A session token as App Bridge hands one to an embedded app: HS256,
    signed with the app's secret (here the shop's webhook secret), valid for
    a minute from now. `claims` replace or add claims (None removes one)."""
    import time

    import jwt

    now = int(time.time())
    payload = {
        "iss": f"https://{shop_domain}/admin",
        "dest": f"https://{shop_domain}",
        "aud": "loyalty",
        "sub": sub,
        "exp": now + 60,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": uuid.uuid4().hex,
    }
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def make_event_publisher(amqp_uri: str):
    """One event at a time, confirmed and `mandatory` as the outbox relay
    publishes: a test stands in for another service's relay with it."""
    return Publisher(amqp_uri, use_confirms=True, mandatory=True, serializer="json")
