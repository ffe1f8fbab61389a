"""What the benchmark measures: the feed queries (a Scenario each, filled
in with its figures as they are measured) and the CSV export of every
seeded activity (its window, and an Export for what streaming it found)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench import seed as bench_seed
from bench.stack import PeakMemory


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


@dataclass
class Export:
    status: int
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    first_byte_seconds: float = 0.0
    memory: PeakMemory | None = None
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per process, while streaming
    problem: str = ""


def export_window(now: datetime) -> dict:
    start, end = bench_seed.history_window(now)
    return {"from": start.isoformat(), "to": end.isoformat()}
