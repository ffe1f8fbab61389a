"""Webhook → points credited, next to the bare framework, in one run.

    python -m bench.pipeline                      # 2,000 orders from 10 clients
    python -m bench.pipeline --orders 500 --clients 10

Ours: every service as `make run` runs it (SQLite files, one process
each, a private vhost), a shop made with `loyalty shops create`, and signed
`orders/paid` webhooks, each for a new customer, from `--clients` threads.
An order counts as credited when its award row is committed; its lag runs
from the gateway's 200 to that commit. The anchor: bench/bare.py (`@http` →
event → handler inserting one SQLite row) under the same load. Prints
figures only: nothing here passes or fails on a timing."""

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import select

from bench.report import load_average, log, percentile
from bench.stack import Services, cpu_seconds, create_shop, free_port, loyalty
from loyalty.services import SERVICES
from services.points.models import order_awards
from shared import config
from shared.db import make_engine
from shared.topology import private_vhost

WARMUP_ORDERS = 20


@dataclass
class Run:
    """One pipeline under load: when each order was accepted, and credited."""

    name: str
    accepted_at: dict[str, float] = field(default_factory=dict)
    credited_at: dict[str, float] = field(default_factory=dict)
    started: float = 0.0
    sent: float = 0.0
    failures: int = 0
    # CPU seconds each process spent on the timed orders (from start to last credit).
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def accepted_per_s(self) -> float:
        return len(self.accepted_at) / (self.sent - self.started)

    def credited_per_s(self) -> float:
        return len(self.credited_at) / (max(self.credited_at.values()) - self.started)

    def cpu_ms_per_order(self) -> dict[str, float]:
        orders = max(1, len(self.credited_at))
        return {name: 1000 * seconds / orders for name, seconds in self.cpu_seconds.items()}

    def lags_ms(self) -> list[float]:
        return sorted(
            (self.credited_at[order] - accepted) * 1000
            for order, accepted in self.accepted_at.items()
            if order in self.credited_at
        )


def send_all(orders: list[dict], clients: int, post) -> tuple[dict[str, float], int]:
    """POST every order from `clients` threads: when each was accepted
    (epoch seconds, at its 200), and how many were not."""
    accepted: dict[str, float] = {}
    failures = []
    queue = list(reversed(orders))
    lock = threading.Lock()

    def client():
        http = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                order = queue.pop()
            answer = post(http, order)
            with lock:
                if answer.status_code == 200:
                    accepted[str(order["id"])] = time.time()
                else:
                    failures.append(answer.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted, len(failures)


def order(order_id: int) -> dict:
    customer = 10_000_000 + order_id
    email = f"buyer{order_id}@example.com"
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "email": email,
        "customer": {"id": customer, "email": email},
        "financial_status": "paid",
        "subtotal_price": "25.00",
        "total_price": "25.00",
        "currency": "USD",
        "discount_codes": [],
        "created_at": datetime.now(UTC).isoformat(),
    }


def wait_credited(read, expected: set[str], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    credited: dict[str, float] = {}
    while time.monotonic() < deadline:
        credited = read()
        if expected <= credited.keys():
            break
        time.sleep(0.05)
    return credited


def measure(run: Run, orders: list[dict], clients: int, post, read, pids: dict[str, int]) -> Run:
    """Time the orders after a warm-up; `pids` are the processes doing the
    work, whose CPU time per order is recorded beside the rates."""
    warmup, timed = orders[:WARMUP_ORDERS], orders[WARMUP_ORDERS:]
    send_all(warmup, clients, post)
    wait_credited(read, {str(o["id"]) for o in warmup}, 60)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    run.started = time.time()
    run.accepted_at, run.failures = send_all(timed, clients, post)
    run.sent = time.time()
    credited = wait_credited(read, set(run.accepted_at), 300)
    run.cpu_seconds = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    run.credited_at = {order_id: at for order_id, at in credited.items() if order_id in run.accepted_at}
    return run


def ours(args, workdir: Path, amqp_uri: str) -> Run:
    port = free_port()
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        LOYALTY_DATA_DIR=str(workdir / "ours"),
        GATEWAY_HOST="127.0.0.1",
        GATEWAY_PORT=str(port),
    )
    subprocess.run(loyalty("setup-broker"), env=env, check=True, capture_output=True, timeout=120)
    shop = create_shop(env, f"bench-{uuid.uuid4().hex[:8]}.myshopify.com")
    log_dir = workdir / "ours-logs"
    log_dir.mkdir()
    services = Services(list(SERVICES), env, log_dir)
    base_url = f"http://127.0.0.1:{port}"
    try:
        services.wait_until_answering(
            base_url + "/api/customers?limit=1", {"Authorization": f"Bearer {shop['admin_api_key']}"}
        )
        secret = shop["webhook_secret"].encode()

        def post(http, body):
            raw = json.dumps(body).encode()
            signature = base64.b64encode(hmac.new(secret, raw, hashlib.sha256).digest()).decode()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/paid",
                "X-Shopify-Shop-Domain": shop["domain"],
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Hmac-Sha256": signature,
            }
            return http.post(base_url + "/webhooks/shopify", data=raw, headers=headers, timeout=30)

        engine = make_engine(f"sqlite:///{workdir}/ours/points.db")
        query = select(order_awards.c.order_id, order_awards.c.created_at).where(
            order_awards.c.shop_id == shop["shop"]
        )

        def read():
            with engine.connect() as conn:
                return {row.order_id: row.created_at.timestamp() for row in conn.execute(query)}

        orders = [order(i) for i in range(1, args.orders + WARMUP_ORDERS + 1)]
        pids = {name: services.pid(name) for name in SERVICES}
        return measure(Run("ours"), orders, args.clients, post, read, pids)
    finally:
        services.stop()


