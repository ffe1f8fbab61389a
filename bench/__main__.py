"""Benchmark of the points feed and its CSV export on PostgreSQL.

    python -m bench                  # 100,000 members, 1,000,000 activities
    python -m bench --members 1000 --activities 10000 --iterations 50

Creates a database, migrates it with the points service's revisions, creates
a shop with `loyalty shops create`, seeds it, then times the feed three
ways: the repository query in this process (the database's share), the
same page over HTTP through `loyalty serve gateway` and `loyalty serve
points` (adding RPC and HTTP), and EXPLAIN (ANALYZE, BUFFERS) of each query.
Last, it streams the CSV export of every row and watches the two processes'
memory. Prints figures only: nothing here passes or fails on a timing."""

import argparse
import itertools
import os
import platform
import shlex
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from bench import seed as bench_seed
from bench.stack import PeakMemory, Services, create_shop, free_port
from services.gateway.csv_export import EXPORT_PAGE_SIZE
from services.points.repository.ledger import activities_page
from services.points.schemas import ActivitiesQuery, ExportQuery
from shared import config
from shared.db import make_engine
from shared.topology import private_vhost

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FEED_PATH = "/api/activities/points"
EXPORT_PATH = "/api/activities/points.csv"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests before them")
    parser.add_argument(
        "--deep-pages",
        type=int,
        default=200,
        help="pages to follow through next_cursor before timing the deep page",
    )
    parser.add_argument("--q", help="email prefix to search for (default: one matching ~100 members)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER_URL),
        help="a PostgreSQL server (any database on it) where the benchmark creates its "
        "databases; default %(default)s",
    )
    parser.add_argument(
        "--amqp-uri", default=config.amqp_uri(), help="RabbitMQ; on a local broker a private vhost is used"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    args = parser.parse_args(argv)
    if args.members < 1 or args.activities < 1 or args.iterations < 1:
        parser.error("--members, --activities and --iterations must be at least 1")
    return args


@dataclass
class Scenario:
    """One feed query: the HTTP query string, and how many pages deep the
    timed page is."""

    name: str
    params: dict
    depth: int = 0
    cursor: str | None = None  # of the timed page, found by following next_cursor
    reached: int = 0  # pages followed (fewer than depth if the feed ended)
    walk_ms_per_page: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # "repository"/"http" -> [ms]
    rows: int = 0
    plan: str = ""
    mismatch: str = ""


def scenarios(now: datetime, members: int, depth: int, q: str | None) -> list[Scenario]:
    older, old = (now - timedelta(days=90)).isoformat(), (now - timedelta(days=60)).isoformat()
    everything = [moment.isoformat() for moment in bench_seed.history_window(now)]
    # "customer0000" for 100,000 members: the prefix of the first 99 numbers.
    q = q or bench_seed.email_of(1, members).split("@")[0][:-2]
    return [
        Scenario("all types, last 30 days, page 1", {}),
        Scenario(f"all types, last 30 days, page {depth + 1}", {}, depth),
        Scenario("earned, 90-60 days ago, page 1", {"type": "earned", "from": older, "to": old}),
        Scenario(
            f"earned, 90-60 days ago, page {depth + 1}", {"type": "earned", "from": older, "to": old}, depth
        ),
        Scenario(
            "redeemed, all 180 days, page 1", {"type": "redeemed", "from": everything[0], "to": everything[1]}
        ),
        Scenario(f"email prefix q={q}, last 30 days, page 1", {"q": q}),
        # A prefix every member's email shares: the worst case of the search.
        Scenario(f"email prefix q={q[0]}, last 30 days, page 1", {"q": q[0]}),
    ]


# --- the two ways of asking for a page ------------------------------------------------


class Repository:
    """The feed query as the points service runs it, minus RPC and HTTP."""

    def __init__(self, url: str, shop_id: str):
        self.engine = make_engine(url)
        self.shop_id = shop_id

    def query(self, params: dict, model=ActivitiesQuery) -> ActivitiesQuery:
        return model.model_validate({"shop_id": self.shop_id, **params})

    def run(self, query: ActivitiesQuery) -> tuple[list[tuple], str | None]:
        with Session(self.engine) as session:
            page = activities_page(session, query)
        return [(row.occurred_at, row.id) for row in page["items"]], page["next_cursor"]

    def page(self, params: dict):
        return self.run(self.query(params))

    def explain(self, params: dict) -> str:
        """EXPLAIN (ANALYZE, BUFFERS) of the statement the repository sends."""
        sent = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", capture)
        try:
            self.page(params)
        finally:
            event.remove(self.engine, "before_cursor_execute", capture)
        statement, parameters = next(s for s in reversed(sent) if s[0].lstrip().upper().startswith("SELECT"))
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            explained = cursor.fetchone()
            if explained is None:
                raise RuntimeError("EXPLAIN returned no plan")
            plan = explained[0][0]
        finally:
            raw.rollback()
            raw.close()
        return summarize_plan(plan)

    def close(self):
        self.engine.dispose()


class Http:
    """The feed as a merchant's dashboard asks for it."""

    def __init__(self, base_url: str, admin_key: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {admin_key}"

    def page(self, params: dict):
        response = self.session.get(self.base_url + FEED_PATH, params=params, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"GET {FEED_PATH} {params}: {response.status_code} {response.text[:500]}")
        body = response.json()
        keys = [
            (datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00")), item["id"])
            for item in body["items"]
        ]
        return keys, body["next_cursor"]


def summarize_plan(plan: dict) -> str:
    """`index`/`NO INDEX`, execution time, buffers, and the plan's nodes."""
    nodes, scans = [], []

    def visit(node):
        label = node["Node Type"]
        if node.get("Scan Direction") == "Backward":
            label += " Backward"
        if "Index Name" in node:
            label += f" ({node['Index Name']})"
        elif "Relation Name" in node:
            label += f" ({node['Relation Name']})"
        nodes.append(label)
        if node.get("Relation Name") == "point_activities" or "point_activities" in node.get(
            "Index Name", ""
        ):
            scans.append(node["Node Type"])
        for child in node.get("Plans", []):
            visit(child)

    visit(plan["Plan"])
    indexed = bool(scans) and all("Index" in scan for scan in scans)
    top = plan["Plan"]
    return (
        f"{'index' if indexed else 'NO INDEX'}, {plan['Execution Time']:.2f} ms, "
        f"buffers hit {top.get('Shared Hit Blocks', 0)} read {top.get('Shared Read Blocks', 0)}: "
        + " > ".join(nodes)
    )


# --- measuring ------------------------------------------------------------------------


def follow(page, params: dict, depth: int) -> tuple[str | None, int, float]:
    """Follow next_cursor `depth` pages from the first: the cursor reached,
    the pages followed and the ms per page."""
    cursor, followed = None, 0
    started = time.perf_counter()
    while followed < depth:
        _, next_cursor = page({**params, "cursor": cursor} if cursor else params)
        if next_cursor is None:
            break
        cursor, followed = next_cursor, followed + 1
    return cursor, followed, (time.perf_counter() - started) * 1000 / max(followed, 1)


def time_calls(call, iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def newest_first(keys: list[tuple]) -> bool:
    return all(a > b for a, b in itertools.pairwise(keys))


def measure_repository(repo: Repository, cases: list[Scenario], args) -> None:
    for case in cases:
        log(f"repository: {case.name}")
        if case.depth:
            case.cursor, case.reached, case.walk_ms_per_page["repository"] = follow(
                repo.page, case.params, case.depth
            )
        params = {**case.params, "cursor": case.cursor} if case.cursor else case.params
        query = repo.query(params)
        keys, _ = repo.run(query)
        case.rows = len(keys)
        if not newest_first(keys):
            case.mismatch = "the repository's page is not newest first"
        case.timings["repository"] = time_calls(
            lambda query=query: repo.run(query), args.iterations, args.warmup
        )
        case.plan = repo.explain(params)


def measure_http(http: Http, repo: Repository, cases: list[Scenario], args) -> None:
    for case in cases:
        log(f"HTTP: {case.name}")
        if case.depth:
            cursor, _, case.walk_ms_per_page["http"] = follow(http.page, case.params, case.depth)
            if cursor != case.cursor:
                case.mismatch = "following next_cursor over HTTP reached another page"
        params = {**case.params, "cursor": case.cursor} if case.cursor else case.params
        over_http, _ = http.page(params)
        if over_http != repo.page(params)[0]:
            case.mismatch = "the HTTP page differs from the repository's"
        case.timings["http"] = time_calls(
            lambda params=params: http.page(params), args.iterations, args.warmup
        )


@dataclass
class Export:
    status: int
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    first_byte_seconds: float = 0.0
    memory: PeakMemory | None = None
    problem: str = ""


def export_window(now: datetime) -> dict:
    start, end = bench_seed.history_window(now)
    return {"from": start.isoformat(), "to": end.isoformat()}


def measure_export_repository(repo: Repository, now: datetime) -> tuple[int, float]:
    """The export's pages as the points service reads them (no RPC, no
    CSV): the rows and the seconds, the database's share of the export."""
    params, rows, cursor = {**export_window(now), "limit": EXPORT_PAGE_SIZE}, 0, None
    started = time.perf_counter()
    while True:
        keys, cursor = repo.run(repo.query({**params, "cursor": cursor}, ExportQuery))
        rows += len(keys)
        if cursor is None:
            return rows, time.perf_counter() - started


def measure_export(base_url: str, admin_key: str, now: datetime, pids: dict) -> Export:
    """Stream the CSV of every seeded activity, counting rows and bytes,
    while watching the processes' memory."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    params = export_window(now)
    newlines = size = 0
    with PeakMemory(pids) as memory:
        started = time.perf_counter()
        with requests.get(
            base_url + EXPORT_PATH, params=params, headers=headers, stream=True, timeout=120
        ) as response:
            if response.status_code != 200:
                return Export(response.status_code, problem=response.text[:300])
            first_byte = None
            for chunk in response.iter_content(chunk_size=256 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                newlines += chunk.count(b"\n")
                size += len(chunk)
        elapsed = time.perf_counter() - started
    return Export(
        200,
        rows=max(0, newlines - 1),
        bytes=size,
        seconds=elapsed,
        first_byte_seconds=first_byte or elapsed,
        memory=memory,
    )


# --- the report -----------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine_lines(engine) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        shared_buffers = conn.execute(text("SHOW shared_buffers")).scalar()
        work_mem = conn.execute(text("SHOW work_mem")).scalar()
    return [
        f"machine:   {os.cpu_count()} cores ({cpu}), {memory_kib / 2**20:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"database:  PostgreSQL {version}, shared_buffers {shared_buffers}, work_mem {work_mem}",
    ]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def ms(samples: list[float] | None) -> str:
    if not samples:
        return f"{'-':>7} {'-':>7} {'-':>7}"
    return f"{percentile(samples, 0.5):7.2f} {percentile(samples, 0.99):7.2f} {max(samples):7.2f}"


def report(
    args,
    argv,
    header: list[str],
    seeded,
    cases: list[Scenario],
    export: Export | None,
    export_in_process: tuple[int, float],
    load_before: str,
) -> str:
    mix = ", ".join(f"{kind} {count / seeded.activities:.1%}" for kind, count in seeded.type_counts.items())
    width = max(len(case.name) for case in cases)
    lines = [
        "Points feed and CSV export benchmark",
        f"command:   {shlex.join(argv)}",
        *header,
        f"load avg:  {load_before} before, {load_average()} after (1/5/15 min; the cores are shared)",
        "",
        f"seeded:    {seeded.members:,} members, {seeded.activities:,} activities in one shop over "
        f"{bench_seed.HISTORY_DAYS} days ({mix})",
        f"           in {seeded.plan_seconds + seeded.copy_seconds + seeded.analyze_seconds:.1f} s: "
        f"drawing {seeded.plan_seconds:.1f} s, COPY {seeded.copy_seconds:.1f} s, "
        f"VACUUM ANALYZE {seeded.analyze_seconds:.1f} s; point_activities with indexes "
        f"{seeded.table_bytes / 2**20:,.0f} MiB",
        "",
        f"Feed, ms per page ({args.iterations} timed after {args.warmup} warm-up; limit 50)",
        f"{'':{width}}  {'rows':>5}   {'repository (DB only)':^23}   {'HTTP: gateway + RPC + points':^23}",
        f"{'':{width}}  {'':>5}   {'p50':>7} {'p99':>7} {'max':>7}   {'p50':>7} {'p99':>7} {'max':>7}",
    ]
    for case in cases:
        lines.append(
            f"{case.name:{width}}  {case.rows:5d}   {ms(case.timings.get('repository'))}   "
            f"{ms(case.timings.get('http'))}"
        )
    lines.append("")
    for case in cases:
        if case.depth:
            walked = ", ".join(
                f"{where} {per_page:.2f} ms/page" for where, per_page in case.walk_ms_per_page.items()
            )
            lines.append(f"following next_cursor, {case.name}: {case.reached} pages ({walked})")
    lines += ["", "Query plans (EXPLAIN ANALYZE, BUFFERS; point_activities read by index?)"]
    lines += [f"{case.name:{width}}  {case.plan}" for case in cases]
    problems = [f"{case.name}: {case.mismatch}" for case in cases if case.mismatch]
    lines += [
        "",
        "checks:    "
        + ("; ".join(problems) if problems else "every page newest first, HTTP pages = repository pages"),
    ]
    lines += ["", "CSV export of every activity (GET /api/activities/points.csv, streamed)"]
    rows, seconds = export_in_process
    lines.append(
        f"{'repository':10} {rows:,} rows in pages of {EXPORT_PAGE_SIZE:,} in {seconds:.1f} s: "
        f"{rows / seconds:,.0f} rows/s (the database's share)"
    )
    if export is None:
        lines.append("           not run")
    elif export.status != 200:
        lines.append(f"           not available: HTTP {export.status} {export.problem}")
    else:
        expected = "" if export.rows == seeded.activities else f" (EXPECTED {seeded.activities:,})"
        lines += [
            f"{'HTTP':10} {export.rows:,} rows{expected}, {export.bytes / 2**20:,.1f} MiB "
            f"in {export.seconds:.1f} s: "
            f"{export.rows / export.seconds:,.0f} rows/s, {export.bytes / 2**20 / export.seconds:.2f} MiB/s; "
            f"first byte after {export.first_byte_seconds * 1000:.0f} ms",
            f"{'RSS, MiB':10} {'before':>8} {'peak':>8} {'after':>8}",
        ]
        memory = export.memory
        if memory is None:
            raise ValueError("a completed export comes with the memory watched while it ran")
        for name in memory.pids:
            lines.append(
                f"{name:10} {memory.before[name] / 1024:8.1f} {memory.peak[name] / 1024:8.1f} "
                f"{memory.after[name] / 1024:8.1f}"
            )
    return "\n".join(lines)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    load_before = load_average()
    suffix = uuid.uuid4().hex[:8]
    names = {"points": f"loyalty_bench_{suffix}", "gateway": f"loyalty_bench_{suffix}_gateway"}
    export = None
    with (
        tempfile.TemporaryDirectory(prefix="loyalty-bench-") as data_dir,
        private_vhost(args.amqp_uri, "loyalty-bench") as amqp_uri,
    ):
        urls = {
            service: bench_seed.create_database(args.database_url, name) for service, name in names.items()
        }
        try:
            port = free_port()
            env = dict(
                os.environ,
                AMQP_URI=amqp_uri,
                POINTS_DATABASE_URL=urls["points"],
                GATEWAY_DATABASE_URL=urls["gateway"],
                GATEWAY_HOST="127.0.0.1",
                GATEWAY_PORT=str(port),
                LOYALTY_DATA_DIR=data_dir,
            )
            bench_seed.migrate(urls["points"])
            shop = create_shop(env, f"bench-{suffix}.myshopify.com")
            log(f"seeding {args.members:,} members and {args.activities:,} activities of shop {shop['shop']}")
            seeded = bench_seed.seed(
                urls["points"], shop["shop"], args.members, args.activities, rng_seed=args.seed
            )
            cases = scenarios(seeded.now, args.members, args.deep_pages, args.q)
            repo = Repository(urls["points"], shop["shop"])
            try:
                header = machine_lines(repo.engine)
                measure_repository(repo, cases, args)
                log("repository: the export's pages")
                export_in_process = measure_export_repository(repo, seeded.now)
                log("starting `loyalty serve points` and `loyalty serve gateway`")
                services = Services(["points", "gateway"], env, Path(data_dir))
                try:
                    base_url = f"http://127.0.0.1:{port}"
                    services.wait_until_answering(
                        base_url + FEED_PATH, {"Authorization": f"Bearer {shop['admin_api_key']}"}
                    )
                    measure_http(Http(base_url, shop["admin_api_key"]), repo, cases, args)
                    log("CSV export")
                    export = measure_export(
                        base_url,
                        shop["admin_api_key"],
                        seeded.now,
                        {name: services.pid(name) for name in ("gateway", "points")},
                    )
                    if export.status != 200:
                        log(f"the export failed; the services' logs:\n{services.logs()}")
                finally:
                    services.stop()
            finally:
                repo.close()
        finally:
            if args.keep:
                log(
                    "kept: "
                    + ", ".join(f"{service} {url}" for service, url in urls.items())
                    + f"; shop {shop['shop']}, admin key {shop['admin_api_key']}"
                )
            else:
                for name in names.values():
                    bench_seed.drop_database(args.database_url, name)
    print(
        report(
            args,
            ["python", "-m", "bench", *argv],
            header,
            seeded,
            cases,
            export,
            export_in_process,
            load_before,
        )
    )


if __name__ == "__main__":
    main()
