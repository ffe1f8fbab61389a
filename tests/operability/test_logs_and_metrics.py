"""What an operator watches: every process's Prometheus metrics move as a
known flow goes through, and one order can be followed across the four
services' JSON logs by the id the webhook came with."""

import json
import os
import re
import uuid

import pytest
import requests

from conftest import private_vhost
from loyalty.services import SERVICES
from tests.clients import System
from tests.support import ServiceProcesses, free_port, wait_for

BACKENDS = [name for name in SERVICES if name != "gateway"]


@pytest.fixture(scope="module")
def fleet(database_url_factory, tmp_path_factory):
    """The services as processes, JSON logs to files, each backend's metrics
    on a port of its own."""
    with private_vhost() as amqp_uri:
        env = dict(
            os.environ,
            AMQP_URI=amqp_uri,
            GATEWAY_PORT=str(free_port()),
            GATEWAY_HOST="127.0.0.1",
            LOYALTY_DATA_DIR=str(tmp_path_factory.mktemp("data")),
            LOYALTY_LOG_FORMAT="json",
        )
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"ops_{name}")
        metrics_ports = {name: free_port() for name in BACKENDS}
        services = ServiceProcesses(env, tmp_path_factory.mktemp("logs"))
        services.setup_broker()
        for name in SERVICES:
            if name in metrics_ports:
                services.env = dict(env, METRICS_PORT=str(metrics_ports[name]))
            services.start(name)
            services.env = env
        try:
            services.wait_until_ready()
            yield services, metrics_ports, System(services.base_url, amqp_uri, env["GATEWAY_DATABASE_URL"])
        finally:
            services.stop_all()


def scrape(url: str) -> dict[str, float]:
    """Prometheus text → {'name{labels}': value}."""
    samples = {}
    for line in requests.get(url, timeout=5).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def sample(samples: dict[str, float], name: str, **labels: str) -> float:
    """The value of the sample `name` whose labels include `labels` (0 if none)."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(
        value for key, value in samples.items() if key.split("{")[0] == name and all(w in key for w in wanted)
    )


def log_lines(services: ServiceProcesses, name: str) -> list[dict]:
    lines = []
    for raw in (services.log_dir / f"{name}.log").read_text().splitlines():
        lines.append(json.loads(raw))  # every line is one JSON object
    return lines


def test_metrics_move_as_an_order_goes_through(fleet):
    services, metrics_ports, system = fleet
    shop = system.create_shop()
    points_metrics = f"http://127.0.0.1:{metrics_ports['points']}/metrics"
    gateway_metrics = services.base_url + "/metrics"
    before_points, before_gateway = scrape(points_metrics), scrape(gateway_metrics)

    shop.order(910001, "91001", "ops@example.com", "12.00")
    assert wait_for(lambda: shop.api("GET", "/api/customers/91001").status_code == 200)
    # Waiting may itself ask before the order lands (a 404 each time), so the
    # one deliberate 404 is counted from here.
    credited_points, credited_gateway = scrape(points_metrics), scrape(gateway_metrics)
    assert shop.api("GET", "/api/customers/does-not-exist").status_code == 404

    after_points, after_gateway = scrape(points_metrics), scrape(gateway_metrics)

    def moved(before, after, name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert (
        moved(
            before_gateway,
            after_gateway,
            "loyalty_http_requests_total",
            route="/webhooks/shopify",
            status="200",
        )
        == 1
    )
    assert (
        moved(
            credited_gateway,
            after_gateway,
            "loyalty_http_requests_total",
            route="/api/customers/<customer_id>",
            status="404",
        )
        == 1
    )
    assert (
        moved(
            before_gateway,
            after_gateway,
            "loyalty_http_request_duration_seconds_count",
            route="/webhooks/shopify",
        )
        == 1
    )
    assert (
        moved(
            before_points,
            after_points,
            "loyalty_events_total",
            handler="award_points_for_order",
            outcome="handled",
        )
        == 1
    )
    assert (
        moved(
            credited_points,
            after_points,
            "loyalty_rpc_requests_total",
            method="get_customer",
            outcome="not_found",
        )
        == 1
    )
    assert (
        moved(before_points, after_points, "loyalty_rpc_requests_total", method="get_customer", outcome="ok")
        >= 1
    )
    assert sample(after_points, "process_resident_memory_bytes") > 0
    assert wait_for(
        lambda: sample(scrape(points_metrics), "loyalty_outbox_backlog_rows", service="points") == 0
    )
    for name, port in metrics_ports.items():
        assert "loyalty_outbox_oldest_age_seconds" in requests.get(f"http://127.0.0.1:{port}/metrics").text, (
            name
        )


def test_one_order_is_followed_across_the_services_logs_by_its_webhook_id(fleet):
    services, _, system = fleet
    shop = system.create_shop()
    shop.customer_created("92001", "referrer@example.com")
    # The link is for members only; the webhook makes one asynchronously.
    assert wait_for(lambda: shop.api("GET", "/api/customers/92001").status_code == 200)
    token = shop.customer_token("92001")
    signed = {"customer_id": "92001", "customer_token": token}
    answer = shop.storefront("POST", "/referral-links", json=signed)
    assert answer.status_code == 201, answer.text
    link = answer.json()
    code = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "friend@example.com"}
    ).json()

    webhook_id = f"order-{uuid.uuid4().hex}"
    body = shop.order_body(920001, "92002", "friend@example.com", "30.00", [code["discount_code"]])
    answer = shop.webhook("orders/paid", body, webhook_id=webhook_id)
    assert answer.headers["X-Request-Id"] == webhook_id
    # The referrer's reward is the last step of the order's path.
    assert wait_for(lambda: shop.api("GET", "/api/customers/92001").json()["customer"]["balance"] == 500)

    def path_of(name):
        return [line for line in log_lines(services, name) if line.get("correlation_id") == webhook_id]

    gateway, points, referrals = path_of("gateway"), path_of("points"), path_of("referrals")
    assert gateway
    assert points
    assert referrals
    handled = [line["event"] for line in points + referrals if line["event"].startswith("handled")]
    assert any(re.match(r"handled order_placed .* points\.award_points_for_order", e) for e in handled)
    assert any(
        re.match(r"handled order_placed .* referrals\.complete_referral_for_order", e) for e in handled
    )
    assert any(re.match(r"handled referral_completed .* points\.award_referrer", e) for e in handled)
    for line in points + referrals:
        assert line["service"] in ("points", "referrals")
        assert line["level"] in ("debug", "info", "warning", "error")
        assert line["shop_id"] == shop.id


def test_logs_are_quiet_at_start_and_free_of_tracebacks(fleet):
    services, _, system = fleet
    shop = system.create_shop()
    # Refused requests: a bad signature, an unknown customer, a bad query.
    assert shop.webhook("orders/paid", {"id": 1}, signature="bad").status_code == 401
    assert shop.api("GET", "/api/customers/nobody").status_code == 404
    assert shop.api("GET", "/api/activities/points", params={"limit": "x"}).status_code == 422

    for name in SERVICES:
        lines = log_lines(services, name)
        assert not any(line.get("logger", "").startswith("alembic") for line in lines), name
        assert not any("Traceback" in json.dumps(line) for line in lines), name
