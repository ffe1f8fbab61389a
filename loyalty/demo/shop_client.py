"""One shop as its outside callers reach the gateway: the shop platform's
signed webhooks, the storefront widget (customer tokens, a client address
per visitor) and the merchant's admin API. Signatures are made by the
gateway's own functions, so they are the ones it checks."""

import json
import threading
from dataclasses import dataclass
from typing import Any

import requests

from services.gateway.domain import customer_token, webhook_signature


class SeedRefused(RuntimeError):
    """The gateway refused something the demo story expected to work."""


@dataclass
class ShopClient:
    base_url: str
    domain: str
    admin_key: str
    webhook_secret: str

    def __post_init__(self) -> None:
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        """A session per thread (one is not safe to share between threads)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def webhook(self, topic: str, body: dict, webhook_id: str) -> None:
        """Sent as Shopify sends it; the id stays the same on every run, so
        the gateway's dedupe absorbs a repeat."""
        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Hmac-Sha256": webhook_signature(self.webhook_secret, raw),
        }
        response = self.http.post(f"{self.base_url}/webhooks/shopify", data=raw, headers=headers, timeout=30)
        if response.status_code != 200 or response.json().get("status") not in ("accepted", "duplicate"):
            raise SeedRefused(f"webhook {topic} {webhook_id}: {response.status_code} {response.text[:300]}")

    def admin(
        self, method: str, path: str, body: Any = None, idempotency_key: str | None = None, **params: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.http.request(
            method, f"{self.base_url}{path}", json=body, headers=headers, params=params or None, timeout=30
        )

    def admin_ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.admin(method, path, body, **kwargs)
        if response.status_code >= 300:
            raise SeedRefused(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def storefront(self, path: str, body: dict, client_ip: str) -> requests.Response:
        """POST from a shopper's browser at `client_ip` (the seed fleet
        trusts the loopback proxy's X-Forwarded-For)."""
        return self.http.post(
            f"{self.base_url}/storefront/{self.domain}{path}",
            json=body,
            headers={"X-Forwarded-For": client_ip},
            timeout=30,
        )

    def signed(self, customer_id: int) -> dict:
        """The fields that prove a signed-in customer on the shop's pages."""
        return {
            "customer_id": str(customer_id),
            "customer_token": customer_token(self.webhook_secret, self.domain, str(customer_id)),
        }
