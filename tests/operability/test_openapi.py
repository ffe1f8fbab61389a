"""The gateway's OpenAPI document against the gateway itself: it lists
every route, its reference page loads from the gateway alone, and
schemathesis calls every operation with generated input (an admin key
sent) and finds no 5xx, no answer the document does not describe, and
no traceback in any service's log."""

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
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
            # The test plays Shopify's app proxy, saying which shopper it forwards.
            LOYALTY_TRUSTED_PROXIES="127.0.0.0/8",
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
    """Each operation with valid input and with input the document rules
    out; the member's routes once more for the member who exists; the app
    proxy's once more signed as Shopify signs them, for that member, each
    from a shopper of its own (so past the rate limit); and webhooks
    once more with generated bodies signed with the shop's secret, which
    the services then consume (the log check after this test sees them). Storefront calls go
    to the shop that exists, so they reach its services and its rate limit.
    (schemathesis's own pytest plugin does not run on pytest 9: its cases
    are drawn here with `as_strategy`.)"""
    services, _ = fleet
    live = schemathesis.openapi.from_url(services.base_url + "/openapi.json")
    failures = []
    for result in live.get_all_operations():
        operation = result.ok()
        runs = [Run(GenerationMode.POSITIVE), Run(GenerationMode.NEGATIVE)]
        if "{customer_id}" in operation.path:
            runs.append(Run(GenerationMode.POSITIVE, path={"customer_id": MEMBER}))
        if operation.path.startswith("/storefront/"):
            runs.append(Run(GenerationMode.POSITIVE, shoppers=True))
        if operation.path.startswith("/proxy/"):
            runs.append(Run(GenerationMode.POSITIVE, query=signed_proxy_query(shop, MEMBER), shoppers=True))
        if operation.path == "/webhooks/shopify":
            runs.append(Run(GenerationMode.POSITIVE, signed_webhooks=True))
        for run in runs:
            try:
                call_with_generated_input(operation, run, shop)
            except Unsatisfiable:
                assert run.mode == GenerationMode.NEGATIVE  # nothing to send that the document rules out
            except (Exception, BaseExceptionGroup) as failure:  # each is reported below
                failures.append(f"{operation.label} ({run}): {failure}")
    assert not failures, "\n\n".join(failures)


@dataclass(frozen=True)
class Run:
    """One pass of generated requests at an operation: what is generated,
    and what is fixed."""

    mode: GenerationMode
    path: dict = field(default_factory=dict)
    query: dict | None = None
    shoppers: bool = False  # each request from another client address
    signed_webhooks: bool = False  # the body signed as Shopify signs it, topics in turn


def signed_proxy_query(shop, customer_id: str) -> dict:
    """The query Shopify's app proxy adds, signed with the shop's secret."""
    query = {
        "shop": shop.domain,
        "logged_in_customer_id": customer_id,
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(time.time())),
    }
    message = "".join(f"{name}={value}" for name, value in sorted(query.items()))
    signature = hmac.new(shop.webhook_secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {**query, "signature": signature}


def signed_webhook_headers(shop, topic: str, body: bytes) -> dict:
    """A webhook's headers as Shopify sends them (requests sends a JSON
    body as json.dumps writes it, so this is the body signed)."""
    digest = hmac.new(shop.webhook_secret.encode(), body, hashlib.sha256).digest()
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
    }


def call_with_generated_input(operation, run: Run, shop) -> None:
    path = {**run.path, "shop": shop.domain} if "{shop}" in operation.path else run.path
    shoppers = itertools.count(1)
    topics = itertools.cycle(["orders/create", "orders/paid", "refunds/create", "customers/create"])

    @given(case=operation.as_strategy(generation_mode=run.mode, path_parameters=path, query=run.query))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the same cases on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # the first failing case is reported as found
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        headers = {"Authorization": f"Bearer {shop.admin_key}"}
        if run.shoppers:
            number = next(shoppers)
            headers["X-Forwarded-For"] = f"198.51.{number // 250}.{number % 250 + 1}"
        if run.signed_webhooks:
            headers.update(signed_webhook_headers(shop, next(topics), json.dumps(case.body).encode()))
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    call()


def test_no_service_logged_a_traceback(fleet, shop):
    """Last in the module: after schemathesis has called everything, and
    the services have consumed what its webhooks recorded (a last order,
    sent after them, has been recorded)."""
    services, _ = fleet
    shop.customer_created("81999", "last@example.com")
    shop.order(5999, "81999", "last@example.com", "10.00")
    # Recorded whatever the program schemathesis left behind earns.
    assert wait_for(lambda: shop.api("GET", "/api/orders/5999").status_code == 200)

    for name in SERVICES:
        log = (services.log_dir / f"{name}.log").read_text()
        assert "Traceback" not in log, f"{name}:\n{log[-5000:]}"
