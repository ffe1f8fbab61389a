"""`loyalty`: the operator's command line.

loyalty serve SERVICE            run one service (points, referrals, reviews, webhooks, gateway)
loyalty run                      set up and run the whole system locally (make run)
loyalty setup-broker             declare every consumer queue, retry ladder and dead-letter queue
loyalty ping SERVICE             exit 0 if the service answers over RPC (a healthcheck)
loyalty shops create DOMAIN [--currency EUR]
                                 create a shop (money in USD unless given); --json prints
                                 its credentials as one JSON line
loyalty shops rotate-secret DOMAIN [--grace-hours 24]
                                 a new webhook secret (printed once); the old one still verifies meanwhile
loyalty keys create --shop DOMAIN --name NAME
                                 a new admin API key for a person or integration (printed once)
loyalty keys list --shop DOMAIN  the shop's keys, revoked ones too
loyalty keys revoke ID           revoke a key: its next request is refused, its dashboard sessions end
loyalty dead-letters list        list dead-lettered events
loyalty webhooks refused         list webhooks refused as impossible (newest first, --limit/--before)
loyalty dead-letters replay      replay one (ID) or all (--all) dead-lettered events
loyalty import points FILE --shop DOMAIN
                                 import balances from another app (a CSV, SPEC §7), with progress
loyalty demo seed --shop DOMAIN  play 90 days of a shop's life into a shop (stop `make run` first)
loyalty makemigration SERVICE -m MESSAGE   autogenerate an Alembic revision
"""

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

# eventlet announces its own deprecation on import; nameko 2 needs it anyway.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from shared import config, logs  # noqa: E402

log = logging.getLogger("loyalty")

# A stopping service lets its in-flight workers finish for this long, then
# kills them (their messages go back to the queue); past the second bound the
# process ends however far the stop got.
STOP_GRACE_SECONDS = 8
STOP_DEADLINE_SECONDS = 11


def cmd_serve(args):
    # Before nameko, kombu or a database driver is imported.
    import eventlet

    eventlet.monkey_patch()
    from nameko.runners import ServiceRunner

    from loyalty.services import service_class

    logs.configure(args.service)
    runner = ServiceRunner(config.nameko_config(**{config.MIGRATE_IN_CHILD: True}))
    runner.add_service(service_class(args.service))

    def stop_gracefully():
        with eventlet.Timeout(STOP_GRACE_SECONDS, False):
            runner.stop()
            return
        log.warning("%s did not stop within %ss; killing its workers", args.service, STOP_GRACE_SECONDS)
        runner.kill()

    def on_signal(signum, _frame):
        # Ctrl-C reaches the launcher and every service at once, and the
        # launcher then sends SIGTERM as well: the first signal starts the
        # stop, later ones change nothing.
        if stopping:
            return
        stopping.append(signum)
        log.info("%s: stopping on %s", args.service, signal.Signals(signum).name)
        signal.signal(signal.SIGALRM, lambda *_: os._exit(1))
        signal.alarm(STOP_DEADLINE_SECONDS)
        eventlet.spawn(stop_gracefully)

    stopping: list[int] = []
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.start()
    runner.wait()


def cmd_setup_broker(args):
    from loyalty.services import all_handler_queues
    from shared.topology import declare_all

    queues = declare_all(config.amqp_uri(), all_handler_queues())
    print(f"declared {len(queues)} consumer queues with retry and dead-letter queues")


def cmd_ping(args):
    from loyalty.ping import ping

    try:
        answer = ping(config.amqp_uri(), args.service, timeout=args.timeout)
    except Exception as exc:
        sys.exit(f"loyalty: {args.service} did not answer: {exc}")
    print(json.dumps(answer))


def cmd_dead_letters(args):
    from loyalty.services import all_handler_queues
    from shared.dead_letters import list_dead_letters, replay_dead_letters

    queues = all_handler_queues()
    if args.action == "list":
        letters = list_dead_letters(config.amqp_uri(), queues)
        if args.json:
            print(json.dumps(letters, default=str))
            return
        if not letters:
            print("no dead letters")
        for letter in letters:
            first_line = (letter["error"] or "").splitlines()[0] if letter["error"] else ""
            print(
                f"{letter['id']}  {letter['event_type']}  {letter['queue']}  "
                f"attempts={letter['attempts']}  {first_line}"
            )
        return
    if not args.all and not args.id:
        sys.exit("give an event ID or --all")
    count = replay_dead_letters(config.amqp_uri(), queues, None if args.all else args.id)
    print(f"replayed {count} dead letter(s)")


