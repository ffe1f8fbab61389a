"""The API reference at /docs in a real headless Chromium, under the
gateway's own Content-Security-Policy: it renders every operation of
/openapi.json with nothing loaded from anywhere but the gateway."""

import os

import pytest

from tests.e2e.dashboard import CHROMIUM

# Playwright's driver and eventlet's hub don't share a process: `make test`
# runs these in a pytest process of their own, unpatched (`-m browser`).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]


def test_the_reference_renders_from_the_gateway_alone(browser, deployed_system):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    requested: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{deployed_system.base_url}/docs")
    page.locator(".opblock-summary-path", has_text="/api/customers/{customer_id}/redemptions").first.wait_for(
        timeout=20_000
    )
    operations = page.locator(".opblock").count()
    # Opened: its parameters, its body's and its answers' examples.
    page.locator(".opblock-summary-path", has_text="/api/customers/{customer_id}/redemptions").first.click()
    page.locator(".responses-table").first.wait_for()
    page.locator(".highlight-code").first.wait_for()
    context.close()

    assert errors == []  # a CSP refusal would be one
    assert operations >= 40
    assert requested
    assert all(url.startswith(deployed_system.base_url) or url.startswith("data:") for url in requested), (
        requested
    )
