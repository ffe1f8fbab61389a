"""The gateway's one HTTP layer: JSON in, JSON out, and every failure —
ours, a remote service's, the router's (unknown path, wrong method) or the
HTTP server's (a header line too long) — answered as
`{"error": {"code", "message", "details"}}` with its status.
`error_response` is the only place an exception becomes a response, and
each request is logged here, once: a refused one is one INFO line naming
why, never a traceback. Also what routes read from a request: bodies,
query strings, headers, path parts."""

import functools
import json
import logging
import socket
import time
from functools import partial
from typing import Any

from eventlet.event import Event
from kombu.exceptions import OperationalError as BrokerUnavailable
from nameko.exceptions import ContainerBeingKilled, RemoteError, RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.wrappers import Request, Response

from services.gateway import browser_policy
from services.gateway.api_doc import ApiDoc
from services.gateway.http_protocol import JsonHttpProtocol
from services.gateway.no_nul import NUL, nul_fields, refuse_nul
from services.gateway.schemas import IdempotencyHeader
from services.gateway.shopify_webhooks import WebhookDelivery
from shared import metrics
from shared.errors import (
    BadRequest,
    LoyaltyError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    error_body,
    validation_details,
)
from shared.logs import bound, correlation_id_from
from shared.pagination import parse_query

log = logging.getLogger(__name__)

# Where a request's correlation id waits in the WSGI environ for its worker.
CORRELATION_ID_KEY = "loyalty.correlation_id"

MAX_BODY_BYTES = 1024 * 1024

# Failures of the services, the broker or the database behind the gateway:
# the client can only retry later, and must not see their internals.
UNAVAILABLE = (
    RemoteError,
    UnknownService,
    RpcTimeout,
    ContainerBeingKilled,
    BrokerUnavailable,
    DatabaseUnavailable,
    ConnectionError,
)

# Raised by routes for a client's mistake (or an unavailable service):
# answered, and logged as one line, never as an error of ours.
EXPECTED = (LoyaltyError, ValidationError, HTTPException, *UNAVAILABLE)

# Ledger ids are PostgreSQL BIGINTs: a larger number names no activity.
MAX_ACTIVITY_ID = 2**63 - 1