def cmd_shops(args):
    from services.gateway.access import rotate_webhook_secret_cli
    from services.gateway.operations import create_shop_cli

    if args.shops_command == "create":
        _print_result(lambda: create_shop_cli(args.domain, args.currency), args.json)
    else:
        _print_result(lambda: rotate_webhook_secret_cli(args.domain, args.grace_hours), args.json)


def cmd_keys(args):
    from services.gateway.access import create_key_cli, list_keys_cli, revoke_key_cli

    if args.keys_command == "create":
        _print_result(lambda: create_key_cli(args.shop, args.name), args.json)
    elif args.keys_command == "revoke":
        _print_result(lambda: revoke_key_cli(args.id), args.json)
    else:
        _print_result(lambda: list_keys_cli(args.shop), args.json)


def _print_result(command, as_json: bool) -> None:
    """Run a gateway command: its result as one JSON line, or as `field:
    value` lines (a table for a list); a client mistake exits 1 with its
    message."""
    from shared.errors import LoyaltyError

    try:
        result = command()
    except LoyaltyError as exc:
        sys.exit(f"loyalty: {exc}")
    if as_json:
        print(json.dumps(result))
    elif isinstance(result, list):
        for row in result:
            print("  ".join(f"{key}={value}" for key, value in row.items() if value is not None))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


def cmd_webhooks_refused(args):
    from services.gateway.operations import refused_webhooks_cli
    from shared.errors import LoyaltyError

    try:
        listing = refused_webhooks_cli(args.shop, args.before, args.limit)
    except LoyaltyError as exc:
        sys.exit(f"loyalty: {exc}")
    if args.json:
        print(json.dumps(listing))
        return
    if not listing["items"]:
        print("no refused webhooks")
    for item in listing["items"]:
        fields = "; ".join(f"{d['field']}: {d['message']}" for d in item["details"] or [])
        print(
            f"{item['id']}  {item['received_at']}  {item['shop']}  {item['topic']}  "
            f"{item['webhook_id']}  {item['reason']}" + (f" ({fields})" if fields else "")
        )
    if listing["next_before"] is not None:
        print(f"more: loyalty webhooks refused --before {listing['next_before']}")


def cmd_run(args):
    from loyalty.demo.run import seed_demo_on_first_run
    from loyalty.launcher import run_everything

    run_everything(before_start=seed_demo_on_first_run)


def cmd_demo(args):
    from loyalty.demo.run import DemoRefused, seed_shop

    try:
        seed_shop(args.shop, customers=args.customers, days=args.days)
    except DemoRefused as exc:
        sys.exit(f"loyalty: {exc}")


def cmd_import(args):
    from nameko.exceptions import RpcTimeout

    from loyalty.imports import import_points_file
    from shared.errors import LoyaltyError

    try:
        done = import_points_file(args.file, args.shop)
    except LoyaltyError as exc:
        details = "".join(
            f"\n  {d['field']}: {d['message']}" for d in exc.details or [] if isinstance(d, dict)
        )
        sys.exit(f"loyalty: {exc}{details}")
    except OSError as exc:
        sys.exit(f"loyalty: {exc}")
    except RpcTimeout:
        sys.exit("loyalty: the points service did not answer (is the system running?)")
    if args.json:
        print(json.dumps(done))
        return
    print(
        f"import {done['id']}: {done['status']}, "
        f"{done['rows_done']} rows imported, {done['rows_failed']} failed"
    )
    for error in done["errors"]:
        print(f"  line {error['row']}: {error['message']}")


def cmd_makemigration(args):
    from alembic import command

    from shared.migrations import alembic_config

    package_file = importlib.import_module(f"services.{args.service}").__file__
    if package_file is None:
        sys.exit(f"loyalty: services.{args.service} is not a package on disk")
    migrations = Path(package_file).parent / "migrations"
    cfg = alembic_config(migrations, config.database_url(args.service))
    command.upgrade(cfg, "head")
    command.revision(cfg, message=args.message, autogenerate=True)


