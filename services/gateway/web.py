"""The gateway's one HTTP layer: JSON in, JSON out, and every failure —
ours, a remote service's, or the router's (unknown path, wrong method) —
answered as `{"error": {"code", "message", "details"}}` with its status.
`error_response` is the only place an exception becomes a response. Also
what routes read from a request: bodies, query strings, headers, path parts."""

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

from services.gateway.domain import WebhookDelivery
from services.gateway.schemas import IdempotencyHeader
from shared import metrics
from shared.errors import (
    BadRequest,
    LoyaltyError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
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

# Raised by routes for a client's mistake (or an unavailable service): logged
# by nameko as warnings, not as errors of ours.
EXPECTED = (LoyaltyError, ValidationError, HTTPException, *UNAVAILABLE)


def json_response(body, status: int = 200, headers=None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(exc: BaseException, request: Request | None = None, logged: bool = False) -> Response:
    """The response for any exception. `logged`: nameko already logged it."""
    if isinstance(exc, Unauthorized):
        return json_response(exc.to_body(), exc.status, {"WWW-Authenticate": 'Bearer realm="loyalty"'})
    if isinstance(exc, LoyaltyError):
        return json_response(exc.to_body(), exc.status)
    if isinstance(exc, ValidationError):
        return json_response(
            error_body("unprocessable", "request is not valid", validation_details(exc)), 422
        )
    if isinstance(exc, UNAVAILABLE):
        if not logged:
            log.warning("a service behind the gateway failed: %r", exc)
        return json_response(
            error_body("service_unavailable", "a service is unavailable right now; try again shortly"), 503
        )
    if isinstance(exc, RouteNotFound):
        where = f"{request.method} {request.path}" if request is not None else "this path"
        return json_response(error_body("not_found", f"no such route: {where}"), 404)
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        return json_response(
            error_body("method_not_allowed", "method not allowed here", {"allowed": allowed}),
            405,
            {"Allow": ", ".join(allowed)},
        )
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(body_too_large())
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 400:
        return exc.get_response()  # the router's redirects (e.g. merged slashes)
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
        return json_response(error_body("bad_request", exc.description or "bad request"), exc.code)
    if not logged:
        log.error("unexpected error answered with 500", exc_info=exc)
    return json_response(error_body("internal_error", "internal error; it has been logged"), 500)


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
    return parse_query(model, json_body(request))


def optional_body(request: Request, model):
    """A body the client may leave out altogether (then every field takes
    its default)."""
    return parse_body(request, model) if raw_body(request).strip() else model()


def query_params(request: Request) -> dict:
    """The query string, first value per name; an empty value counts as not
    given (forms and the dashboard send `status=` for "all")."""
    return {name: value for name, value in request.args.items() if value != ""}


def idempotency_key(request: Request) -> str | None:
    sent = request.headers.get("Idempotency-Key")
    return None if sent is None else parse_query(IdempotencyHeader, {"Idempotency-Key": sent}).key


def activity_id_from_path(value: str) -> int:
    # Ledger ids are numbers: anything else names no activity.
    if not value.isdigit():
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


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
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
        started, route = time.monotonic(), "unmatched"
        with bound(correlation_id=correlation_id):
            try:
                rule, values = self.url_map.bind_to_environ(environ).match(return_rule=True)
                route = rule.rule
                request.path_values = values
                response = rule.endpoint.handle_request(request)
            except Exception as exc:
                response = error_response(exc, request)
        response.headers["X-Request-Id"] = correlation_id
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(time.monotonic() - started)
        return response(environ, start_response)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def context_data_from_headers(self, request):
        # Becomes the worker's context: it reaches the logs (shared.telemetry)
        # and travels on with every RPC the route makes.
        return {"correlation_id": request.environ.get(CORRELATION_ID_KEY)}

    def process_request(self, sock, address):
        # The WSGI server writes a response's headers and body separately;
        # with Nagle's algorithm on, the body then waits for the client's
        # delayed ACK (40 ms on a kept-alive connection). Measured by the
        # points benchmark: a 50-row feed page went from 56 ms to 13 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)


class JsonHttpRequestHandler(HttpRequestHandler):
    """nameko's @http with JSON results and JSON errors. A route returns a
    dict/list (200), `(status, body)`, or a werkzeug Response as is."""

    server = JsonWebServer()

    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(method, url, **kwargs)

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
            return self.response_from_result(result)
        except Exception as exc:
            return error_response(exc, request)

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(body, status)


json_http = JsonHttpRequestHandler.decorator
