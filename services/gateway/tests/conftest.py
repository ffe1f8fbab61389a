"""The gateway in a real nameko container (real RabbitMQ, real database,
real HTTP), with the points/referrals/reviews/webhooks RPC proxies replaced by mocks
that give canned answers shaped like docs/architecture.md."""

import base64
import hashlib
import hmac
import json
import socket
import uuid

import pytest
import requests
from nameko.testing.services import replace_dependencies
from sqlalchemy import select

from services.gateway.models import metadata
from services.gateway.operations import create_shop_cli
from services.gateway.service import GatewayService
from shared.database import Database
from shared.db import make_engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answer(method, value):
    """Make a replaced RPC method answer `value` (raise it, if an exception)
    when called the way the gateway calls: `method.call_async(...).result()`."""
    reply = method.call_async.return_value
    if isinstance(value, BaseException):
        reply.result.side_effect = value
    else:
        reply.result.side_effect = None
        reply.result.return_value = value


@pytest.fixture
def gateway_env(monkeypatch, tmp_path, database_url_factory):
    """A fresh database and data dir for one test, as the CLI sees them."""
    url = database_url_factory("gateway")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("LOYALTY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LOYALTY_SECRET_KEY", raising=False)
    return url


class Gateway:
    def __init__(self, base_url, database_url, points, referrals, reviews, container=None, webhooks=None):
        self.base_url = base_url
        self.database_url = database_url
        self.points, self.referrals, self.reviews = points, referrals, reviews
        self.webhooks = webhooks
        self.container = container
        self.engine = make_engine(database_url)
        self.http = requests.Session()

    @property
    def database(self) -> Database:
        """The container's Database dependency (its `clock` may be replaced)."""
        return next(ext for ext in self.container.extensions if isinstance(ext, Database))

    def close(self):
        self.http.close()
        self.engine.dispose()
        if self.container is not None:
            self.container.stop()

    def request(self, method, path, base_url=None, **kwargs):
        """`base_url`: send to another gateway (a replica) instead."""
        return self.http.request(method, (base_url or self.base_url) + path, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def create_shop(self, currency: str = "USD") -> "Shop":
        return Shop(self, create_shop_cli(f"shop-{uuid.uuid4().hex[:10]}.myshopify.com", currency))

    def rows(self, table_name):
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:
            return conn.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()

    def outbox(self, shop_id=None):
        return [
            dict(row, body=json.loads(row["body"]))
            for row in self.rows("outbox")
            if shop_id is None or row["shop_id"] == shop_id
        ]


class Shop:
    def __init__(self, gateway: Gateway, credentials: dict):
        self.gateway = gateway
        self.id = credentials["shop"]
        self.domain = credentials["domain"]
        self.admin_key = credentials["admin_api_key"]
        self.webhook_secret = credentials["webhook_secret"]

    def outbox(self):
        return self.gateway.outbox(self.id)

    def deliveries(self):
        return [row for row in self.gateway.rows("webhook_deliveries") if row["shop_id"] == self.id]

    def api(self, method, path, key=None, headers=None, **kwargs):
        headers = {**(headers or {}), "Authorization": f"Bearer {key or self.admin_key}"}
        return self.gateway.request(method, path, headers=headers, **kwargs)

    def customer_token(self, customer_id: str, secret: str | None = None) -> str:
        return hmac.new(
            (secret or self.webhook_secret).encode(), f"{self.domain}:{customer_id}".encode(), hashlib.sha256
        ).hexdigest()

    def storefront(self, method, path, **kwargs):
        return self.gateway.request(method, f"/storefront/{self.domain}{path}", **kwargs)

    def webhook(self, topic, body, webhook_id=None, secret=None, signature=None, domain=None, raw=None):
        """Signed like the shop platform signs, unless `secret` or `signature`
        (False: no header at all) say otherwise; `webhook_id=False` sends none."""
        raw = raw if raw is not None else json.dumps(body).encode()
        digest = hmac.new((secret or self.webhook_secret).encode(), raw, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": domain or self.domain,
        }
        if webhook_id is not False:
            headers["X-Shopify-Webhook-Id"] = webhook_id or str(uuid.uuid4())
        if signature is None:
            headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(digest).decode()
        elif signature is not False:
            headers["X-Shopify-Hmac-Sha256"] = signature
        return self.gateway.post("/webhooks/shopify", data=raw, headers=headers)


def start_gateway(amqp_uri, database_url) -> Gateway:
    """A gateway container on `database_url`, its RPC proxies mocked."""
    from nameko.containers import ServiceContainer

    port = free_port()
    container = ServiceContainer(
        GatewayService,
        {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"},
    )
    points, referrals, reviews, webhooks = replace_dependencies(
        container, "points", "referrals", "reviews", "webhooks"
    )
    container.start()
    return Gateway(f"http://127.0.0.1:{port}", database_url, points, referrals, reviews, container, webhooks)


@pytest.fixture(scope="package")
def running_gateway(amqp_uri, database_url_factory, tmp_path_factory):
    """One gateway for this folder's tests (they isolate by shop). The CLI
    that creates shops and the running gateway share one database and one
    data dir (where the secret key is made), as in production."""
    url = database_url_factory("gateway")
    env = pytest.MonkeyPatch()
    env.setenv("GATEWAY_DATABASE_URL", url)
    env.setenv("LOYALTY_DATA_DIR", str(tmp_path_factory.mktemp("gateway-data")))
    env.delenv("LOYALTY_SECRET_KEY", raising=False)
    running = start_gateway(amqp_uri, url)
    try:
        yield running
    finally:
        running.close()
        env.undo()


@pytest.fixture
def gateway(running_gateway) -> Gateway:
    """The running gateway, its RPC mocks cleared of earlier tests' answers."""
    for proxy in (
        running_gateway.points,
        running_gateway.referrals,
        running_gateway.reviews,
        running_gateway.webhooks,
    ):
        proxy.reset_mock(return_value=True, side_effect=True)
    return running_gateway


@pytest.fixture
def shop(gateway) -> Shop:
    return gateway.create_shop()


@pytest.fixture
def other_shop(gateway) -> Shop:
    return gateway.create_shop()
