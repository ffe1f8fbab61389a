"""The docker-compose fleet, started for real: the images built (with local
stand-ins where the official ones cannot be pulled), every container up and
healthy, torn down after. Only `make compose-smoke` runs these tests."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from tests.support import free_port, wait_for

ROOT = Path(__file__).parents[2]
HEALTHY_WITHIN_SECONDS = 240


class Fleet:
    """One docker-compose project of the system, on its own gateway port."""

    def __init__(self):
        self.project = f"loyalty-smoke-{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        self.env = dict(os.environ, COMPOSE_PROJECT_NAME=self.project, GATEWAY_PORT=str(self.port))
        self.base_url = f"http://127.0.0.1:{self.port}"

    def compose(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            ["docker-compose", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"docker-compose {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    @staticmethod
    def inspect(container: str) -> dict:
        done = subprocess.run(["docker", "inspect", container], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)[0]

    def health(self, container: str) -> str:
        state = self.inspect(container)["State"]
        return state.get("Health", {}).get("Status") or state["Status"]

    def wait_healthy(
        self, services=("rabbitmq", "postgres", "points", "referrals", "reviews", "webhooks", "gateway")
    ):
        def all_healthy():
            return all(
                (ids := self.containers(name)) and all(self.health(c) == "healthy" for c in ids)
                for name in services
            )

        assert wait_for(all_healthy, timeout=HEALTHY_WITHIN_SECONDS, interval=2), self.compose("ps")

    def logs(self, container: str) -> str:
        done = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
        return done.stdout + done.stderr

    def loyalty(self, *args: str) -> str:
        """`loyalty ARGS` inside the gateway container (the image's entrypoint is `loyalty`)."""
        return self.compose("exec", "-T", "gateway", "loyalty", *args)

    def ready(self) -> bool:
        try:
            return requests.get(self.base_url + "/ready", timeout=3).status_code == 200
        except requests.RequestException:
            return False


@pytest.fixture(scope="session")
def docker_daemon():
    """A Docker daemon to talk to: DOCKER_HOST's or the default one, else
    one started here as deploy/docker-daemon.sh describes."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        started = subprocess.run(
            [str(ROOT / "deploy/docker-daemon.sh"), "start"], capture_output=True, text=True
        )
        if started.returncode != 0:
            pytest.skip(f"no Docker daemon here: {started.stderr.strip()}")
        os.environ["DOCKER_HOST"] = started.stdout.strip()
    subprocess.run([str(ROOT / "deploy/local-images.sh")], check=True, timeout=1200)


@pytest.fixture(scope="module")
def fleet(docker_daemon):
    fleet = Fleet()
    fleet.compose("build", timeout=1200)
    fleet.compose("up", "-d")
    try:
        fleet.wait_healthy()
        yield fleet
    finally:
        fleet.compose("down", "-v", "--remove-orphans", timeout=300)