def utc_timestamp(stored: str) -> float:
    """SQLite keeps the bare handler's naive UTC datetime as text."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).timestamp()


def bare(args, workdir: Path, amqp_uri: str) -> Run:
    port = free_port()
    database = workdir / "bare.db"
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
        BARE_DATABASE_URL=f"sqlite:///{database}",
    )
    with open(workdir / "bare.log", "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare"], env=env, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}/orders"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        engine = make_engine(f"sqlite:///{database}")

        def post(http, body):
            return http.post(url, data=json.dumps(body), timeout=30)

        def read():
            with engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT order_id, credited_at FROM credited")
                return {order_id: utc_timestamp(at) for order_id, at in rows}

        orders = [order(i) for i in range(1, args.orders + WARMUP_ORDERS + 1)]
        return measure(Run("bare nameko"), orders, args.clients, post, read, {"bare": process.pid})
    finally:
        process.terminate()
        process.wait(timeout=20)


def cpu_breakdown(run: Run) -> str:
    """Where an order's CPU goes, process by process."""
    shares = ", ".join(f"{name} {ms:.2f}" for name, ms in run.cpu_ms_per_order().items())
    return f"  {run.name}'s CPU ms per order: {shares}"


def report(args, runs: list[Run], load_before: str) -> str:
    ours_run, bare_run = runs
    lines = [
        f"webhook → points credited: {args.orders:,} signed orders/paid, {args.clients} clients, SQLite",
        f"load average before: {load_before}; after: {load_average()}",
        "",
        f"{'':32}{'ours':>12}{'bare nameko':>14}{'ratio':>8}",
    ]

    def row(label, ours_value, bare_value, fmt="{:,.0f}", ratio=True):
        cells = f"{label:32}{fmt.format(ours_value):>12}{fmt.format(bare_value):>14}"
        return cells + (f"{ours_value / bare_value:>8.2f}" if ratio else "")

    lines.append(row("accepted per second", ours_run.accepted_per_s(), bare_run.accepted_per_s()))
    lines.append(row("credited per second", ours_run.credited_per_s(), bare_run.credited_per_s()))
    for share, name in ((0.5, "p50"), (0.99, "p99")):
        lines.append(
            row(
                f"lag accepted → credited {name} ms",
                percentile(ours_run.lags_ms(), share),
                percentile(bare_run.lags_ms(), share),
                ratio=False,
            )
        )
    lines.append(
        row(
            "CPU ms per order, all processes",
            sum(ours_run.cpu_ms_per_order().values()),
            sum(bare_run.cpu_ms_per_order().values()),
            fmt="{:,.2f}",
        )
    )
    lines.append(cpu_breakdown(ours_run))
    for run in runs:
        missing = len(run.accepted_at) - len(run.credited_at)
        if run.failures or missing:
            lines.append(f"{run.name}: {run.failures} refused, {missing} accepted but never credited")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args(argv)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="loyalty-pipeline-") as workdir:
        runs = []
        for pipeline in (ours, bare):
            with private_vhost(config.amqp_uri(), "loyalty-bench") as amqp_uri:
                log(f"{pipeline.__name__}: {args.orders:,} orders")
                runs.append(pipeline(args, Path(workdir), amqp_uri))
    print(report(args, runs, load_before))


if __name__ == "__main__":
    main()
