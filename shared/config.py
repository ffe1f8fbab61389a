"""Settings, all from the environment, with defaults that run on a laptop."""

import os
from pathlib import Path
from typing import Any

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def data_dir() -> Path:
    path = Path(os.environ.get("LOYALTY_DATA_DIR", "./var")).resolve()
    # Private when we make it: the databases and the secret key live here.
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else an SQLite file under the data dir."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / (service + '.db')}"


def retry_delays_ms() -> list[int]:
    """Delays between attempts of a failing event handler; after the last one
    the message is dead-lettered. Part of the retry queues' names, so a change
    makes new queues instead of clashing with existing ones."""
    raw = os.environ.get("LOYALTY_RETRY_DELAYS_MS", "1000,10000,60000")
    return [int(part) for part in raw.split(",") if part.strip()]


def relay_interval_seconds() -> float:
    """How often the outbox relay looks for events a crash left unpublished."""
    return float(os.environ.get("LOYALTY_RELAY_INTERVAL", "2.0"))


def rpc_timeout_seconds() -> float:
    """How long the gateway waits for a service's answer; a request still
    queued after that expires unseen, so a call answered 503 never takes
    effect later."""
    return float(os.environ.get("LOYALTY_RPC_TIMEOUT_SECONDS", "10"))


ALLOW_HTTP_WEBHOOKS_ENV = "LOYALTY_ALLOW_HTTP_WEBHOOKS"


def allow_http_webhooks() -> bool:
    """Outbound webhooks over plain http to loopback: tests only."""
    return os.environ.get(ALLOW_HTTP_WEBHOOKS_ENV) == "1"


def webhook_timeout_seconds() -> float:
    """How long a webhook receiver has to answer, the whole POST (SPEC §7:
    10 s); shorter in tests."""
    return float(os.environ.get("LOYALTY_WEBHOOK_TIMEOUT_SECONDS", "10"))


def webhook_send_interval_seconds() -> float:
    """How often the webhooks sender looks for due deliveries."""
    return float(os.environ.get("LOYALTY_WEBHOOK_SEND_INTERVAL", "1.0"))


def clock_file() -> Path | None:
    """LOYALTY_CLOCK_FILE: a file whose instant every service takes as the
    time (shared.clock.FileClock), for the demo seeder and tests; unset, the
    system clock."""
    path = os.environ.get("LOYALTY_CLOCK_FILE")
    return Path(path) if path else None


def gateway_port() -> int:
    return int(os.environ.get("GATEWAY_PORT", "8000"))


def app_client_id() -> str:
    """The app's client id on the shop platform: the audience of the
    session tokens it gives the embedded dashboard."""
    return os.environ.get("LOYALTY_APP_CLIENT_ID", "loyalty")


# nameko config: True where the process is one long-running service (`loyalty
# serve`), whose Database migrates in a child process (shared.database).
MIGRATE_IN_CHILD = "MIGRATE_IN_CHILD"
# How that child is told its work: through the environment, so the database
# URL (and any password in it) is not on a command line.
MIGRATE_SERVICE_ENV = "LOYALTY_MIGRATE_SERVICE"
MIGRATE_DIR_ENV = "LOYALTY_MIGRATE_DIR"
MIGRATE_URL_ENV = "LOYALTY_MIGRATE_URL"


def nameko_config(**extra: Any) -> dict[str, Any]:
    """nameko's config dict (free-form: each extension reads its own keys)."""
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri(),
        "max_workers": int(os.environ.get("LOYALTY_MAX_WORKERS", "10")),
        "WEB_SERVER_ADDRESS": f"{os.environ.get('GATEWAY_HOST', '0.0.0.0')}:{gateway_port()}",
    }
    config.update(extra)
    return config
