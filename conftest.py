"""Test-wide setup. nameko's pytest plugin no longer monkey-patches, and a
real container hangs without it: this must run before anything else imports."""

import warnings

# eventlet announces its own deprecation on import; nameko 2 needs it anyway.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import os  # noqa: E402

import eventlet  # noqa: E402

# The browser tests run in a process of their own that hosts no nameko
# container (the system runs as separate processes there) and must not be
# patched: Playwright's asyncio driver hangs on shutdown under eventlet.
if os.environ.get("LOYALTY_TEST_EVENTLET", "1") == "1":
    eventlet.monkey_patch()

import uuid  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

import pytest  # noqa: E402

from shared import topology  # noqa: E402


def _poll_for_stop_often():
    """A nameko consumer notices it should stop only between waits for
    messages, which last a second (kombu's safety interval): every container
    a test stops would cost that second. Tests wait a twentieth of it;
    running services keep kombu's default."""
    from functools import partialmethod

    from kombu.mixins import ConsumerMixin

    ConsumerMixin.consume = partialmethod(ConsumerMixin.consume, safety_interval=0.05)


_poll_for_stop_often()

# Fast retries and relay in tests; production defaults are in shared.config.
os.environ.setdefault("LOYALTY_RETRY_DELAYS_MS", "100,200,300")
os.environ.setdefault("LOYALTY_RELAY_INTERVAL", "0.5")
os.environ.setdefault("LOYALTY_WEBHOOK_SEND_INTERVAL", "0.1")
# One key for every process a test starts, so all read the same webhook secrets.
os.environ.setdefault("LOYALTY_SECRET_KEY", "dGVzdC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")


BASE_AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")


def private_vhost():
    """This test run's own vhost (see shared.topology.private_vhost)."""
    return topology.private_vhost(BASE_AMQP_URI, "loyalty-test")


@pytest.fixture(scope="session")
def amqp_uri():
    """This test run's broker; also exported as AMQP_URI for code that reads
    its settings from the environment."""
    with private_vhost() as uri:
        os.environ["AMQP_URI"] = uri
        try:
            yield uri
        finally:
            os.environ["AMQP_URI"] = BASE_AMQP_URI


def _postgres_admin_url():
    return os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def database_url_factory(tmp_path_factory):
    """`make_url(name)` -> a fresh empty database URL. SQLite files by
    default; with LOYALTY_TEST_DB=postgresql, new PostgreSQL databases that
    are dropped after the run."""
    backend = os.environ.get("LOYALTY_TEST_DB", "sqlite")
    created = []

    if backend == "sqlite":
        root = tmp_path_factory.mktemp("db")

        def make_url(name):
            return f"sqlite:///{root / (name + '-' + uuid.uuid4().hex[:6] + '.db')}"

        yield make_url
        return

    from sqlalchemy import create_engine, text

    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")

    def make_url(name):
        db = f"lt_{name}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        created.append(db)
        return urlunsplit(urlsplit(_postgres_admin_url())._replace(path="/" + db))

    yield make_url
    with admin.connect() as conn:
        for db in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_backend():
    return os.environ.get("LOYALTY_TEST_DB", "sqlite")
