"""What browsers are allowed to do with our responses: the storefront
routes answer the shop's own pages and no other origin (CORS); the
dashboard runs under a strict Content-Security-Policy and cannot be framed
except by the shop's Shopify admin; nothing is sniffed or leaks a Referer."""

import pytest


def preflight(shop, origin: str, path: str = "/referral-links"):
    return shop.system.http.options(
        shop.system.url(f"/storefront/{shop.domain}{path}"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )


def test_the_shops_own_pages_may_call_its_storefront_routes(shop):
    origin = f"https://{shop.domain}"

    answered = preflight(shop, origin)
    called = shop.storefront("GET", "/discount-codes/NOPE", headers={"Origin": origin})

    assert answered.status_code == 204
    assert answered.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in answered.headers["Access-Control-Allow-Methods"]
    assert "content-type" in answered.headers["Access-Control-Allow-Headers"].lower()
    assert called.status_code == 200
    assert called.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in called.headers["Vary"]
    # The widget can read how long to wait after a 429.
    assert "Retry-After" in called.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(("path", "methods"), [("/referral-links", "POST"), ("/discount-codes/NOPE", "GET")])
def test_a_preflight_names_the_methods_of_its_route(shop, path, methods):
    answered = preflight(shop, f"https://{shop.domain}", path)

    assert answered.headers["Allow"] == f"{methods}, OPTIONS"
    assert answered.headers["Access-Control-Allow-Methods"] == methods


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://{domain}", "https://{domain}.evil.example", "null"]
)
def test_other_origins_are_not_allowed(shop, other_shop, origin):
    origin = origin.format(domain=shop.domain)

    answered = preflight(shop, origin)
    called = shop.storefront("GET", "/discount-codes/NOPE", headers={"Origin": origin})
    another_shops = preflight(shop, f"https://{other_shop.domain}")

    for response in (answered, called, another_shops):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Methods" not in response.headers


def test_the_admin_api_is_never_opened_to_other_origins(shop):
    response = shop.api("GET", "/api/customers", headers={"Origin": f"https://{shop.domain}"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def test_the_dashboard_runs_under_a_strict_policy_and_cannot_be_framed(system):
    response = system.http.get(system.url("/"), timeout=10)

    assert response.status_code == 200
    policy = csp_directives(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_embedded_in_the_shopify_admin_only_that_shops_admin_may_frame_it(system):
    embedded = system.http.get(system.url("/?embedded=1&shop=my-shop.myshopify.com&host=abc"), timeout=10)
    not_shopify = system.http.get(system.url("/?embedded=1&shop=evil.example"), timeout=10)

    assert csp_directives(embedded)["frame-ancestors"] == (
        "https://my-shop.myshopify.com https://admin.shopify.com"
    )
    assert csp_directives(embedded)["script-src"] == "'self' https://cdn.shopify.com"  # App Bridge
    assert "X-Frame-Options" not in embedded.headers
    assert csp_directives(not_shopify)["frame-ancestors"] == "'none'"
    assert not_shopify.headers["X-Frame-Options"] == "DENY"


def test_api_answers_are_not_sniffed_framed_or_referred(shop):
    for response in (
        shop.api("GET", "/api/customers"),
        shop.storefront("GET", "/discount-codes/NOPE"),
        shop.system.http.get(shop.system.url("/no/such/route"), timeout=10),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert csp_directives(response)["default-src"] == "'none'"
