"""docker-compose.yml keeps the fleet up by itself: every long-running
container restarts when it exits, and its healthcheck means "ready", so
`depends_on` waits for a service that really answers."""

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
BACKENDS = ("points", "referrals", "reviews", "webhooks")


def test_every_long_running_container_restarts_unless_stopped():
    long_running = [name for name, service in SERVICES.items() if service.get("restart") != "no"]
    assert set(long_running) == {"rabbitmq", "postgres", *BACKENDS, "gateway"}
    for name in long_running:
        assert SERVICES[name]["restart"] == "unless-stopped", name


def test_healthchecks_mean_ready():
    for name in BACKENDS:
        assert SERVICES[name]["healthcheck"]["test"][:4] == ["CMD", "loyalty", "ping", name]
    assert "/ready" in " ".join(SERVICES["gateway"]["healthcheck"]["test"])


def test_the_gateway_starts_once_the_backends_answer():
    depends = SERVICES["gateway"]["depends_on"]
    for name in (*BACKENDS, "rabbitmq", "postgres"):
        assert depends[name]["condition"] == "service_healthy", name
    for name in BACKENDS:
        assert SERVICES[name]["depends_on"]["setup-broker"]["condition"] == "service_completed_successfully"
