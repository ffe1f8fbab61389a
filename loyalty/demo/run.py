"""`loyalty demo seed --shop DOMAIN`, and the first `make run` (which
`loyalty run` hands `seed_demo_on_first_run`): the shop's last `days` days
played through a temporary fleet whose clock the seeder moves a day at a
time (docs/demo.md)."""

import json
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

from loyalty.demo.fleet import demo_fleet
from loyalty.demo.seeder import Seeder
from loyalty.demo.shop_client import ShopClient
from loyalty.demo.story import PlaceOrder, story
from loyalty.launcher import DEMO_DOMAIN, demo_credentials, gateway_ready, say
from shared import config
from shared.clock import utcnow

SEEDED_FILE = "demo-seeded.json"
SEED_KEY_NAME = "demo seed"


class DemoRefused(Exception):
    """The seed cannot run now; the message says why and what to do."""


def seeded_shops() -> dict[str, str]:
    """{domain: when it was seeded} of the shops whose data lives here."""
    path = config.data_dir() / SEEDED_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _mark_seeded(domain: str) -> None:
    path = config.data_dir() / SEEDED_FILE
    path.write_text(json.dumps({**seeded_shops(), domain: utcnow().isoformat()}, indent=1))


def day_instant(today: date, day: int, days: int, seed: int) -> datetime:
    """When the story's `day` happens: that date, at an hour of the shop's
    opening hours; today's never later than a minute ago."""
    hour = random.Random(seed * 1000 + day).uniform(8, 20)
    at = datetime.combine(today - timedelta(days=days - day), day_time(), UTC) + timedelta(hours=hour)
    return min(at, utcnow() - timedelta(minutes=1))


def _shop_credentials(domain: str) -> tuple[str, str]:
    """(normalized domain, webhook secret) of an existing shop."""
    from services.gateway.auth import find_shop_by_domain
    from services.gateway.domain import normalize_domain
    from services.gateway.operations import cli_unit_of_work

    with cli_unit_of_work() as uow:
        shop = find_shop_by_domain(uow.session, normalize_domain(domain))
    if shop is None:
        raise DemoRefused(f"there is no shop {domain} here; create it with `loyalty shops create {domain}`")
    return shop.domain, shop.webhook_secret


def seed_shop(
    domain: str,
    customers: int = 200,
    days: int = 90,
    seed: int = 2026,
    admin_key: str | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Play the demo story into `domain`'s shop. `admin_key`: the shop's
    key to act with; without one a key named "demo seed" is made for the
    run and revoked after."""
    port = config.gateway_port()
    if gateway_ready(port):
        raise DemoRefused(
            f"the services are running (http://localhost:{port}/ready answers): their outbox relays "
            "would publish the seed's events where the seed's services never see them. "
            "Stop `make run` (Ctrl-C) first, then run `loyalty demo seed` again."
        )
    domain, webhook_secret = _shop_credentials(domain)
    if domain in seeded_shops():
        raise DemoRefused(f"{domain} was already seeded on {seeded_shops()[domain]}; nothing done")
    from services.gateway.access import create_key_cli, revoke_key_cli

    temporary_key = None if admin_key else create_key_cli(domain, SEED_KEY_NAME)
    plot = story(customers, days, seed)
    say(
        f"seeding {domain} with {days} days of activity ({len(plot.customers)} customers, "
        f"{plot.count(PlaceOrder)} orders); the services' log is in {config.data_dir() / 'demo-seed.log'}"
    )
    started = time.monotonic()
    try:
        with demo_fleet(config.data_dir() / "demo-seed.log") as fleet:
            shop = ShopClient(
                fleet.base_url,
                domain,
                admin_key or temporary_key["key"],  # type: ignore[index]
                webhook_secret,
            )
            seeder = Seeder(shop)
            today = utcnow().date()
            for day in range(days + 1):
                fleet.set_clock(day_instant(today, day, days, seed))
                if day == 0:
                    seeder.set_up_program(days)
                seeder.play_day(plot.actions.get(day, []))
                if not fleet.wait_until_quiet():
                    say(f"day {day}: the services were still busy after 30s; going on")
                if day % 15 == 0 or day == days:
                    joined = sum(person.joined <= day for person in plot.customers)
                    say(f"  {(today - timedelta(days=days - day)).isoformat()}: {joined} customers so far")
            # The last expiry run, on today's clock.
            fleet.set_clock(utcnow())
            fleet.wait_until_quiet()
    finally:
        if temporary_key is not None:
            revoke_key_cli(temporary_key["id"])
    _mark_seeded(domain)
    skipped = ", ".join(f"{count} {what}" for what, count in sorted(seeder.skipped.items()))
    say(
        f"seeded {domain} in {time.monotonic() - started:.0f}s"
        + (f" (the shop refused, as it should: {skipped})" if skipped else "")
    )


def seed_demo_on_first_run() -> None:
    """The first run makes the demo shop and plays 90 days of a shop's life
    into it (loyalty/demo, docs/demo.md) before the services start;
    LOYALTY_DEMO=0 leaves it empty."""
    first_run = not (config.data_dir() / "demo-shop.json").exists()
    credentials = demo_credentials()
    if not first_run:
        return
    if os.environ.get("LOYALTY_DEMO", "1") == "0":
        say("LOYALTY_DEMO=0: the demo shop starts empty")
        return
    try:
        seed_shop(credentials["domain"], admin_key=credentials["admin_api_key"], say=say)
    except DemoRefused as exc:
        say(f"the demo shop was not seeded: {exc}")
    except Exception as exc:  # the services still start, with a shop less full
        say(
            f"seeding the demo shop failed ({type(exc).__name__}: {exc}); the services start anyway. "
            f"Stop them and run `loyalty demo seed --shop {DEMO_DOMAIN}` to try again."
        )
