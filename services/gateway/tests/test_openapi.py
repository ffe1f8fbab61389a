"""The OpenAPI document describes every route the gateway serves, as
nameko builds its route table, with the models the routes validate with."""

import pytest
from nameko.containers import ServiceContainer
from nameko.web.handlers import HttpRequestHandler

from services.gateway import openapi
from services.gateway.schemas import ReviewRequest
from services.gateway.service import GatewayService

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)


def served_routes() -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every rule nameko will serve."""
    container = ServiceContainer(GatewayService, {"AMQP_URI": "memory://"})
    assert all(isinstance(entrypoint, HttpRequestHandler) for entrypoint in container.entrypoints)
    rules = [entrypoint.get_url_rule() for entrypoint in container.entrypoints]
    return {
        (method, openapi.openapi_path(rule.rule))
        for rule in rules
        for method in rule.methods or ()
        if method != "HEAD"  # werkzeug adds it to every GET
    }


def documented_routes(document) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_every_route_served_is_documented_and_nothing_else():
    document = openapi.document(GatewayService)

    assert document["openapi"].startswith("3.1")
    assert documented_routes(document) == served_routes()


def test_paths_name_their_parameters_as_openapi_does():
    document = openapi.document(GatewayService)

    moderate = document["paths"]["/api/reviews/{review_id}/{decision}"]["post"]
    parameters = {parameter["name"]: parameter for parameter in moderate["parameters"]}
    assert parameters["review_id"]["in"] == "path"
    assert parameters["decision"]["schema"]["enum"] == ["approve", "reject"]


def test_admin_routes_take_the_bearer_key_and_answer_json_errors():
    document = openapi.document(GatewayService)
    scheme = document["components"]["securitySchemes"]["adminKey"]

    customers = document["paths"]["/api/customers"]["get"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert {"adminKey": []} in customers["security"]
    unauthorized = customers["responses"]["401"]["content"]["application/json"]["schema"]
    assert unauthorized == {"$ref": "#/components/schemas/ErrorBody"}
    error = document["components"]["schemas"]["ErrorInfo"]
    assert set(error["required"]) == {"code", "message", "details"}


def test_bodies_and_query_strings_come_from_the_route_models():
    document = openapi.document(GatewayService)
    schemas = document["components"]["schemas"]

    review = document["paths"]["/storefront/{shop}/reviews"]["post"]
    feed = document["paths"]["/api/activities/points"]["get"]
    body = review["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReviewRequest"}
    assert set(schemas["ReviewRequest"]["required"]) == {
        name for name, field in ReviewRequest.model_fields.items() if field.is_required()
    }
    query = {parameter["name"]: parameter["schema"] for parameter in feed["parameters"]}
    assert {"from", "to", "cursor", "limit", "type", "q"} <= set(query)
    assert query["limit"]["maximum"] == 200


def test_rate_limited_routes_say_so():
    document = openapi.document(GatewayService)

    for path, item in document["paths"].items():
        for operation in item.values():
            limited = path.startswith(("/storefront/", "/proxy/"))
            assert ("429" in operation["responses"]) == limited, path
