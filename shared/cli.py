"""`loyalty`: the operator's command line.

    loyalty serve SERVICE            run one service (points, referrals, reviews, gateway)
    loyalty run                      set up and run the whole system locally (make run)
    loyalty setup-broker             declare every consumer queue, retry ladder and dead-letter queue
    loyalty shops create DOMAIN      create a shop; --json prints its credentials as one JSON line
    loyalty dead-letters list        list dead-lettered events
    loyalty dead-letters replay      replay one (ID) or all (--all) dead-lettered events
    loyalty makemigration SERVICE -m MESSAGE   autogenerate an Alembic revision
"""
import argparse
import importlib
import json
import logging
import sys
import warnings
from pathlib import Path

# eventlet announces its own deprecation on import; nameko 2 needs it anyway.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

from shared import config  # noqa: E402

SERVICES = {
    "points": "services.points.service:PointsService",
    "referrals": "services.referrals.service:ReferralsService",
    "reviews": "services.reviews.service:ReviewsService",
    "gateway": "services.gateway.service:GatewayService",
}


def service_class(name: str):
    module_name, class_name = SERVICES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def all_service_classes():
    return [service_class(name) for name in SERVICES]


def all_handler_queues():
    from shared.topology import handler_queues
    return [q for cls in all_service_classes() for q in handler_queues(cls)]


def cmd_serve(args):
    from nameko.runners import ServiceRunner

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {args.service} %(levelname)s %(name)s: %(message)s")
    runner = ServiceRunner(config.nameko_config())
    runner.add_service(service_class(args.service))
    runner.start()

    import signal

    def shutdown(*_):
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()


def cmd_setup_broker(args):
    from shared.topology import declare_all

    queues = declare_all(config.amqp_uri(), all_service_classes())
    print(f"declared {len(queues)} consumer queues with retry and dead-letter queues")


def cmd_dead_letters(args):
    from shared.topology import list_dead_letters, replay_dead_letters

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
            print(f"{letter['id']}  {letter['event_type']}  {letter['queue']}  attempts={letter['attempts']}  {first_line}")
        return
    if not args.all and not args.id:
        sys.exit("give an event ID or --all")
    count = replay_dead_letters(config.amqp_uri(), queues, None if args.all else args.id)
    print(f"replayed {count} dead letter(s)")


def cmd_shops(args):
    from services.gateway.shops import create_shop_cli
    from shared.errors import LoyaltyError

    try:
        credentials = create_shop_cli(args.domain)
    except LoyaltyError as exc:
        sys.exit(f"loyalty: {exc}")
    if args.json:
        print(json.dumps(credentials))
    else:
        for key, value in credentials.items():
            print(f"{key}: {value}")


def cmd_run(args):
    from shared.launcher import run_everything
    run_everything()


def cmd_makemigration(args):
    from alembic import command

    from shared.migrations import alembic_config

    migrations = Path(importlib.import_module(f"services.{args.service}").__file__).parent / "migrations"
    cfg = alembic_config(migrations, config.database_url(args.service))
    command.upgrade(cfg, "head")
    command.revision(cfg, message=args.message, autogenerate=True)


def main(argv=None):
    # Before nameko, kombu or a database driver is imported (all lazily, below).
    eventlet.monkey_patch()
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("run", help="set up and run everything locally").set_defaults(func=cmd_run)
    sub.add_parser("setup-broker", help="declare all queues").set_defaults(func=cmd_setup_broker)

    shops = sub.add_parser("shops", help="manage shops")
    shops_sub = shops.add_subparsers(dest="shops_command", required=True)
    create = shops_sub.add_parser("create", help="create a shop and print its credentials")
    create.add_argument("domain")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_shops)

    dead = sub.add_parser("dead-letters", help="list or replay dead-lettered events")
    dead_sub = dead.add_subparsers(dest="action", required=True)
    listing = dead_sub.add_parser("list")
    listing.add_argument("--json", action="store_true")
    replay = dead_sub.add_parser("replay")
    replay.add_argument("id", nargs="?")
    replay.add_argument("--all", action="store_true")
    dead.set_defaults(func=cmd_dead_letters)

    mig = sub.add_parser("makemigration", help="autogenerate an Alembic revision")
    mig.add_argument("service", choices=sorted(SERVICES))
    mig.add_argument("-m", "--message", required=True)
    mig.set_defaults(func=cmd_makemigration)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
