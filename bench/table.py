"""The benchmark's one table: each figure of ours next to its bare nameko
anchor measured in the same run, and the ratio.

    python -m bench.table            # full: 2,000 orders; 1,000,000 activities
    python -m bench.table --quick    # small, under two minutes

Webhook → points credited runs on SQLite as `make run` does (bench/pipeline.py
against bench/bare.py); the feed, the customer detail, the CSV export and
the idle memory on PostgreSQL (bench/suite.py against bench/bare_api.py).
Load comes from threads of this process with bounded concurrency. Absolute
times drift with the machine's load; the ratios are what to compare.
Prints figures only: nothing here passes or fails on a timing."""

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import pipeline
from bench.report import load_average, log, machine_lines, percentile
from bench.suite import ReadSide, measure_read_side
from shared import config
from shared.db import make_engine
from shared.topology import private_vhost

FULL = {
    "orders": 2000,
    "members": 100_000,
    "activities": 1_000_000,
    "referrals": 100_000,
    "reviews": 100_000,
    "feed_requests": 3000,
    "detail_requests": 200,
    "page_requests": 300,
    "timeline_depth": 100,
    "import_rows": 100_000,
}
QUICK = {
    "orders": 300,
    "members": 2000,
    "activities": 20_000,
    "referrals": 2000,
    "reviews": 2000,
    "feed_requests": 400,
    "detail_requests": 50,
    "page_requests": 100,
    "timeline_depth": 20,
    "import_rows": 10_000,
}
MIB = 1024


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: " + str(QUICK))
    for name, value in FULL.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), type=int, help=f"default {value:,} ({QUICK[name]:,} quick)"
        )
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default %(default)s)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server where the benchmark creates (and drops) its databases",
    )
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def cell(value: float, fmt: str) -> str:
    return fmt.format(value) if value == value else "-"  # NaN: not measured


def table(args, webhooks: tuple[pipeline.Run, pipeline.Run], read: ReadSide) -> list[str]:
    ours, bare = webhooks
    rows: list[tuple[str, float, float, str, str]] = []  # figure, ours, anchor, number format, goal

    def add(figure, ours_value, anchor_value, fmt="{:,.0f}", goal=""):
        rows.append((figure, ours_value, anchor_value, fmt, goal))

    add("webhooks accepted /s", ours.accepted_per_s(), bare.accepted_per_s())
    add("orders credited /s", ours.credited_per_s(), bare.credited_per_s(), goal=">= 0.5 x")
    add(
        "lag accepted→credited p99 ms",
        percentile(ours.lags_ms(), 0.99),
        percentile(bare.lags_ms(), 0.99),
        goal="<= 1,000 ms",
    )
    add(
        "CPU ms per order, all processes",
        sum(ours.cpu_ms_per_order().values()),
        sum(bare.cpu_ms_per_order().values()),
        "{:,.2f}",
    )
    feed_ours, feed_bare = read.feed["ours"], read.feed["bare"]
    add("feed pages /s", feed_ours.per_s(), feed_bare.per_s(), goal=">= 0.8 x")
    add("feed p99 ms", feed_ours.p(0.99), feed_bare.p(0.99), "{:,.1f}", "<= 1.25 x")
    for name, cpu_ms in read.feed_cpu_ms.items():
        add(f"feed CPU ms per page, {name}", cpu_ms, float("nan"), "{:,.1f}")
    slowest = max(read.single_calls, key=lambda name: read.single_calls[name].p(0.5))
    add(
        f"customer detail p50 ms (anchor: {slowest})",
        read.detail.p(0.5) if read.detail else float("nan"),
        read.single_calls[slowest].p(0.5),
        "{:,.1f}",
        "<= 1.3 x",
    )
    pages = read.merchant_pages
    if pages:
        for days, load in pages.dashboard.items():
            add(f"dashboard {days} d p50 ms", load.p(0.5), float("nan"), "{:,.1f}", "<= 20 ms")
            add(f"dashboard {days} d p99 ms", load.p(0.99), float("nan"), "{:,.1f}", "<= 50 ms")
        feed_page = pages.feed_page.p(0.5) if pages.feed_page else float("nan")
        for label, merged in (
            ("first", pages.timeline_first),
            (f"after {pages.deep_items:,} items", pages.timeline_deep),
        ):
            add(
                f"merged page p50 ms, {label} (anchor: points feed page)",
                merged.p(0.5) if merged else float("nan"),
                feed_page,
                "{:,.1f}",
                "<= 1.5 x",
            )
    rows_in_db, seconds_in_db = read.export_repository
    export = read.export
    exported = export.rows / export.seconds if export and export.status == 200 else float("nan")
    add("CSV export rows/s (anchor: DB pages)", exported, rows_in_db / seconds_in_db, goal=">= 50,000/s")
    if export and export.rows:
        for name, seconds in export.cpu_seconds.items():
            add(
                f"CSV export CPU ms per 1,000 rows, {name}",
                seconds * 1000 / (export.rows / 1000),
                float("nan"),
                "{:,.1f}",
            )
    if export and export.memory:
        for name in export.memory.pids:
            add(
                f"CSV export peak RSS MiB, {name}", export.memory.peak[name] / MIB, float("nan"), goal="< 150"
            )
    if read.points_import:
        run = read.points_import
        add(f"import {run.rows:,} rows: upload s", run.upload_seconds, float("nan"), "{:,.1f}")
        add(
            f"import {run.rows:,} rows: all applied s",
            run.total_seconds,
            float("nan"),
            "{:,.1f}",
            "< 60 s at 100,000",
        )
        add("import rows/s, end to end", run.rows_per_s(), float("nan"), goal=">= 1,667/s")
    bare_rss = read.idle_rss_kib["bare nameko"] / MIB
    for name, kib in read.idle_rss_kib.items():
        if name != "bare nameko":
            add(f"idle RSS MiB, {name}", kib / MIB, bare_rss, goal="< 100")

    width = max(len(row[0]) for row in rows)
    lines = [f"{'':{width}}  {'ours':>10}  {'bare':>10}  {'ratio':>6}  goal"]
    for figure, ours_value, anchor_value, fmt, goal in rows:
        ratio = ours_value / anchor_value if anchor_value == anchor_value and anchor_value else float("nan")
        lines.append(
            f"{figure:{width}}  {cell(ours_value, fmt):>10}  {cell(anchor_value, fmt):>10}  "
            f"{cell(ratio, '{:.2f}'):>6}  {goal}"
        )
    return lines


