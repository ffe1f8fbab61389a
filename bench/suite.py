"""The read side on PostgreSQL, ours next to bare nameko in one run: the
points feed under concurrent clients, the customer detail's fan-out, the
overview and the merged timeline, the CSV export, an import of balances
(bench/imports.py), and each service's idle memory.

Ours: every service (`loyalty serve NAME`) on its own database and
a seeded shop (points, referrals and reviews). The anchor: bench/bare_api.py, `@http` + one RPC, reading the
same points database (read-only queries, so sharing it is a copy in effect)
and calling our services for the single calls of the fan-out."""

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

from bench import seed as bench_seed
from bench import seed_items
from bench.clients import FEED_PATH, Repository
from bench.imports import ImportRun, measure_import
from bench.load import Load, concurrent_gets, sequential_gets
from bench.measure import measure_export, measure_export_repository
from bench.merchant_pages import MerchantPages, measure_merchant_pages
from bench.report import log
from bench.scenarios import Export
from bench.stack import Services, cpu_seconds, create_shop, free_port, memory_kib
from loyalty.services import SERVICES

# The single calls of the gateway's customer detail (operations.customer_detail).
FAN_OUT = (
    ("points", "get_customer"),
    ("referrals", "list_customer_referrals"),
    ("reviews", "list_customer_reviews"),
)


@dataclass
class ReadSide:
    feed: dict[str, Load] = field(default_factory=dict)  # "ours"/"bare"
    detail: Load | None = None
    single_calls: dict[str, Load] = field(default_factory=dict)  # "service.method"
    export: Export | None = None
    export_repository: tuple[int, float] = (0, 0.0)
    idle_rss_kib: dict[str, int] = field(default_factory=dict)  # service or "bare nameko"
    activities: int = 0
    referrals: int = 0
    reviews: int = 0  # reviews and Google reviews
    merchant_pages: MerchantPages | None = None
    points_import: ImportRun | None = None
    feed_cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per page of ours, per process


def start_bare(env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with open(log_path, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_api"],
            env=dict(env, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"),
            stdout=output,
            stderr=output,
        )
    return process, f"http://127.0.0.1:{port}"


def wait_for(url: str, params: dict, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, params=params, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def idle_rss(pid: int, settle: float = 3.0) -> int:
    """The resident memory once the process has started and gone quiet."""
    time.sleep(settle)
    return memory_kib(pid)


def measure_read_side(args, workdir: Path, amqp_uri: str) -> ReadSide:
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"loyalty_bench_{suffix}_{service}" for service in SERVICES}
    urls = {service: bench_seed.create_database(args.database_url, name) for service, name in names.items()}
    result = ReadSide()
    try:
        port = free_port()
        env = dict(
            os.environ,
            AMQP_URI=amqp_uri,
            LOYALTY_DATA_DIR=str(workdir / "read-side"),
            GATEWAY_HOST="127.0.0.1",
            GATEWAY_PORT=str(port),
            **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()},
        )
        for service in ("points", "referrals", "reviews"):
            bench_seed.migrate(urls[service], service)
        shop = create_shop(env, f"bench-{suffix}.myshopify.com")
        log(f"seeding {args.members:,} members and {args.activities:,} activities (PostgreSQL)")
        seeded = bench_seed.seed(urls["points"], shop["shop"], args.members, args.activities)
        result.activities = seeded.activities
        log(f"seeding {args.referrals:,} referrals, {args.reviews:,} reviews, a tenth as many Google reviews")
        members = seed_items.members_of(urls["points"], shop["shop"])
        result.referrals = seed_items.seed_referrals(
            urls["referrals"], shop["shop"], members, args.referrals, seeded.now
        )
        result.reviews = seed_items.seed_reviews(
            urls["reviews"], shop["shop"], members, args.reviews, args.reviews // 10, seeded.now
        )
        window = {
            "from": (seeded.now - timedelta(days=30)).isoformat(),
            "to": seeded.now.isoformat(),
            "limit": 50,
        }
        log_dir = workdir / "read-side-logs"
        log_dir.mkdir()
        services = Services(list(SERVICES), env, log_dir)
        bare, bare_url = start_bare(dict(env, BARE_DATABASE_URL=urls["points"]), log_dir / "bare_api.log")
        try:
            base_url = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {shop['admin_api_key']}"}
            services.wait_until_answering(base_url + FEED_PATH, headers)
            bare_feed = {"shop_id": shop["shop"], **window}
            wait_for(bare_url + "/feed", bare_feed)
            for name in SERVICES:
                result.idle_rss_kib[name] = memory_kib(services.pid(name))
            result.idle_rss_kib["bare nameko"] = idle_rss(bare.pid)

            log(f"feed: {args.feed_requests:,} pages from {args.clients} clients, ours then bare")
            concurrent_gets(base_url + FEED_PATH, 20, args.clients, headers, window)
            feed_pids = {name: services.pid(name) for name in ("points", "gateway")}
            cpu_before = {name: cpu_seconds(pid) for name, pid in feed_pids.items()}
            result.feed["ours"] = concurrent_gets(
                base_url + FEED_PATH, args.feed_requests, args.clients, headers, window
            )
            result.feed_cpu_ms = {
                name: (cpu_seconds(pid) - cpu_before[name]) * 1000 / args.feed_requests
                for name, pid in feed_pids.items()
            }
            concurrent_gets(bare_url + "/feed", 20, args.clients, params=bare_feed)
            result.feed["bare"] = concurrent_gets(
                bare_url + "/feed", args.feed_requests, args.clients, params=bare_feed
            )

            customer = {"shop_id": shop["shop"], "customer_id": str(bench_seed.FIRST_CUSTOMER_ID)}
            log(f"customer detail: {args.detail_requests} sequential, and each single call")
            result.detail = sequential_gets(
                f"{base_url}/api/customers/{customer['customer_id']}", args.detail_requests, headers
            )
            for service, method in FAN_OUT:
                result.single_calls[f"{service}.{method}"] = sequential_gets(
                    f"{bare_url}/call/{service}/{method}", args.detail_requests, params=customer
                )

            log(f"overview and merged timeline: {args.page_requests} sequential each")
            result.merchant_pages = measure_merchant_pages(
                base_url, headers, seeded.now, args.page_requests, args.timeline_depth
            )

            log("CSV export: the repository's pages, then over HTTP")
            repo = Repository(urls["points"], shop["shop"])
            try:
                result.export_repository = measure_export_repository(repo, seeded.now)
            finally:
                repo.close()
            result.export = measure_export(
                base_url,
                shop["admin_api_key"],
                seeded.now,
                {name: services.pid(name) for name in ("gateway", "points")},
            )
            log(f"import: {args.import_rows:,} balances through /api/imports/points")
            result.points_import = measure_import(base_url, headers, args.import_rows)
        finally:
            bare.terminate()
            bare.wait(timeout=20)
            services.stop()
    finally:
        for name in names.values():
            bench_seed.drop_database(args.database_url, name)
    return result
