"""The OpenAPI 3.1 document of the gateway (`GET /openapi.json`), built
from the routes themselves: the route table nameko serves (every
`@json_http` entrypoint of the service class), and what each route
declares next to it (api_doc.py): its audience, and the pydantic models
it validates its query string, headers and body with and answers with.
pydantic writes the JSON Schemas; nothing here is a hand-kept copy."""

import inspect
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter
from werkzeug.routing.rules import parse_converter_args

from services.gateway.api_doc import ApiDoc
from services.gateway.auth import CSRF_HEADER, SESSION_COOKIE
from services.gateway.web import JsonHttpRequestHandler
from shared.errors import ErrorBody
from shared.pagination import CursorQuery

REF_TEMPLATE = "#/components/schemas/{model}"
RULE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")

ADMIN_SECURITY: list[dict[str, list[str]]] = [{"adminKey": []}, {"dashboardSession": []}]
SECURITY_SCHEMES = {
    "adminKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An admin API key (`loyalty shops create`) or, embedded in the Shopify "
        "admin, a Shopify session token.",
    },
    "dashboardSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The dashboard's session (`POST /api/session`); every write must also "
        f"send the session's CSRF token in `{CSRF_HEADER}`.",
    },
}

# The errors a route may answer because of who calls it.
AUDIENCE_ERRORS = {
    "admin": (401, 403, 503),
    "storefront": (404, 429, 503),
    "proxy": (401, 429, 503),
    "webhook": (401, 503),
    "public": (),
}
# Answered with a header the client needs.
ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds until a request is let in", "schema": {"type": "string"}}},
}


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # werkzeug's URL rule, as declared
    name: str  # the route's function: the operation's id
    doc: ApiDoc
    description: str


def routes(service_cls: type) -> list[Route]:
    """Every HTTP route of the service class, as nameko will serve it."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, JsonHttpRequestHandler):
                description = inspect.getdoc(member) or ""
                doc = vars(member)["api_doc"]  # set by web.json_http
                found.append(Route(entrypoint.method, entrypoint.url, name, doc, description))
    return sorted(found, key=lambda route: (route.rule, route.method))


def openapi_path(rule: str) -> str:
    """`/api/customers/<customer_id>` -> `/api/customers/{customer_id}`."""
    return RULE_PARAMETER.sub(lambda match: "{" + match["name"] + "}", rule)


def document(service_cls: type) -> dict[str, Any]:
    """The document, built once per process (the routes do not change)."""
    if service_cls not in _BUILT:
        _BUILT[service_cls] = _build(service_cls)
    return _BUILT[service_cls]


_BUILT: dict[type, dict[str, Any]] = {}


def _build(service_cls: type) -> dict[str, Any]:
    table = routes(service_cls)
    schemas, definitions = _schemas(table)
    paths: dict[str, dict[str, Any]] = {}
    for route in table:
        operation = _operation(route, schemas)
        paths.setdefault(openapi_path(route.rule), {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty gateway",
            "version": "1",
            "description": "The loyalty app's HTTP API: the admin API, Shopify webhooks, the "
            "storefront and app-proxy calls, and operations. Every error is "
            '`{"error": {"code", "message", "details"}}` (docs/api.md).',
        },
        "paths": paths,
        "components": {"schemas": definitions, "securitySchemes": SECURITY_SCHEMES},
    }


def _schemas(table: list[Route]) -> tuple[dict[Any, Any], dict[str, Any]]:
    """The JSON Schema of every body and answer, from one pass of pydantic,
    so that a model used by several routes is defined once."""
    inputs: list[Any] = [("error", "serialization", TypeAdapter(ErrorBody))]
    for route in table:
        if route.doc.body is not None:
            inputs.append(((route.name, "body"), "validation", TypeAdapter(route.doc.body)))
        if route.doc.returns is not None:
            inputs.append(((route.name, "returns"), "serialization", TypeAdapter(route.doc.returns)))
    by_key, defined = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
    schemas = {key: schema for (key, _mode), schema in by_key.items()}
    return schemas, defined.get("$defs", {})


def _operation(route: Route, schemas: dict[Any, Any]) -> dict[str, Any]:
    doc = route.doc
    summary, _, description = route.description.partition("\n\n")
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": doc.summary or summary.replace("\n", " ") or route.name.replace("_", " ").capitalize(),
        "tags": [doc.audience],
        "parameters": _parameters(route),
        "responses": _responses(route, schemas),
    }
    if description:
        operation["description"] = description
    if doc.body is not None:
        operation["requestBody"] = {
            "required": not doc.body_optional,
            "content": {"application/json": {"schema": schemas[(route.name, "body")]}},
        }
    if doc.upload is not None:
        operation["requestBody"] = {"required": True, "content": {doc.upload: {"schema": {"type": "string"}}}}
    if doc.audience == "admin":
        operation["security"] = ADMIN_SECURITY
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    parameters = []
    for match in RULE_PARAMETER.finditer(route.rule):
        schema: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        if match["converter"] == "any":
            choices, _ = parse_converter_args(match["args"])
            schema = {"type": "string", "enum": list(choices)}
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    for where, model in (("query", route.doc.query), ("header", route.doc.headers)):
        if model is not None:
            parameters += _model_parameters(model, where)
    return parameters


def _model_parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
    """One parameter per field of a query (or header) model, by its alias.
    An optional query parameter sent empty counts as not given
    (web.query_params)."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        parameter = {"name": name, "in": where, "required": name in required, "schema": _not_null(field)}
        if where == "query" and name not in required:
            parameter["allowEmptyValue"] = True
        parameters.append(parameter)
    return parameters


def _not_null(field: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema without its `null`: a parameter left out
    is None, one sent is never JSON null."""
    choices = [choice for choice in field.get("anyOf", ()) if choice != {"type": "null"}]
    if len(choices) != 1:
        return field
    rest = {key: value for key, value in field.items() if key not in ("anyOf", "default")}
    return {**rest, **choices[0]}


def _responses(route: Route, schemas: dict[Any, Any]) -> dict[str, Any]:
    doc = route.doc
    success: dict[str, Any] = {"description": HTTPStatus(doc.status).phrase}
    if doc.returns is not None:
        success["content"] = {"application/json": {"schema": schemas[(route.name, "returns")]}}
    elif doc.media_types != ("application/json",):
        success["content"] = {media: {"schema": {"type": "string"}} for media in doc.media_types}
    responses = {str(doc.status): success}
    for status in sorted(_error_statuses(route)):
        answer: dict[str, Any] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": schemas["error"]}},
        }
        if status in ERROR_HEADERS:
            answer["headers"] = ERROR_HEADERS[status]
        responses[str(status)] = answer
    return responses


def _error_statuses(route: Route) -> set[int]:
    doc = route.doc
    statuses = set(AUDIENCE_ERRORS[doc.audience]) | set(doc.errors)
    if doc.body is not None or doc.upload is not None:
        statuses |= {400, 413, 422}  # not JSON (or cut off), too long, not valid
    if doc.query is not None:
        statuses.add(422)
        if isinstance(doc.query, type) and issubclass(doc.query, CursorQuery):
            statuses.add(400)  # a cursor that is not one of ours
    if doc.headers is not None:
        statuses.add(422)
    if RULE_PARAMETER.search(route.rule):
        statuses.add(404)
        if doc.audience != "public":
            statuses.add(422)  # an id that can be none (blank, too long), as the service checks it
    return statuses
