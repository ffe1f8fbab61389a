"""Fixtures for the tests that take things away: a broker of the test's own
that can be stopped, and the services as separate processes."""

import os
import random
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from loyalty.services import SERVICES
from tests.support import PrivateRabbit, free_port


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
    )
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = database_url_factory(f"resilience_{name}")
    return env


class OrderStream:
    """Signed `orders/paid` webhooks from a few clients at once until
    stopped, for `customers` customers. Remembers every order the gateway
    accepted, and every one that got no answer or an error: like the shop
    platform, `redeliver_unanswered()` sends those again with the same
    webhook id (the gateway may have taken one in before it went away)."""

    def __init__(self, shop, customers: int = 12, clients: int = 3, pause: float = 0.05):
        self.shop = shop
        self.customers = [str(9_000_000 + n) for n in range(customers)]
        self.clients = clients
        self.pause = pause
        self.accepted: list[tuple[int, str, str]] = []  # (order id, customer, subtotal)
        self.unanswered: list[tuple[str, dict, str]] = []  # (webhook id, body, what went wrong)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._next_id = random.randint(10**9, 2 * 10**9)

    def _order_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def _send(self, http, webhook_id: str, body: dict) -> str | None:
        """None if the gateway took the order (or already had it), else why not."""
        try:
            response = self.shop.webhook("orders/paid", body, webhook_id=webhook_id, http=http)
        except requests.RequestException as exc:
            return repr(exc)
        return None if response.status_code == 200 else f"{response.status_code} {response.text[:200]}"

    def _client(self, seed: int) -> None:
        rng = random.Random(seed)
        http = requests.Session()
        while not self._stop.is_set():
            order_id, customer = self._order_id(), rng.choice(self.customers)
            subtotal = f"{rng.randint(1, 200)}.{rng.randint(0, 99):02d}"
            body = self.shop.order_body(order_id, customer, f"c{customer}@example.com", subtotal)
            webhook_id = str(uuid.uuid4())
            failure = self._send(http, webhook_id, body)
            with self._lock:
                if failure is None:
                    self.accepted.append((order_id, customer, subtotal))
                else:
                    self.unanswered.append((webhook_id, body, failure))
            time.sleep(self.pause)

    def start(self) -> "OrderStream":
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def redeliver_unanswered(self) -> None:
        http = requests.Session()
        for webhook_id, body, _ in self.unanswered:
            failure = self._send(http, webhook_id, body)
            assert failure is None, failure
            self.accepted.append((body["id"], str(body["customer"]["id"]), body["subtotal_price"]))
        self.unanswered = []

    def expected_balances(self) -> dict[str, int]:
        """Points per customer at the default program (1 point per unit, floor)."""
        balances = dict.fromkeys(self.customers, 0)
        for _, customer, subtotal in self.accepted:
            balances[customer] += int(subtotal.split(".")[0])
        return balances


def unpublished_outbox_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    finally:
        engine.dispose()
