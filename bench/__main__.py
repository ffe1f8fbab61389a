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
import os
import sys
import tempfile
import uuid
from pathlib import Path

from bench import seed as bench_seed
from bench.clients import FEED_PATH, Http, Repository
from bench.measure import measure_export, measure_export_repository, measure_http, measure_repository
from bench.report import load_average, log, machine_lines, report
from bench.scenarios import scenarios
from bench.stack import Services, create_shop, free_port
from shared import config
from shared.topology import private_vhost

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


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
