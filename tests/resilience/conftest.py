"""Fixtures for the tests that take things away: a broker of the test's own
that can be stopped, and the services as separate processes."""

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from conftest import private_vhost
from loyalty.services import SERVICES
from tests.clients import System
from tests.support import PrivateRabbit, ServiceProcesses, free_port


@pytest.fixture
def private_rabbit():
    reason = PrivateRabbit.available()
    if reason:
        pytest.skip(reason)
    node = PrivateRabbit()
    node.boot()
    try:
        yield node
    finally:
        node.remove()


@pytest.fixture
def services_env(database_url_factory, tmp_path):
    """The environment `make run` gives the services, on this test's own
    databases and port (AMQP_URI is for the test to set)."""
    env = dict(
        os.environ,
        GATEWAY_PORT=str(free_port()),
        GATEWAY_HOST="127.0.0.1",
        LOYALTY_DATA_DIR=str(tmp_path / "data"),
        LOYALTY_RELAY_INTERVAL="0.5",
        # The demo shop's 90 days (loyalty/demo) are tested on their own.
        LOYALTY_DEMO="0",
    )
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"resilience_{name}")
    return env


@contextmanager
def fleet_on_private_vhost(services_env: dict, log_dir, **env):
    """The five services as processes on a vhost of their own, `env` added
    to their environment; `.system` talks to them."""
    with private_vhost() as amqp_uri:
        processes = ServiceProcesses(dict(services_env, AMQP_URI=amqp_uri, **env), log_dir)
        processes.setup_broker()
        try:
            processes.start_all()
            processes.system = System(processes.base_url, amqp_uri, processes.env["GATEWAY_DATABASE_URL"])
            yield processes
        finally:
            processes.stop_all()


def unpublished_outbox_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    finally:
        engine.dispose()
