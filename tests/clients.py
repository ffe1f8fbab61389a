"""The system as its users reach it over HTTP: a merchant's admin API, a
shop's storefront and its signed webhooks."""

import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid

import requests


class System:
    def __init__(self, base_url: str, amqp_uri: str, gateway_database_url: str):
        self.base_url = base_url
        self.amqp_uri = amqp_uri
        self.gateway_database_url = gateway_database_url
        self.http = requests.Session()
        self.processes = None  # tests.support.ServiceProcesses, where the services run as processes

    def url(self, path: str) -> str:
        return self.base_url + path

    def create_shop(self, currency: str = "USD") -> "Shop":
        from services.gateway.operations import create_shop_cli

        credentials = create_shop_cli(
            f"shop-{uuid.uuid4().hex[:10]}.myshopify.com", currency, database_url=self.gateway_database_url
        )
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
        kwargs.setdefault("timeout", 15)
        return self.system.http.request(method, self.system.url(path), headers=headers, **kwargs)

    # storefront
    def customer_token(self, customer_id: str) -> str:
        return hmac.new(
            self.webhook_secret.encode(), f"{self.domain}:{customer_id}".encode(), hashlib.sha256
        ).hexdigest()

    def storefront(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.system.http.request(
            method, self.system.url(f"/storefront/{self.domain}{path}"), timeout=15, **kwargs
        )

    # shop platform
    def webhook(
        self,
        topic: str,
        body: dict,
        webhook_id: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        http: requests.Session | None = None,
        raw: bytes | None = None,
    ) -> requests.Response:
        """POST a webhook signed as Shopify signs it. `http`: a session of the
        caller's own (a requests.Session must not be shared across threads);
        `raw`: the body as sent, instead of `body` as JSON."""
        raw = json.dumps(body).encode() if raw is None else raw
        digest = hmac.new((secret or self.webhook_secret).encode(), raw, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": signature
            if signature is not None
            else base64.b64encode(digest).decode(),
        }
        return (http or self.system.http).post(
            self.system.url("/webhooks/shopify"), data=raw, headers=headers, timeout=15
        )

    def customer_created(self, customer_id: str, email: str, first_name="Ann", last_name="Lee"):
        response = self.webhook(
            "customers/create",
            {"id": int(customer_id), "email": email, "first_name": first_name, "last_name": last_name},
        )
        assert response.status_code == 200, response.text
        return response

    @staticmethod
    def order_body(
        order_id: int, customer_id: str, email: str, subtotal: str, discount_codes=(), financial_status="paid"
    ) -> dict:
        return {
            "id": order_id,
            "name": f"#{order_id}",
            "email": email,
            "customer": {"id": int(customer_id), "email": email},
            "financial_status": financial_status,
            "subtotal_price": subtotal,
            "total_price": subtotal,
            "currency": "USD",
            "discount_codes": [{"code": c} for c in discount_codes],
            "created_at": "2026-11-20T10:00:00Z",
        }

    def order(
        self,
        order_id: int,
        customer_id: str,
        email: str,
        subtotal: str,
        discount_codes=(),
        financial_status="paid",
        topic="orders/paid",
        webhook_id=None,
    ):
        body = self.order_body(order_id, customer_id, email, subtotal, discount_codes, financial_status)
        response = self.webhook(topic, body, webhook_id=webhook_id)
        assert response.status_code == 200, response.text
        return response


class OrderStream:
    """Signed `orders/paid` webhooks from a few clients at once until
    stopped, for `customers` customers. Remembers every order the gateway
    accepted, and every one that got no answer or an error: like the shop
    platform, `redeliver_unanswered()` sends those again with the same
    webhook id (the gateway may have taken one in before it went away)."""

    def __init__(
        self,
        shop,
        customers: int = 12,
        clients: int = 3,
        pause: float = 0.05,
        first_customer: int = 9_000_000,
    ):
        self.shop = shop
        self.customers = [str(first_customer + n) for n in range(customers)]
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
