"""What the benchmark prints: progress on stderr as it goes, and at the
end the report on stdout (the machine and database, the seeded data, each
scenario's percentiles, the walks through next_cursor, the query plans, the
checks, and the export's throughput and memory)."""

import os
import platform
import shlex
import sys
from pathlib import Path

from sqlalchemy import text

from bench import seed as bench_seed
from bench.scenarios import Export, Scenario
from services.gateway.csv_export import EXPORT_PAGE_SIZE


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


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


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
