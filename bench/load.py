"""Load from threads of this process with bounded concurrency: `clients`
threads, each with its own HTTP session, share a fixed number of requests
and record each one's latency."""

import threading
import time
from dataclasses import dataclass, field

import requests

from bench.report import percentile


@dataclass
class Load:
    """What one run of `concurrent_gets` saw."""

    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def p(self, share: float) -> float:
        return percentile(self.latencies_ms, share) if self.latencies_ms else float("nan")


def concurrent_gets(url: str, total: int, clients: int, headers: dict | None = None, params=None) -> Load:
    """GET `url` `total` times from `clients` threads at once."""
    load = Load(requests=total)
    remaining = [total]
    lock = threading.Lock()

    def client():
        http = requests.Session()
        http.headers.update(headers or {})
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                answer = http.get(url, params=params, timeout=30)
                answer.content  # noqa: B018 - the whole body is part of the request
                ok = answer.status_code == 200
                problem = f"HTTP {answer.status_code} {answer.text[:200]}"
            except requests.RequestException as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    load.latencies_ms.append(elapsed)
                else:
                    load.failures.append(problem)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def sequential_gets(url: str, total: int, headers: dict | None = None, params=None, warmup: int = 5) -> Load:
    """The same, one request at a time (latency without queueing)."""
    concurrent_gets(url, warmup, 1, headers, params)
    return concurrent_gets(url, total, 1, headers, params)