def main(argv=None):
    from loyalty.services import SERVICES

    parser = argparse.ArgumentParser(
        prog="loyalty", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("run", help="set up and run everything locally").set_defaults(func=cmd_run)
    sub.add_parser("setup-broker", help="declare all queues").set_defaults(func=cmd_setup_broker)

    ping = sub.add_parser("ping", help="ask a backend service for its health over RPC")
    ping.add_argument("service", choices=sorted(name for name in SERVICES if name != "gateway"))
    ping.add_argument("--timeout", type=float, default=5.0)
    ping.set_defaults(func=cmd_ping)

    shops = sub.add_parser("shops", help="manage shops")
    shops_sub = shops.add_subparsers(dest="shops_command", required=True)
    create = shops_sub.add_parser("create", help="create a shop and print its credentials")
    create.add_argument("domain")
    create.add_argument(
        "--currency", default="USD", help="ISO 4217 code the dashboard shows money in (default USD)"
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_shops)
    rotate = shops_sub.add_parser(
        "rotate-secret", help="give a shop a new webhook secret; the old one verifies for the grace period"
    )
    rotate.add_argument("domain")
    rotate.add_argument("--grace-hours", type=float, default=24.0)
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=cmd_shops)

    keys = sub.add_parser("keys", help="manage admin API keys, one per person or integration")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    key_create = keys_sub.add_parser("create", help="create a key and print it (once)")
    key_create.add_argument("--shop", required=True, metavar="DOMAIN")
    key_create.add_argument("--name", required=True, help="the person or integration holding it")
    key_list = keys_sub.add_parser("list", help="list a shop's keys")
    key_list.add_argument("--shop", required=True, metavar="DOMAIN")
    key_revoke = keys_sub.add_parser("revoke", help="revoke a key at once")
    key_revoke.add_argument("id", type=int)
    for keys_command in (key_create, key_list, key_revoke):
        keys_command.add_argument("--json", action="store_true")
    keys.set_defaults(func=cmd_keys)

    dead = sub.add_parser("dead-letters", help="list or replay dead-lettered events")
    dead_sub = dead.add_subparsers(dest="action", required=True)
    listing = dead_sub.add_parser("list")
    listing.add_argument("--json", action="store_true")
    replay = dead_sub.add_parser("replay")
    replay.add_argument("id", nargs="?")
    replay.add_argument("--all", action="store_true")
    dead.set_defaults(func=cmd_dead_letters)

    webhooks = sub.add_parser("webhooks", help="shop webhooks the gateway took in")
    webhooks_sub = webhooks.add_subparsers(dest="webhooks_command", required=True)
    refused = webhooks_sub.add_parser("refused", help="webhooks refused as impossible, and why")
    refused.add_argument("--shop", help="only this shop's (its domain)")
    refused.add_argument("--limit", type=int, default=50, choices=range(1, 1001), metavar="1..1000")
    refused.add_argument("--before", type=int, help="continue after this id (the last one shown)")
    refused.add_argument("--json", action="store_true")
    refused.set_defaults(func=cmd_webhooks_refused)

    demo = sub.add_parser("demo", help="demo data")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    seed = demo_sub.add_parser(
        "seed", help="play days of customers, orders, referrals and reviews into a shop (docs/demo.md)"
    )
    seed.add_argument("--shop", required=True, metavar="DOMAIN")
    seed.add_argument("--customers", type=int, default=200, choices=range(10, 5001), metavar="10..5000")
    seed.add_argument("--days", type=int, default=90, choices=range(7, 366), metavar="7..365")
    seed.set_defaults(func=cmd_demo)

    imports = sub.add_parser("import", help="import data from another app")
    imports_sub = imports.add_subparsers(dest="import_command", required=True)
    points_import = imports_sub.add_parser(
        "points",
        help="import balances from a CSV: customer_id,email,points[,first_name,...] (docs/imports.md)",
    )
    points_import.add_argument("file", metavar="FILE")
    points_import.add_argument("--shop", required=True, metavar="DOMAIN")
    points_import.add_argument(
        "--json", action="store_true", help="print the finished import as one JSON line"
    )
    points_import.set_defaults(func=cmd_import)

    mig = sub.add_parser("makemigration", help="autogenerate an Alembic revision")
    mig.add_argument("service", choices=sorted(SERVICES))
    mig.add_argument("-m", "--message", required=True)
    mig.set_defaults(func=cmd_makemigration)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
