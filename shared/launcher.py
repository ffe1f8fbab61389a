"""`make run` / `loyalty run`: everything on one machine, for a merchant demo
or a developer. Makes sure RabbitMQ is up, declares the broker topology,
starts the four services as separate processes, creates a demo shop on the
first run and prints where to go. Ctrl-C or SIGTERM stops what it started."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

from kombu import Connection

from shared import config
from shared.cli import SERVICES, all_service_classes

DEMO_DOMAIN = "demo-shop.myshopify.com"


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
        "/usr/sbin/rabbitmq-server" if os.path.exists("/usr/sbin/rabbitmq-server") else None)
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
        "  or point AMQP_URI at a broker you have.")


def wait_until_ready(port: int, children, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in children.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} service exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=3) as resp:
                if resp.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise RuntimeError("the system did not become ready in time (see the log above)")


def demo_credentials() -> dict:
    """The demo shop's credentials, created on the first run. Only the key's
    hash is in the database, so the plaintext is kept in the data dir (0600)
    for the demo alone; real shops get theirs once from `loyalty shops create`."""
    path = config.data_dir() / "demo-shop.json"
    if path.exists():
        return json.loads(path.read_text())
    from services.gateway.shops import create_shop_cli

    credentials = create_shop_cli(DEMO_DOMAIN)
    path.write_text(json.dumps(credentials))
    path.chmod(0o600)
    return credentials


def run_everything() -> None:
    uri = config.amqp_uri()
    ensure_rabbitmq(uri)
    from shared.topology import declare_all

    declare_all(uri, all_service_classes())
    say(f"broker topology declared at {uri}; data in {config.data_dir()}")

    children: dict[str, subprocess.Popen] = {}

    def stop_all(*_):
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    def on_signal(signum, _frame):
        say("stopping ...")
        stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    for name in SERVICES:
        children[name] = subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", name])
    port = config.gateway_port()
    try:
        wait_until_ready(port, children)
        credentials = demo_credentials()
    except Exception as exc:
        say(f"could not start: {exc}")
        stop_all()
        sys.exit(1)

    say("all services are up.")
    print(
        "\n"
        f"  Dashboard:      http://localhost:{port}/#key={credentials['admin_api_key']}\n"
        f"  Demo shop:      {credentials.get('domain', DEMO_DOMAIN)}  ({credentials['shop']})\n"
        f"  Admin API key:  {credentials['admin_api_key']}\n"
        f"  Webhook secret: {credentials['webhook_secret']}\n"
        "\n  Ctrl-C stops everything.\n", flush=True)

    while True:
        for name, proc in children.items():
            if proc.poll() is not None:
                say(f"the {name} service exited with code {proc.returncode}; stopping everything")
                stop_all()
                sys.exit(1)
        time.sleep(1)
