"""The whole system in the test process: points, referrals, reviews and the
gateway on the real broker (a private vhost) and real databases, driven over
HTTP like the shop platform, the storefront and the merchant drive it."""

import os

import pytest

from conftest import private_vhost
from loyalty.services import SERVICES, all_handler_queues, service_class
from shared.topology import declare_all
from tests.clients import Shop, System
from tests.support import ServiceProcesses, free_port


@pytest.fixture(scope="session")
def system(amqp_uri, database_url_factory, tmp_path_factory):
    """Start every service once per test session; tests isolate by shop."""
    from nameko.runners import ServiceRunner

    mp = pytest.MonkeyPatch()
    for name in SERVICES:
        mp.setenv(f"{name.upper()}_DATABASE_URL", database_url_factory(name))
    mp.setenv("LOYALTY_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    gateway_database_url = os.environ["GATEWAY_DATABASE_URL"]
    port = free_port()
    classes = [service_class(name) for name in SERVICES]
    declare_all(amqp_uri, all_handler_queues())
    runner = ServiceRunner(
        {"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "max_workers": 10}
    )
    for cls in classes:
        runner.add_service(cls)
    runner.start()
    try:
        yield System(f"http://127.0.0.1:{port}", amqp_uri, gateway_database_url)
    finally:
        runner.stop()
        mp.undo()


@pytest.fixture(scope="session")
def deployed_system(database_url_factory, tmp_path_factory):
    """The system as `make run` runs it: one OS process per service
    (`loyalty serve NAME`), on its own vhost and databases. Used where the
    test process itself must block, e.g. while it drives a browser."""
    with private_vhost() as uri:
        env = dict(
            os.environ,
            AMQP_URI=uri,
            GATEWAY_PORT=str(free_port()),
            GATEWAY_HOST="127.0.0.1",
            LOYALTY_DATA_DIR=str(tmp_path_factory.mktemp("deployed")),
            # A test that stops a service waits this long on each page that
            # asks it; the test shops' answers take a fraction of it.
            LOYALTY_RPC_TIMEOUT_SECONDS="5",
            # Outbound webhooks to a receiver the test runs on loopback, over http.
            LOYALTY_ALLOW_HTTP_WEBHOOKS="1",
        )
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"deployed_{name}")
        services = ServiceProcesses(env, tmp_path_factory.mktemp("logs"))
        services.setup_broker()
        try:
            services.start_all()
            system = System(services.base_url, uri, env["GATEWAY_DATABASE_URL"])
            system.processes = services  # a test may stop a service and start it again
            yield system
        finally:
            services.stop_all()


@pytest.fixture(scope="module")
def browser(deployed_system):
    """One headless Chromium per browser test module (tests/e2e/dashboard.py)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.dashboard import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def dashboard(browser, deployed_system, request):
    """A fresh browser context (nothing signed in) at desktop size. Any
    console error but an API refusal the test provoked fails the test. The
    page as the test left it is kept as a screenshot ($LOYALTY_SCREENSHOTS)."""
    from tests.e2e.dashboard import new_dashboard

    board = new_dashboard(browser, deployed_system.base_url)
    yield board
    board.screenshot(f"last-{request.node.name}")
    board.page.context.close()
    assert board.unexpected_console_errors() == []


@pytest.fixture
def shop(system) -> Shop:
    return system.create_shop()


@pytest.fixture
def other_shop(system) -> Shop:
    return system.create_shop()
