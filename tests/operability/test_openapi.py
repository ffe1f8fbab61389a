"""The gateway's OpenAPI document against the gateway itself: it lists
every route, its reference page loads from the gateway alone, and
schemathesis calls every operation with generated input (an admin key
sent) and finds no 5xx, no answer the document does not describe, and
no traceback in any service's log."""

import os
import re
from urllib.parse import urljoin, urlparse

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode

from conftest import private_vhost
from loyalty.services import SERVICES
from services.gateway import openapi
from services.gateway.service import GatewayService
from tests.clients import System
from tests.support import ServiceProcesses, free_port, wait_for

# Not `positive_data_acceptance`: a request the document allows may still
# be refused with a 4xx, as JSON Schema cannot say everything a route
# checks (a cursor we did not hand out, expiry_days after pending_days).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# Generated cases per operation: enough to reach each route's validation
# and its refusals, few enough to run in about a minute (more, by hand:
# LOYALTY_SCHEMATHESIS_EXAMPLES=50).
EXAMPLES_PER_OPERATION = int(os.environ.get("LOYALTY_SCHEMATHESIS_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def fleet(database_url_factory, tmp_path_factory):
    with private_vhost() as amqp_uri:
        env = dict(
            os.environ,
            AMQP_URI=amqp_uri,
            GATEWAY_PORT=str(free_port()),
            GATEWAY_HOST="127.0.0.1",
            LOYALTY_DATA_DIR=str(tmp_path_factory.mktemp("data")),
        )
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"openapi_{name}")
        services = ServiceProcesses(env, tmp_path_factory.mktemp("logs"))
        services.setup_broker()
        services.start_all()
        try:
            yield services, System(services.base_url, amqp_uri, env["GATEWAY_DATABASE_URL"])
        finally:
            services.stop_all()


MEMBER = "81001"


@pytest.fixture(scope="module")
def shop(fleet):
    """A shop, with its real admin key, a reward and a member who has
    earned points, so the lists and the member's routes answer with rows."""
    _, system = fleet
    shop = system.create_shop()
    shop.customer_created(MEMBER, "member@example.com")
    shop.order(5001, MEMBER, "member@example.com", "120.00")
    reward = {"name": "5 off", "kind": "fixed_amount", "value": "5", "points_cost": 50}
    assert shop.api("POST", "/api/rewards", json=reward).status_code == 201
    assert wait_for(lambda: shop.api("GET", "/api/activities/points").json()["items"])
    return shop


def test_the_live_document_is_the_route_table(fleet):
    services, _ = fleet

    served = requests.get(services.base_url + "/openapi.json", timeout=10)

    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/json"
    assert served.json()["paths"] == openapi.document(GatewayService)["paths"]


def test_the_reference_page_loads_only_from_the_gateway(fleet):
    services, _ = fleet
    page = requests.get(services.base_url + "/docs", timeout=10)
    assets = [url for url in re.findall(r'(?:src|href)="([^"]+)"', page.text) if not url.startswith("data:")]

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert assets
    for asset in assets:
        url = urljoin(page.url, asset)
        assert urlparse(url).netloc == urlparse(services.base_url).netloc, asset
        loaded = requests.get(url, timeout=10)
        assert loaded.status_code == 200, asset
        assert loaded.headers["Content-Type"].startswith(("text/javascript", "text/css")), asset
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "http" not in policy  # no other origin may serve the page anything


def test_every_operation_answers_as_documented(fleet, shop):
    """Each operation, with valid input and with input the document rules
    out, and the member's routes once more for the member who exists;
    storefront calls to the shop that exists, so they reach its services
    and its rate limits. (schemathesis's own pytest plugin does
    not run on pytest 9: its cases are drawn here with `as_strategy`.)"""
    services, _ = fleet
    live = schemathesis.openapi.from_url(services.base_url + "/openapi.json")
    failures = []
    for result in live.get_all_operations():
        operation = result.ok()
        runs = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
        if "{customer_id}" in operation.path:
            runs.append((GenerationMode.POSITIVE, {"customer_id": MEMBER}))
        for mode, in_path in runs:
            try:
                call_with_generated_input(operation, mode, shop, in_path)
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing to send that the document rules out
            except (Exception, BaseExceptionGroup) as failure:  # each is reported below
                failures.append(f"{operation.label} ({mode}, {in_path or 'generated path'}): {failure}")
    assert not failures, "\n\n".join(failures)


def call_with_generated_input(operation, mode: GenerationMode, shop, in_path: dict) -> None:
    if "{shop}" in operation.path:
        in_path = {**in_path, "shop": shop.domain}

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=in_path))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the same cases on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # the first failing case is reported as found
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {shop.admin_key}"}, checks=CHECKS, timeout=30
        )

    call()


def test_no_service_logged_a_traceback(fleet):
    """Last in the module: after schemathesis has called everything."""
    services, _ = fleet

    for name in SERVICES:
        log = (services.log_dir / f"{name}.log").read_text()
        assert "Traceback" not in log, f"{name}:\n{log[-5000:]}"