def problems(webhooks, read: ReadSide) -> list[str]:
    found = []
    for run in webhooks:
        missing = len(run.accepted_at) - len(run.credited_at)
        if run.failures or missing:
            found.append(
                f"{run.name}: {run.failures} webhooks refused, {missing} accepted but never credited"
            )
    pages = read.merchant_pages
    merchant_loads = (
        [
            *((f"dashboard {days} d", load) for days, load in pages.dashboard.items()),
            ("points feed page", pages.feed_page),
            ("merged page, first", pages.timeline_first),
            ("merged page, deep", pages.timeline_deep),
        ]
        if pages
        else []
    )
    for name, load in [
        *read.feed.items(),
        ("customer detail", read.detail),
        *read.single_calls.items(),
        *merchant_loads,
    ]:
        if load and load.failures:
            found.append(f"{name}: {len(load.failures)} failed, e.g. {load.failures[0]}")
    if read.export and read.export.status != 200:
        found.append(f"CSV export: HTTP {read.export.status} {read.export.problem}")
    elif read.export and read.export.rows != read.activities:
        found.append(f"CSV export: {read.export.rows:,} rows of {read.activities:,}")
    if read.points_import and read.points_import.state["rows_done"] != read.points_import.rows:
        state = read.points_import.state
        found.append(
            f"import: {state['status']}, {state['rows_done']:,} of {read.points_import.rows:,} rows applied"
        )
    return found


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-") as workdir:
        webhooks = []
        for run in (pipeline.ours, pipeline.bare):
            with private_vhost(config.amqp_uri(), "loyalty-bench") as amqp_uri:
                log(f"webhook → credited, {run.__name__}: {args.orders:,} orders from {args.clients} clients")
                webhooks.append(run(args, Path(workdir), amqp_uri))
        with private_vhost(config.amqp_uri(), "loyalty-bench") as amqp_uri:
            read = measure_read_side(args, Path(workdir), amqp_uri)
    engine = make_engine(args.database_url)
    try:
        header = machine_lines(engine)
    finally:
        engine.dispose()
    lines = [
        "Ours next to bare nameko, same run",
        "command:  python -m bench.table " + " ".join(argv),
        *header,
        f"load avg: {load_before} before, {load_average()} after (1/5/15 min; the cores are shared)",
        f"webhooks: {args.orders:,} signed orders/paid, {args.clients} clients, SQLite",
        f"reads:    PostgreSQL, {read.activities:,} activities of {args.members:,} members; feed "
        f"{args.feed_requests:,} pages (limit 50, last 30 days) from {args.clients} clients; "
        f"customer detail {args.detail_requests} sequential",
        f"          {read.referrals:,} referrals, {read.reviews:,} reviews and Google reviews over a year; "
        f"overview and merged timeline (limit 50, last 30 days) {args.page_requests} sequential each",
        f"imports:  a CSV of {args.import_rows:,} balances posted to /api/imports/points, until applied",
        "",
        *table(args, (webhooks[0], webhooks[1]), read),
        pipeline.cpu_breakdown(webhooks[0]),
    ]
    found = problems(webhooks, read)
    lines += ["", "problems: " + ("; ".join(found) if found else "none")]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
