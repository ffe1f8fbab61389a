"""`make run` / `loyalty run`: everything on one machine, for a merchant demo
or a developer. Makes sure RabbitMQ is up, declares the broker topology,
starts the five services as separate processes and keeps them running,
creates a demo shop on the first run and prints where to go.

Supervision: a service that exits is started again after 1 s, 2 s, 4 s …
(at most 30 s), each time with a log line saying so; the delay starts over
once it has run for a minute. A service that keeps dying right after it
starts is given up on (and said so) instead of being restarted forever.
Ctrl-C or SIGTERM stops every process it started: gracefully first (each
service finishes or requeues its in-flight work), killed after a grace
period, and the launcher exits 0.

No eventlet here: the launcher is plain blocking Python, so waiting on its
children is allowed anywhere."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from kombu import Connection

from loyalty.services import SERVICES, all_handler_queues
from shared import config

DEMO_DOMAIN = "demo-shop.myshopify.com"


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0
    max_delay: float = 30.0
    # A run this long counts as healthy: the next crash starts the delays over.
    healthy_after: float = 60.0
    # Crashes in a row, each before `healthy_after`, after which a service is
    # given up on (by default after 1+2+4+8+16 s of waiting in between).
    max_quick_crashes: int = 6

    def delay(self, quick_crashes: int) -> float:
        return min(self.first_delay * 2 ** (quick_crashes - 1), self.max_delay)


# Children get this long to stop on SIGTERM before SIGKILL; the launcher is
# gone well within 15 s of a signal.
STOP_GRACE_SECONDS = 12.0
TICK_SECONDS = 0.2


def say(message: str) -> None:
    print(f"[loyalty] {message}", flush=True)


def broker_reachable(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def ensure_rabbitmq(uri: str) -> None:
    if broker_reachable(uri):
        return
    host = urlsplit(uri).hostname
    server = shutil.which("rabbitmq-server") or (
        "/usr/sbin/rabbitmq-server" if os.path.exists("/usr/sbin/rabbitmq-server") else None
    )
    if host in ("localhost", "127.0.0.1", "::1") and server:
        say(f"RabbitMQ is not answering at {uri}; starting the local rabbitmq-server ...")
        subprocess.run([server, "-detached"], check=False)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if broker_reachable(uri):
                say("RabbitMQ is up.")
                return
            time.sleep(1)
    sys.exit(
        f"[loyalty] Cannot reach RabbitMQ at {uri}.\n"
        "  Start one, then run `make run` again:\n"
        "    docker-compose up -d rabbitmq          (uses this repo's docker-compose.yml)\n"
        "    or install it: sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached\n"
        "  or point AMQP_URI at a broker you have."
    )


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the launcher itself dies
    (even by SIGKILL), so no service outlives it. Linux only; elsewhere a
    no-op."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    """One supervised service process."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None  # added to the launcher's environment
    output: IO | None = None  # where its output goes (default: the launcher's)
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_crashes: int = 0
    restart_at: float | None = None
    given_up: bool = False
    restarts: int = 0

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        self.process = subprocess.Popen(
            self.command,
            env=env,
            preexec_fn=_die_with_parent,
            stdout=self.output,
            stderr=subprocess.STDOUT if self.output is not None else None,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, children: list[Child], policy: RestartPolicy = RestartPolicy()):
        self.children = children
        self.policy = policy
        self.stop_signal: int | None = None

    def request_stop(self, signum, _frame) -> None:
        # Only note it: the main loop does the stopping, outside the handler.
        if self.stop_signal is None:
            self.stop_signal = signum

    def start_all(self) -> None:
        for child in self.children:
            child.start()

    def tick(self) -> None:
        """Notice exited children and start the ones whose delay is over."""
        now = time.monotonic()
        for child in self.children:
            if child.given_up:
                continue
            if child.restart_at is None and not child.running:
                self._schedule_restart(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                say(f"starting {child.name} again (restart #{child.restarts})")
                child.start()

    def _schedule_restart(self, child: Child, now: float) -> None:
        if child.process is None:
            raise RuntimeError(f"{child.name} has exited without having been started")
        code = child.process.returncode
        ran_for = now - child.started_at
        child.quick_crashes = 1 if ran_for >= self.policy.healthy_after else child.quick_crashes + 1
        if child.quick_crashes > self.policy.max_quick_crashes:
            child.given_up = True
            say(
                f"ERROR: {child.name} keeps exiting right after it starts ({child.quick_crashes - 1} times "
                f"in a row, last with code {code}); not restarting it again. Its log is above; "
                "fix the cause, then run `make run` again."
            )
            return
        delay = self.policy.delay(child.quick_crashes)
        child.restart_at = now + delay
        say(f"{child.name} exited with code {code} after {ran_for:.1f}s; restarting it in {delay:g}s")

    def stop_all(self) -> None:
        """SIGTERM to every child still running, SIGKILL to those still
        running after the grace period."""
        live = [child.process for child in self.children if child.process is not None and child.running]
        for process in live:
            process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(p.poll() is None for p in live) and time.monotonic() < deadline:
            time.sleep(0.1)
        for process in live:
            if process.poll() is None:
                say(f"pid {process.pid} did not stop in {STOP_GRACE_SECONDS:g}s; killing it")
                process.kill()
        for process in live:
            process.wait()

    def run(self, on_first_ready) -> int:
        """Supervise until a stop is requested; `on_first_ready()` is called
        in the loop until it returns True. The exit code."""
        self.start_all()
        ready = False
        while self.stop_signal is None:
            self.tick()
            if not ready:
                ready = on_first_ready()
            time.sleep(TICK_SECONDS)
        say(f"stopping on {signal.Signals(self.stop_signal).name} ...")
        self.stop_all()
        say("stopped.")
        return 0


def service_command(name: str) -> list[str]:
    return [sys.executable, "-m", "loyalty.cli", "serve", name]


def metrics_port_env(name: str) -> dict[str, str] | None:
    """Each backend serves its metrics on a port of its own (the gateway on
    its HTTP port, /metrics): LOYALTY_METRICS_BASE_PORT (9101) for the first,
    then the next ones; 0 turns them off."""
    base = int(os.environ.get("LOYALTY_METRICS_BASE_PORT", "9101"))
    backends = [service for service in SERVICES if service != "gateway"]
    if not base or name not in backends:
        return None
    return {"METRICS_PORT": str(base + backends.index(name))}


def gateway_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as resp:
            return resp.status == 200
    except Exception:
        return False


def demo_credentials() -> dict:
    """The demo shop's credentials, created on the first run. Only the key's
    hash is in the database, so the plaintext is kept in the data dir (0600)
    for the demo alone; real shops get theirs once from `loyalty shops create`."""
    path = config.data_dir() / "demo-shop.json"
    if path.exists():
        return json.loads(path.read_text())
    from services.gateway.operations import create_shop_cli

    credentials = create_shop_cli(DEMO_DOMAIN)
    path.write_text(json.dumps(credentials))
    path.chmod(0o600)
    return credentials


def print_welcome(port: int, credentials: dict) -> None:
    # The dashboard's address carries no secret (it would stay in browser
    # history, screenshots and shared links): the key is printed apart, to
    # be typed once into the sign-in form, which trades it for a cookie.
    say("all services are up.")
    print(
        "\n"
        f"  Dashboard:      http://localhost:{port}/   (sign in with the admin API key below)\n"
        f"  Demo shop:      {credentials.get('domain', DEMO_DOMAIN)}  ({credentials['shop']})\n"
        f"  Admin API key:  {credentials['admin_api_key']}\n"
        f"  Webhook secret: {credentials['webhook_secret']}\n"
        "\n  Ctrl-C stops everything.\n",
        flush=True,
    )


def run_everything(before_start: Callable[[], None] | None = None) -> None:
    """`before_start()` runs once the broker is up, before any service
    starts (`loyalty run` seeds the demo shop there: loyalty/demo/run.py)."""
    uri = config.amqp_uri()
    ensure_rabbitmq(uri)
    from shared.topology import declare_all

    declare_all(uri, all_handler_queues())
    say(f"broker topology declared at {uri}; data in {config.data_dir()}")
    if before_start is not None:
        before_start()

    supervisor = Supervisor(
        [Child(name, service_command(name), env=metrics_port_env(name)) for name in SERVICES]
    )
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    port = config.gateway_port()
    started = time.monotonic()
    warned = False

    def welcome_once_ready() -> bool:
        nonlocal warned
        if gateway_ready(port):
            print_welcome(port, demo_credentials())
            return True
        if not warned and time.monotonic() - started > 90:
            warned = True
            say(
                f"still not ready after 90s: see the services' logs above, or GET http://localhost:{port}/ready"
            )
        return False

    sys.exit(supervisor.run(welcome_once_ready))
