"""What a route declares about itself, next to its `@json_http(METHOD,
URL, ...)`: who may call it, the pydantic models it reads its query
string, headers and body with, and what it answers. openapi.py builds
the OpenAPI document from these declarations and the route table, so
the document cannot drift from the routes. For example:

    @json_http("POST", "/api/rewards", admin(body=NewReward, returns=dict, status=201))
"""

from dataclasses import dataclass
from typing import Any, Literal

# Who calls a route, which decides how it authenticates and the errors it
# may answer besides its own (openapi.AUDIENCE_ERRORS).
Audience = Literal["admin", "session", "storefront", "proxy", "webhook", "public"]


@dataclass(frozen=True)
class ApiDoc:
    audience: Audience
    # The success body's type (a pydantic model, a TypedDict, list[...],
    # dict[str, Any] for "a JSON object"), None for no JSON body.
    returns: Any = None
    status: int = 200
    # Media types of the success body when it is not JSON.
    media_types: tuple[str, ...] = ("application/json",)
    # Models of the JSON body, the query string and the headers read.
    body: Any = None
    body_optional: bool = False
    # The media type of a body that is a file, not JSON (read as a stream).
    upload: str | None = None
    query: Any = None
    headers: Any = None
    # Statuses the route itself answers besides its audience's, its
    # input's (400/413/422) and its path's (404).
    errors: tuple[int, ...] = ()
    summary: str = ""


def admin(returns: Any = None, **declared: Any) -> ApiDoc:
    """An /api route: an admin API key, a Shopify session token or the
    dashboard's session cookie (auth.authenticate_admin)."""
    return ApiDoc("admin", returns, **declared)


def storefront(returns: Any = None, **declared: Any) -> ApiDoc:
    """A /storefront/{shop} route: no credential, rate limited."""
    return ApiDoc("storefront", returns, **declared)


def proxy(returns: Any = None, **declared: Any) -> ApiDoc:
    """A /proxy route: signed by Shopify's app proxy, rate limited."""
    return ApiDoc("proxy", returns, **declared)


def public(returns: Any = None, **declared: Any) -> ApiDoc:
    """Anyone: health, metrics, the dashboard's and the docs' files."""
    return ApiDoc("public", returns, **declared)
