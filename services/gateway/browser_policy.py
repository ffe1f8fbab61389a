"""What browsers are told about our responses, decided here for every
response (web.py calls this; no route sets these headers itself):

- storefront routes (`/storefront/{shop}/...`) may be called from the shop's
  own pages, `https://{shop}`, and from no other origin (CORS, preflight
  included);
- the dashboard is served with a strict Content-Security-Policy (our own
  script, stylesheet and API, nothing inline), and may only be framed by
  the shop's Shopify admin when it is embedded there;
- the API reference at `/docs` (Swagger UI, docs_page.py) is held to the
  dashboard's policy, and may not be framed;
- every response is `nosniff`, sends no Referer onwards and may not be
  framed (the API is never a page)."""

import re
from collections.abc import Callable, Iterable

from werkzeug.wrappers import Request, Response

STOREFRONT_PREFIX = "/storefront/"
DASHBOARD_PATHS = re.compile(r"^/(dashboard/[^/]*)?$")
MYSHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
SHOPIFY_ADMIN = "https://admin.shopify.com"

DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)
# Embedded in the Shopify admin, the page's first script is App Bridge,
# loaded from Shopify (services/gateway/dashboard_files.py).
APP_BRIDGE_ORIGIN = "https://cdn.shopify.com"
EMBEDDED_DASHBOARD_CSP = DASHBOARD_CSP.replace("script-src 'self'", f"script-src 'self' {APP_BRIDGE_ORIGIN}")
API_CSP = "default-src 'none'; base-uri 'none'"
DOCS_PATHS = re.compile(r"^/docs(/assets/[^/]*)?$")

# What the storefront widget sends and reads across origins.
CORS_REQUEST_HEADERS = "Content-Type, Idempotency-Key"
CORS_EXPOSED_HEADERS = "Retry-After"
CORS_MAX_AGE_SECONDS = "600"


def preflight(request: Request, route_methods: Callable[[], Iterable[str]]) -> Response | None:
    """The answer to a CORS preflight (OPTIONS) of a storefront route, or
    None for any other request (and for a path that is no route: answered
    as any unknown path). `route_methods()`: the methods the path's routes
    take, which the answer names. Only the shop's own origin is told it
    may go on; others get no Access-Control-Allow-* header, so their
    browser stops there."""
    if request.method != "OPTIONS" or storefront_shop(request.path) is None:
        return None
    methods = sorted(set(route_methods()) - {"HEAD", "OPTIONS"})
    if not methods:
        return None
    response = Response(status=204, headers={"Allow": ", ".join([*methods, "OPTIONS"])})
    if allowed_origin(request) is not None:
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE_SECONDS
    return response


def add_headers(request: Request, response: Response) -> None:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    if DASHBOARD_PATHS.match(request.path):
        embedding_admin = embedding_shop(request)
        if embedding_admin is None:
            headers["Content-Security-Policy"] = f"{DASHBOARD_CSP}; frame-ancestors 'none'"
            headers["X-Frame-Options"] = "DENY"
        else:
            headers["Content-Security-Policy"] = (
                f"{EMBEDDED_DASHBOARD_CSP}; frame-ancestors https://{embedding_admin} {SHOPIFY_ADMIN}"
            )
    else:
        policy = DASHBOARD_CSP if DOCS_PATHS.match(request.path) else API_CSP
        headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        headers["X-Frame-Options"] = "DENY"
    if storefront_shop(request.path) is not None:
        headers.add("Vary", "Origin")
        origin = allowed_origin(request)
        if origin is not None:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS


def storefront_shop(path: str) -> str | None:
    """The shop domain a storefront path names, lower-cased."""
    if not path.startswith(STOREFRONT_PREFIX):
        return None
    shop = path[len(STOREFRONT_PREFIX) :].partition("/")[0].lower()
    return shop or None


def allowed_origin(request: Request) -> str | None:
    """The request's Origin when it is the storefront shop's own."""
    shop = storefront_shop(request.path)
    origin = request.headers.get("Origin")
    if shop is None or origin is None:
        return None
    return origin if origin.lower() == f"https://{shop}" else None


def embedding_shop(request: Request) -> str | None:
    """The shop whose Shopify admin embeds the dashboard (`?embedded=1&shop=
    x.myshopify.com`, as the admin loads an embedded app), or None."""
    shop = request.args.get("shop", "").lower()
    if request.args.get("embedded") == "1" and MYSHOPIFY_DOMAIN.match(shop):
        return shop
    return None
