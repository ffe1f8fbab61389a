"""Who is calling, and for which shop: the admin API's bearer key, the
storefront's shop domain and signed-in customer. The key or the domain,
never the rest of the request, decides which shop's data a route touches."""

import functools
import hmac
from typing import TypeVar

from sqlalchemy.orm import Session

from services.gateway import rate_limits, repository
from services.gateway.client_address import client_address
from services.gateway.credentials import hash_api_key, secret_box
from services.gateway.domain import AdminCaller, Shop, bearer_api_key, customer_token_matches
from services.gateway.schemas import SignedCustomer
from shared.errors import NotFound, Unauthorized

SignedT = TypeVar("SignedT", bound=SignedCustomer)


def authenticate_admin(session: Session, authorization: str | None) -> AdminCaller:
    """The caller behind `Authorization: Bearer <admin API key>`, or 401."""
    digest = hash_api_key(bearer_api_key(authorization))
    # Looking a key up by its SHA-256 leaks nothing through timing (nobody
    # can steer the bytes of a hash); compare_digest re-checks the row found.
    row = repository.api_key_holder(session, digest)
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise Unauthorized("the admin API key is not valid")
    return AdminCaller(shop_id=row.id, shop_domain=row.domain, key_label=row.label)


def find_shop_by_domain(session: Session, domain: str | None) -> Shop | None:
    row = repository.shop_by_domain(session, (domain or "").strip().lower())
    if row is None:
        return None
    return Shop(row.id, row.domain, row.name, secret_box().decrypt(row.webhook_secret_encrypted))


def admin_route(route):
    """An /api route: resolves the shop from the bearer key once, before the
    route runs, and passes it on as `caller`."""

    @functools.wraps(route)
    def authenticated(self, request, **path):
        with self.db.unit_of_work() as uow:
            caller = authenticate_admin(uow.session, request.headers.get("Authorization"))
        return route(self, request, caller, **path)

    return authenticated


def storefront_route(route):
    """A /storefront/{shop} route: `shop` (a domain in the path) becomes the
    Shop; an unknown one is a 404. Each client's requests to the shop are
    rate limited (rate_limits)."""

    @functools.wraps(route)
    def with_shop(self, request, shop, **path):
        with self.db.unit_of_work() as uow:
            found = find_shop_by_domain(uow.session, shop)
        if found is None:
            raise NotFound("no such shop", {"shop": shop})
        rate_limits.admit(client_address(request), found.id)
        return route(self, request, found, **path)

    return with_shop


def require_signed_customer(shop: Shop, signed: SignedT) -> SignedT:
    """`signed`, once its customer_token proves it comes from the shop's
    pages for that customer; 401 otherwise."""
    if not customer_token_matches(
        shop.webhook_secret, shop.domain, signed.customer_id, signed.customer_token
    ):
        raise Unauthorized("customer_token does not match this customer")
    return signed
