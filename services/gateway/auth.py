"""Who is calling, and for which shop. The admin API takes one of:

- `Authorization: Bearer <admin API key>`: a person's or integration's key,
  named in audit trails as `api_key:{name}@{shop id}`;
- `Authorization: Bearer <Shopify session token>`: the embedded dashboard's
  staff member, named `staff:{sub}` (session_tokens.py);
- the dashboard's session cookie, from signing in with a key (access.py);
  every write must then carry the session's CSRF token in `X-CSRF-Token`.

Nothing is cached: each request reads the key or session from the
database, so a revocation holds at once on every gateway replica. The
storefront's shop comes from its domain, its customer from a
customer_token. The credential or the domain, never the rest of the
request, decides which shop's data a route touches."""

import functools
import hmac
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from services.gateway import rate_limits, repository
from services.gateway.client_address import client_address
from services.gateway.credentials import csrf_token_matches, hash_token
from services.gateway.domain import (
    AdminCaller,
    Shop,
    bearer_credential,
    customer_token_matches,
    is_api_key,
    key_holder_actor,
    session_is_live,
    session_needs_touch,
    staff_actor,
)
from services.gateway.schemas import SignedCustomer, SignInRequest
from services.gateway.session_tokens import claimed_shop_domain, verified_staff_id
from services.gateway.web import parse_body
from shared import config
from shared.errors import BadRequest, Forbidden, NotFound, Unauthorized
from shared.secret_box import secret_box

SignedT = TypeVar("SignedT", bound=SignedCustomer)

SESSION_COOKIE = "loyalty_session"
CSRF_HEADER = "X-CSRF-Token"
# Methods that change nothing: the only ones a cookie session may send
# without its CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate_admin(session: Session, request: Request, now: datetime) -> AdminCaller:
    """The caller behind the request's bearer credential or, without one,
    its session cookie; 401 if neither is valid, 403 for a cookie
    session's write without its CSRF token."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        credential = bearer_credential(authorization)
        if is_api_key(credential):
            return key_holder(session, credential)
        return staff_member(session, credential, now)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        return signed_in_caller(session, session_id, request, now)
    raise Unauthorized(
        "sign in: send Authorization: Bearer <admin API key or Shopify session token>, "
        "or sign in to the dashboard"
    )


def live_key(session: Session, api_key: str):
    """The row of a live (not revoked) admin API key (id, name, shop_id,
    shop_domain), or 401."""
    digest = hash_token(api_key)
    # Looking a key up by its SHA-256 leaks nothing through timing (nobody
    # can steer the bytes of a hash); compare_digest re-checks the row found.
    row = repository.live_api_key(session, digest) if is_api_key(api_key) else None
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise Unauthorized("the admin API key is not valid")
    return row


def key_holder(session: Session, api_key: str) -> AdminCaller:
    row = live_key(session, api_key)
    return AdminCaller(row.shop_id, row.shop_domain, key_holder_actor(row.name, row.shop_id))


def staff_member(session: Session, token: str, now: datetime) -> AdminCaller:
    """The staff member a Shopify session token names, once it verifies
    against a secret in force for the shop its `dest` names; or 401."""
    shop = find_shop_by_domain(session, claimed_shop_domain(token))
    if shop is None:
        raise Unauthorized("the session token's dest is not a shop of this app")
    staff_id = verified_staff_id(token, shop.domain, shop.secrets_in_force(now), config.app_client_id())
    return AdminCaller(shop.id, shop.domain, staff_actor(staff_id))


def signed_in_caller(session: Session, session_id: str, request: Request, now: datetime) -> AdminCaller:
    """The key holder who signed in to this dashboard session, while it is
    live (used within the last 12 h, its key not revoked); or 401. A write
    without the session's CSRF token is 403, so another site's page cannot
    act with the merchant's cookie."""
    row = repository.live_session(session, hash_token(session_id))
    if row is None or not session_is_live(row.last_seen_at, now):
        raise Unauthorized("the dashboard session has ended: sign in again")
    if request.method not in SAFE_METHODS and not csrf_token_matches(
        session_id, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"a write from a signed-in dashboard must send its CSRF token in {CSRF_HEADER}")
    if session_needs_touch(row.last_seen_at, now):
        repository.touch_session(session, row.id_hash, now)
    return AdminCaller(row.shop_id, row.shop_domain, key_holder_actor(row.key_name, row.shop_id), session_id)


def find_shop_by_domain(session: Session, domain: str | None) -> Shop | None:
    if domain is None or "\x00" in domain:  # names no shop (PostgreSQL refuses NUL in text)
        return None
    row = repository.shop_by_domain(session, domain.strip().lower())
    if row is None:
        return None
    box = secret_box()
    previous = row.previous_webhook_secret_encrypted
    return Shop(
        row.id,
        row.domain,
        row.name,
        box.decrypt(row.webhook_secret_encrypted),
        box.decrypt(previous) if previous is not None else None,
        row.previous_secret_expires_at,
    )


def admin_route(route):
    """An /api route: resolves the caller once, before the route runs, and
    passes it on as `caller`."""

    @functools.wraps(route)
    def authenticated(self, request, **path):
        with self.db.unit_of_work() as uow:
            caller = authenticate_admin(uow.session, request, self.db.clock.now())
            uow.commit()  # a session's last use, when it was due to be written
        return route(self, request, caller, **path)

    return authenticated


def sign_in_key(request: Request) -> str:
    """The key the sign-in form sent, as JSON only: another site's form can
    post text/plain that parses as JSON, never application/json (that needs
    CORS, which the admin API does not grant), so no site can sign a
    merchant in to a session of its choosing."""
    if request.mimetype != "application/json":
        raise BadRequest("send the key as JSON (Content-Type: application/json)")
    return parse_body(request, SignInRequest).key


def with_session_cookie(response: Response, request: Request, session_id: str | None) -> Response:
    """`response` setting the dashboard's session cookie, or clearing it
    (None). HttpOnly (no script reads it), SameSite=Strict (no other site's
    request carries it), Secure when the page came over TLS: directly, or
    through a proxy saying so in X-Forwarded-Proto (a client forging that
    header only makes its own cookie stricter)."""
    forwarded_proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    secure = request.scheme == "https" or forwarded_proto == "https"
    if session_id is None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="Strict")
    else:
        response.set_cookie(
            SESSION_COOKIE, session_id, path="/", secure=secure, httponly=True, samesite="Strict"
        )
    return response


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


def require_signed_customer(shop: Shop, signed: SignedT, now: datetime) -> SignedT:
    """`signed`, once its customer_token proves it comes from the shop's
    pages for that customer (made with a secret in force at `now`); 401
    otherwise."""
    if not any(
        customer_token_matches(secret, shop.domain, signed.customer_id, signed.customer_token)
        for secret in shop.secrets_in_force(now)
    ):
        raise Unauthorized("customer_token does not match this customer")
    return signed
