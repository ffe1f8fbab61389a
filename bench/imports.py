"""Importing balances (SPEC §7: "100,000 rows finish in under a minute"),
timed through the gateway as a merchant posts a file: the upload (202 once
the whole file has been read and staged) and the time until every row is
applied, with the rows per second end to end.

    python -m bench.imports --rows 100000    # alone, on its own stack (PostgreSQL)

`make bench` runs it too, on the read side's stack (bench/suite.py). The
file is generated as it is sent (a 100,000-row file is ~5 MB); most rows
name new customers, every tenth one a name and a birthday."""

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import seed as bench_seed
from bench.report import log
from bench.stack import Services, create_shop, free_port
from loyalty.services import SERVICES
from shared import config
from shared.topology import private_vhost

POLL_SECONDS = 0.2


@dataclass
class ImportRun:
    rows: int
    upload_seconds: float
    total_seconds: float
    state: dict

    def rows_per_s(self) -> float:
        return self.rows / self.total_seconds


def csv_lines(rows: int, tag: str) -> Iterator[bytes]:
    yield b"customer_id,email,points,first_name,last_name,birthday\n"
    for n in range(rows):
        person = f"Ann,Lee{n},1990-04-{n % 28 + 1:02d}" if n % 10 == 0 else ",,"
        yield f"imp{tag}{n},buyer{n}@example.com,{n % 900 + 100},{person}\n".encode()


def measure_import(base_url: str, headers: dict, rows: int) -> ImportRun:
    tag = uuid.uuid4().hex[:6]
    started = time.monotonic()
    posted = requests.post(
        f"{base_url}/api/imports/points",
        params={"file_name": f"bench-{rows}.csv"},
        data=csv_lines(rows, tag),
        headers={**headers, "Content-Type": "text/csv"},
        timeout=600,
    )
    posted.raise_for_status()
    uploaded = time.monotonic()
    while True:
        state = requests.get(
            f"{base_url}/api/imports/{posted.json()['id']}", headers=headers, timeout=30
        ).json()
        if state["status"] != "running":
            break
        time.sleep(POLL_SECONDS)
    return ImportRun(rows, uploaded - started, time.monotonic() - started, state)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"loyalty_bench_{suffix}_{service}" for service in SERVICES}
    urls = {service: bench_seed.create_database(args.database_url, name) for service, name in names.items()}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="loyalty-bench-") as workdir,
            private_vhost(config.amqp_uri(), "loyalty-bench") as amqp_uri,
        ):
            port = free_port()
            env = dict(
                os.environ,
                AMQP_URI=amqp_uri,
                LOYALTY_DATA_DIR=workdir,
                GATEWAY_HOST="127.0.0.1",
                GATEWAY_PORT=str(port),
                **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()},
            )
            shop = create_shop(env, f"bench-{suffix}.myshopify.com")
            services = Services(list(SERVICES), env, Path(workdir))
            try:
                base_url = f"http://127.0.0.1:{port}"
                headers = {"Authorization": f"Bearer {shop['admin_api_key']}"}
                services.wait_until_answering(base_url + "/api/imports", headers)
                log(f"importing {args.rows:,} rows")
                run = measure_import(base_url, headers, args.rows)
            finally:
                services.stop()
    finally:
        for name in names.values():
            bench_seed.drop_database(args.database_url, name)
    print(
        f"{run.rows:,} rows: upload {run.upload_seconds:.1f} s, all applied after {run.total_seconds:.1f} s "
        f"({run.rows_per_s():,.0f} rows/s); "
        f"{run.state['rows_done']:,} done, {run.state['rows_failed']:,} failed"
    )


if __name__ == "__main__":
    main()
