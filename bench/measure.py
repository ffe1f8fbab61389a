"""The measuring: each scenario's page timed through the repository and
over HTTP (after following next_cursor to the deep pages, and checking both
ways return the same rows newest first), then the CSV export, read through
the repository and streamed over HTTP while the services' memory is watched."""

import itertools
import time
from datetime import datetime

import requests

from bench.clients import Http, Repository
from bench.report import log
from bench.scenarios import Export, Scenario, export_window
from bench.stack import PeakMemory, cpu_seconds
from services.gateway.csv_export import EXPORT_PAGE_SIZE
from services.points.schemas import ExportQuery

EXPORT_PATH = "/api/activities/points.csv"


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
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
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
        cpu_seconds={name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()},
        rows=max(0, newlines - 1),
        bytes=size,
        seconds=elapsed,
        first_byte_seconds=first_byte or elapsed,
        memory=memory,
    )