def json_response(body, status: int = 200, headers=None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


class ErrorResponse(Response):
    """A JSON error, knowing its code for the request's log line."""

    def __init__(self, code: str, message: str, status: int, details=None, headers=None):
        super().__init__(
            json.dumps(error_body(code, message, details)),
            status=status,
            headers=headers,
            mimetype="application/json",
        )
        self.error_code = code


def error_response(exc: BaseException, request: Request | None = None, logged: bool = False) -> Response:
    """The response for any exception. `logged`: nameko already logged it."""
    if isinstance(exc, Unauthorized):
        return ErrorResponse(
            exc.code, exc.message, exc.status, exc.details, {"WWW-Authenticate": 'Bearer realm="loyalty"'}
        )
    if isinstance(exc, TooManyRequests):
        retry_after = (
            (exc.details or {}).get("retry_after_seconds") if isinstance(exc.details, dict) else None
        )
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return ErrorResponse(exc.code, exc.message, exc.status, exc.details, headers)
    if isinstance(exc, LoyaltyError):
        return ErrorResponse(exc.code, exc.message, exc.status, exc.details)
    if isinstance(exc, ValidationError):
        return ErrorResponse("unprocessable", "request is not valid", 422, validation_details(exc))
    if isinstance(exc, UNAVAILABLE):
        if not logged:
            log.warning("a service behind the gateway failed: %r", exc)
        return ErrorResponse(
            "service_unavailable", "a service is unavailable right now; try again shortly", 503
        )
    if isinstance(exc, RouteNotFound):
        where = f"{request.method} {request.path}" if request is not None else "this path"
        return ErrorResponse("not_found", f"no such route: {where}", 404)
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        return ErrorResponse(
            "method_not_allowed",
            "method not allowed here",
            405,
            {"allowed": allowed},
            {"Allow": ", ".join(allowed)},
        )
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(body_too_large())
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 400:
        return exc.get_response()  # the router's redirects (e.g. merged slashes)
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
        return ErrorResponse("bad_request", exc.description or "bad request", exc.code)
    if not logged:
        log.error("unexpected error answered with 500", exc_info=exc)
    return ErrorResponse("internal_error", "internal error; it has been logged", 500)


def body_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")


def raw_body(request: Request) -> bytes:
    """The body as sent; 413 if longer than MAX_BODY_BYTES."""
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY_BYTES:
        raise body_too_large()
    return data


def json_body(request: Request):
    """The request body parsed as JSON: 413 past MAX_BODY_BYTES, 400 if it
    is not JSON."""
    return json_document(raw_body(request))


def json_document(raw: bytes):
    """A body already read, parsed as JSON; 400 if it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None


def parse_body(request: Request, model):
    document = json_body(request)
    refuse_nul(nul_fields(document))
    return parse_query(model, document)


def optional_body(request: Request, model):
    """A body the client may leave out altogether (then every field takes
    its default)."""
    return parse_body(request, model) if raw_body(request).strip() else model()


def query_params(request: Request) -> dict:
    """The query string; an empty value counts as not given (forms and the
    dashboard send `status=` for "all"); a name given twice is a 422."""
    repeated = [name for name, values in request.args.lists() if len(values) > 1]
    if repeated:
        raise Unprocessable(
            "request is not valid", [{"field": name, "message": "given more than once"} for name in repeated]
        )
    params = {name: value for name, value in request.args.items() if value != ""}
    refuse_nul(nul_fields(params))
    return params


def idempotency_key(request: Request) -> str | None:
    sent = request.headers.get("Idempotency-Key")
    return None if sent is None else parse_query(IdempotencyHeader, {"Idempotency-Key": sent}).key


def activity_id_from_path(value: str) -> int:
    # Ledger ids are positive 64-bit numbers: anything else names no activity.
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ACTIVITY_ID:
        raise NotFound("no such activity", {"activity_id": value})
    return int(value)


def webhook_delivery(request: Request) -> WebhookDelivery:
    """A Shopify webhook's body and headers, read but not yet checked."""
    return WebhookDelivery(
        body=raw_body(request),
        shop_domain=request.headers.get("X-Shopify-Shop-Domain"),
        topic=request.headers.get("X-Shopify-Topic"),
        webhook_id=request.headers.get("X-Shopify-Webhook-Id"),
        signature=request.headers.get("X-Shopify-Hmac-Sha256"),
    )


class RoutedRequest(Request):
    """A request with the values its route matched in its path, where
    nameko's HTTP entrypoints read them."""

    path_values: dict[str, Any]


def log_request(request: Request, response: Response, started: float) -> None:
    """The request's one log line (the query string, which may carry a
    customer's token, is left out): INFO, with the error's code when it was
    refused; WARNING when we failed."""
    status = response.status_code
    error_code = getattr(response, "error_code", "")
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(
        level,
        "%s %r %d %s%.1fms",
        request.method,
        request.path,
        status,
        f"{error_code} " if error_code else "",
        (time.monotonic() - started) * 1000,
    )


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        started = time.monotonic()
        # eventlet's input stream ends where the body ends, chunked or not:
        # saying so lets Werkzeug read chunked bodies too (up to the limit)
        # instead of treating them as empty.
        environ.setdefault("wsgi.input_terminated", True)
        request = RoutedRequest(environ, shallow=True)
        # Werkzeug stops reading a body without Content-Length at this limit
        # (silently); one byte over ours lets raw_body see it was too long.
        request.max_content_length = MAX_BODY_BYTES + 1
        # The id that ties this request to everything it causes in every
        # service's log; the client gets it back (X-Request-Id).
        correlation_id = correlation_id_from(
            request.headers.get("X-Request-Id"), request.headers.get("X-Shopify-Webhook-Id")
        )
        environ[CORRELATION_ID_KEY] = correlation_id
        with bound(correlation_id=correlation_id):
            preflight = browser_policy.preflight(
                request, lambda: self.url_map.bind_to_environ(environ).allowed_methods()
            )
            response, route = (preflight, "preflight") if preflight else self.route(environ, request)
            browser_policy.add_headers(request, response)
            response.headers["X-Request-Id"] = correlation_id
            log_request(request, response, started)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(time.monotonic() - started)
        return response(environ, start_response)

    def route(self, environ, request: RoutedRequest) -> tuple[Response, str]:
        """The route's response, and the route (its URL rule) for metrics."""
        try:
            rule, values = self.url_map.bind_to_environ(environ).match(return_rule=True)
        except Exception as exc:
            return error_response(exc, request), "unmatched"
        if any(NUL in str(value) for value in values.values()):
            # Names nothing we keep (no_nul.py): answered here, never asked for.
            return error_response(NotFound("no such resource", {"path": request.path}), request), rule.rule
        request.path_values = values
        try:
            return rule.endpoint.handle_request(request), rule.rule
        except Exception as exc:
            return error_response(exc, request), rule.rule


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def context_data_from_headers(self, request):
        # Becomes the worker's context: it reaches the logs (shared.telemetry)
        # and travels on with every RPC the route makes.
        return {"correlation_id": request.environ.get(CORRELATION_ID_KEY)}

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonHttpProtocol, debug=False):
        # JsonWsgiApp logs each request itself (eventlet's access line would
        # repeat it, query string and customer tokens included).
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.log_output = False
        return server

    def process_request(self, sock, address):
        # The WSGI server writes a response's headers and body separately;
        # with Nagle's algorithm on, the body then waits for the client's
        # delayed ACK (40 ms on a kept-alive connection). Measured by the
        # points benchmark: a 50-row feed page went from 56 ms to 13 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)


class Refusal:
    """What a route that refused its request returns to the HTTP layer: the
    exception, answered there, and not a failed worker (nameko would log
    each one with its traceback: anyone could flood the logs)."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class JsonHttpRequestHandler(HttpRequestHandler):
    """nameko's @http with JSON results and JSON errors. A route returns a
    dict/list (200), `(status, body)`, or a werkzeug Response as is."""

    server = JsonWebServer()

    def handle_request(self, request):
        request.shallow = False
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(
                self,
                args,
                kwargs,
                context_data=self.server.context_data_from_headers(request),
                handle_result=partial(self.handle_result, done),
            )
        except Exception as exc:
            return error_response(exc, request)
        try:
            result = done.wait()
        except Exception as exc:
            # Raised in the worker: nameko has logged it with its traceback.
            return error_response(exc, request, logged=True)
        try:
            return self.response_from_result(result, request)
        except Exception as exc:
            return error_response(exc, request)

    def response_from_result(self, result, request):
        if isinstance(result, Refusal):
            return error_response(result.exc, request)
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(body, status)


def json_http(method: str, url: str, doc: ApiDoc, **kwargs):
    """Declare a route: `@json_http("GET", "/path/<part>", admin(...))`,
    with what the OpenAPI document says of it (api_doc.py). A client's
    mistake the route raises (EXPECTED) is answered as a Refusal."""

    def declare(route):
        @functools.wraps(route)
        def answered(self, request, **path):
            try:
                return route(self, request, **path)
            except EXPECTED as exc:
                return Refusal(exc)

        answered.api_doc = doc  # type: ignore[attr-defined]
        return JsonHttpRequestHandler.decorator(method, url, **kwargs)(answered)

    return declare
