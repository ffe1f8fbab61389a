"""The whole system in the test process: points, referrals, reviews and the
gateway on the real broker (a private vhost) and real databases, driven over
HTTP like the shop platform, the storefront and the merchant drive it."""
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from conftest import private_vhost
from loyalty.services import SERVICES, all_handler_queues, service_class
from shared.topology import declare_all


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                            "max_workers": 10})
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
        port = free_port()
        env = dict(os.environ, AMQP_URI=uri, GATEWAY_PORT=str(port), GATEWAY_HOST="127.0.0.1",
                   LOYALTY_DATA_DIR=str(tmp_path_factory.mktemp("deployed")))
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"deployed_{name}")
        log_dir = tmp_path_factory.mktemp("logs")
        subprocess.run([sys.executable, "-m", "loyalty.cli", "setup-broker"], env=env, check=True,
                       capture_output=True, timeout=60)
        processes = [subprocess.Popen([sys.executable, "-m", "loyalty.cli", "serve", name], env=env,
                                      stdout=open(log_dir / f"{name}.log", "w"), stderr=subprocess.STDOUT)
                     for name in SERVICES]
        try:
            _wait_until_ready(f"http://127.0.0.1:{port}", processes, log_dir)
            yield System(f"http://127.0.0.1:{port}", uri, env["GATEWAY_DATABASE_URL"])
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=20)


def _wait_until_ready(base_url, processes, log_dir, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            if requests.get(base_url + "/ready", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    logs = "\n".join(f"--- {f.name}\n{f.read_text()[-3000:]}" for f in log_dir.iterdir())
    raise RuntimeError(f"the deployed system did not become ready:\n{logs}")


class System:
    def __init__(self, base_url: str, amqp_uri: str, gateway_database_url: str):
        self.base_url = base_url
        self.amqp_uri = amqp_uri
        self.gateway_database_url = gateway_database_url
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def create_shop(self) -> "Shop":
        from services.gateway.operations import create_shop_cli

        credentials = create_shop_cli(f"shop-{uuid.uuid4().hex[:10]}.myshopify.com",
                                      database_url=self.gateway_database_url)
        return Shop(self, credentials)


class Shop:
    """One merchant: their admin API, their storefront and their webhooks."""

    def __init__(self, system: System, credentials: dict):
        self.system = system
        self.id = credentials["shop"]
        self.domain = credentials["domain"]
        self.admin_key = credentials["admin_api_key"]
        self.webhook_secret = credentials["webhook_secret"]

    # admin API
    def api(self, method: str, path: str, key: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {key or self.admin_key}"
        return self.system.http.request(method, self.system.url(path), headers=headers, timeout=15, **kwargs)

    # storefront
    def customer_token(self, customer_id: str) -> str:
        return hmac.new(self.webhook_secret.encode(), f"{self.domain}:{customer_id}".encode(),
                        hashlib.sha256).hexdigest()

    def storefront(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.system.http.request(method, self.system.url(f"/storefront/{self.domain}{path}"),
                                        timeout=15, **kwargs)

    # shop platform
    def webhook(self, topic: str, body: dict, webhook_id: str | None = None,
                secret: str | None = None, signature: str | None = None) -> requests.Response:
        raw = json.dumps(body).encode()
        digest = hmac.new((secret or self.webhook_secret).encode(), raw, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": signature if signature is not None else base64.b64encode(digest).decode(),
        }
        return self.system.http.post(self.system.url("/webhooks/shopify"), data=raw, headers=headers, timeout=15)

    def customer_created(self, customer_id: str, email: str, first_name="Ann", last_name="Lee"):
        response = self.webhook("customers/create", {"id": int(customer_id), "email": email,
                                                    "first_name": first_name, "last_name": last_name})
        assert response.status_code == 200, response.text
        return response

    def order(self, order_id: int, customer_id: str, email: str, subtotal: str,
              discount_codes=(), financial_status="paid", topic="orders/paid", webhook_id=None):
        body = {
            "id": order_id, "name": f"#{order_id}", "email": email,
            "customer": {"id": int(customer_id), "email": email},
            "financial_status": financial_status, "subtotal_price": subtotal, "total_price": subtotal,
            "currency": "USD", "discount_codes": [{"code": c} for c in discount_codes],
            "created_at": "2026-11-20T10:00:00Z",
        }
        response = self.webhook(topic, body, webhook_id=webhook_id)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
def shop(system) -> Shop:
    return system.create_shop()


@pytest.fixture
def other_shop(system) -> Shop:
    return system.create_shop()
