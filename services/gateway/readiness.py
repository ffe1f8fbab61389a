"""`/ready`: whether the broker, the gateway's database and every service
behind it answer, each within a short bound."""

import time

import eventlet
from kombu import Connection
from sqlalchemy import text

from shared.errors import ErrorBody, error_body

READY_TIMEOUT_SECONDS = 2.0


def readiness(amqp_uri: str, db, **backends) -> dict[str, object] | tuple[int, ErrorBody]:
    """The report (200), or 503 naming what failed. `backends`: each
    service's RPC proxy by name."""
    broker = "ok" if broker_reachable(amqp_uri) else "unreachable"
    database = database_status(db)
    services = backend_health(backends) if broker == "ok" else {}
    report = {"broker": broker, "database": database, "services": services}
    failed = [name for name, status in (("broker", broker), ("database", database)) if status != "ok"]
    failed += [name for name in backends if services.get(name) != "ok"]
    if failed:
        return 503, error_body("service_unavailable", "not ready: " + ", ".join(failed), report)
    return {"status": "ready", **report}


def broker_reachable(amqp_uri: str) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=READY_TIMEOUT_SECONDS) as conn:
            conn.connect()
        return True
    except Exception:
        return False


def database_status(db) -> str:
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        return "unavailable"


def backend_health(backends: dict) -> dict[str, str]:
    """Each service's health, asked of all at once and awaited together."""
    statuses: dict[str, str] = {}
    replies = {}
    for name, proxy in backends.items():
        try:
            replies[name] = proxy.health.call_async()
        except Exception:
            statuses[name] = "unavailable"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    for name, reply in replies.items():
        try:
            with eventlet.Timeout(max(0.0, deadline - time.monotonic())):
                reply.result()
            statuses[name] = "ok"
        except eventlet.Timeout:
            statuses[name] = "timeout"
        except Exception:
            statuses[name] = "unavailable"
    return statuses
