"""Signing in to the dashboard in a real headless Chromium, against the
system running as separate processes: standalone, a key typed once into
the form becomes an HttpOnly cookie session whose writes carry a CSRF token;
embedded in the Shopify admin, App Bridge's session token signs the staff
member in. No secret is ever kept by the page or put in a URL."""

import base64
import os

import pytest
import requests

from services.gateway.access import create_key_cli, revoke_key_cli
from tests.e2e.dashboard import CHROMIUM, shop_with_a_program
from tests.support import shopify_session_token, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

SESSION_COOKIE = "loyalty_session"
SESSION_ENDED = "Your session ended. Sign in again to continue."


@pytest.fixture
def member(deployed_system):
    """shop_with_a_program, and Ana (customer 7001) with 300 points."""
    shop = shop_with_a_program(deployed_system)
    shop.customer_created("7001", "ana@example.com", first_name="Ana", last_name="Diaz")
    shop.order(9701, "7001", "ana@example.com", "300.00")
    assert wait_for(
        lambda: shop.api("GET", "/api/customers/7001").json().get("customer", {}).get("balance") == 300
    )
    return shop


def session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == SESSION_COOKIE), None)


def session_read_with(system, cookie_value: str) -> requests.Response:
    """GET /api/session as another client holding the same cookie would."""
    return requests.get(system.url("/api/session"), cookies={SESSION_COOKIE: cookie_value}, timeout=15)


def stored_by_the_page(page) -> str:
    """Everything the page keeps in Web Storage, and its address."""
    return page.evaluate(
        "() => JSON.stringify([{...sessionStorage}, {...localStorage}, document.cookie, location.href])"
    )


def adjust_points(dashboard, points: int, reason: str):
    """Adjust the open customer's points in the dialog; the request sent."""
    page = dashboard.page
    page.get_by_role("button", name="Adjust points").click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Points").fill(str(points))
    dialog.get_by_label("Reason").fill(reason)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/points-adjustments")) as sent:
        dialog.get_by_role("button", name="Adjust points").click()
    dashboard.toast("Points adjusted")
    dialog.wait_for(state="detached")
    return sent.value


def open_user_menu(page, who: str, shop) -> None:
    """The top bar's account menu names who is signed in, and for which shop."""
    menu = page.get_by_role("button", name=who)
    assert shop.domain in menu.inner_text()
    menu.click()


def test_a_key_typed_once_becomes_an_httponly_cookie_session_whose_writes_carry_a_csrf_token(
    deployed_system, member, dashboard
):
    shop, page = member, dashboard.page
    page.goto(f"{deployed_system.base_url}/")
    key_field = page.get_by_label("Admin API key")
    key_field.fill("lk_not-a-real-key")
    key_field.press("Enter")
    page.get_by_text("This API key was not accepted").wait_for()
    assert session_cookie(page) is None

    # Keyboard only: the field has focus, Enter signs in; the error is gone.
    key_field.fill("")
    page.keyboard.type(shop.admin_key)
    page.keyboard.press("Enter")
    dashboard.heading("Customers' activities")
    assert page.get_by_text("This API key was not accepted").count() == 0
    cookie = session_cookie(page)
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    assert shop.admin_key not in stored_by_the_page(page)
    assert cookie["value"] not in stored_by_the_page(page)
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0

    # Who is signed in: the key's holder, in the top bar's account menu.
    open_user_menu(page, "Admin (admin)", shop)
    page.get_by_text("Sign out", exact=True).wait_for()
    page.keyboard.press("Escape")

    # A write: sent with the cookie and the session's CSRF token, no key.
    dashboard.open("/customers/7001")
    dashboard.heading("Ana Diaz")
    sent = adjust_points(dashboard, 30, "Late delivery")
    headers = sent.all_headers()
    expected_csrf = session_read_with(deployed_system, cookie["value"]).json()["csrf_token"]
    assert headers["x-csrf-token"] == expected_csrf
    assert "authorization" not in headers
    assert f"{SESSION_COOKIE}={cookie['value']}" in headers["cookie"]
    adjusted = shop.api("GET", "/api/customers/7001/activities").json()["items"]
    assert [(a["points"], a["ref"]["actor"]) for a in adjusted if a["ref"].get("type") == "adjusted"] == [
        (30, f"api_key:admin@{shop.id}")
    ]

    # Opened again, the page is still signed in: while it asks the gateway,
    # it shows the page's shape, never the sign-in form.
    held = []
    page.route("**/api/session", lambda route: held.append(route))
    page.reload()
    page.get_by_role("status", name="Page loading").wait_for()
    assert wait_for(lambda: held or page.evaluate("false"))  # the answer is held back
    assert page.get_by_label("Admin API key").count() == 0
    held[0].continue_()
    page.unroute("**/api/session")
    dashboard.heading("Ana Diaz")
    assert shop.admin_key not in stored_by_the_page(page)


def test_signing_out_shows_the_form_and_the_old_cookie_is_refused(deployed_system, dashboard):
    shop, page = deployed_system.create_shop(), dashboard.page
    dashboard.sign_in(shop)
    cookie = session_cookie(page)
    assert session_read_with(deployed_system, cookie["value"]).status_code == 200

    open_user_menu(page, "Admin (admin)", shop)
    page.get_by_text("Sign out", exact=True).click()
    page.get_by_label("Admin API key").wait_for()
    page.get_by_text("You signed out.").wait_for()
    assert session_cookie(page) is None
    assert session_read_with(deployed_system, cookie["value"]).status_code == 401

    page.reload()
    page.get_by_label("Admin API key").wait_for()
    assert page.get_by_text("You signed out.").count() == 0


def test_a_key_in_the_url_is_not_used_and_leaves_the_address_bar(deployed_system, dashboard):
    shop, page = deployed_system.create_shop(), dashboard.page
    page.goto(f"{deployed_system.base_url}/#key={shop.admin_key}")
    page.get_by_label("Admin API key").wait_for()
    assert shop.admin_key not in page.url
    assert session_cookie(page) is None
    assert shop.admin_key not in stored_by_the_page(page)
    page.go_back()
    assert shop.admin_key not in page.url


def test_a_revoked_key_or_a_session_ended_elsewhere_sends_the_page_back_to_the_form(
    deployed_system, dashboard
):
    shop, page = deployed_system.create_shop(), dashboard.page
    robin = create_key_cli(shop.domain, "Robin", database_url=deployed_system.gateway_database_url)
    page.goto(f"{deployed_system.base_url}/")
    page.get_by_label("Admin API key").fill(robin["key"])
    page.get_by_role("button", name="Sign in").click()
    dashboard.heading("Customers' activities")
    open_user_menu(page, "Admin (Robin)", shop)
    page.keyboard.press("Escape")

    # The operator revokes Robin's key: the page's next request is refused.
    revoke_key_cli(robin["id"], database_url=deployed_system.gateway_database_url)
    page.get_by_role("link", name="Rewards").click()
    page.get_by_text(SESSION_ENDED).wait_for()
    page.get_by_label("Admin API key").wait_for()
    assert session_read_with(deployed_system, session_cookie(page)["value"]).status_code == 401

    # Signed in again, the session is ended from elsewhere (as signing out
    # in another tab does): the same notice, and nothing of it left.
    page.get_by_label("Admin API key").fill(shop.admin_key)
    page.get_by_role("button", name="Sign in").click()
    dashboard.heading("Rewards")  # where the page was
    assert page.get_by_text(SESSION_ENDED).count() == 0
    cookie = session_cookie(page)["value"]
    csrf = session_read_with(deployed_system, cookie).json()["csrf_token"]
    ended = requests.delete(
        deployed_system.url("/api/session"),
        cookies={SESSION_COOKIE: cookie},
        headers={"X-CSRF-Token": csrf},
        timeout=15,
    )
    assert ended.status_code == 200, ended.text
    page.get_by_role("link", name="Customers").click()
    page.get_by_text(SESSION_ENDED).wait_for()
    page.get_by_label("Admin API key").wait_for()


def embedded_in_the_shopify_admin(system, page, shop, **claims) -> tuple[str, list[str]]:
    """The page's URL as the Shopify admin opens it embedded, and the session
    tokens its App Bridge hands out. App Bridge is stubbed (no internet: its
    script from the CDN is empty): only `shopify.idToken()`, which hands out
    a token built in the test (`claims` change it)."""
    tokens_handed: list[str] = []

    def id_token():
        tokens_handed.append(shopify_session_token(shop.domain, shop.webhook_secret, sub="74123", **claims))
        return tokens_handed[-1]

    context = page.context
    context.route(
        "https://cdn.shopify.com/**", lambda route: route.fulfill(body="", content_type="text/javascript")
    )
    context.expose_function("testIdToken", id_token)
    context.add_init_script("window.shopify = { idToken: () => window.testIdToken() };")
    host = base64.urlsafe_b64encode(b"admin.shopify.com/store/" + shop.domain.encode()).decode().rstrip("=")
    return f"{system.base_url}/?embedded=1&host={host}&shop={shop.domain}", tokens_handed


def test_embedded_in_the_shopify_admin_the_session_token_signs_the_staff_member_in(
    deployed_system, member, dashboard
):
    shop, page = member, dashboard.page
    context = page.context
    embedded, tokens_handed = embedded_in_the_shopify_admin(deployed_system, page, shop)

    page.goto(f"{embedded}#/customers/7001")
    dashboard.heading("Ana Diaz")
    assert page.get_by_label("Admin API key").count() == 0
    open_user_menu(page, "Staff member 74123", shop)
    page.get_by_text("Signed in through your Shopify admin").wait_for()
    assert page.get_by_text("Sign out", exact=True).count() == 0
    page.keyboard.press("Escape")

    sent = adjust_points(dashboard, 25, "Goodwill from the admin")
    headers = sent.all_headers()
    assert headers["authorization"].removeprefix("Bearer ") in tokens_handed
    assert "cookie" not in headers
    assert "x-csrf-token" not in headers
    assert context.cookies() == []

    # The audit trail names the staff member, in the API and on its screen.
    audited = shop.api("GET", "/api/audit-log", params={"customer_id": "7001"}).json()["items"]
    assert [(e["reason"], e["actor"]) for e in audited] == [("Goodwill from the admin", "staff:74123")]
    page.get_by_role("link", name="Audit log").click()
    dashboard.heading("Audit log")
    assert "Staff member 74123" in dashboard.row("Goodwill from the admin").inner_text()
    assert shop.admin_key not in stored_by_the_page(page)


def test_embedded_a_refused_session_token_is_said_and_no_form_is_offered(deployed_system, dashboard):
    shop, page = deployed_system.create_shop(), dashboard.page
    embedded, _ = embedded_in_the_shopify_admin(deployed_system, page, shop, aud="another-app")
    page.goto(embedded)
    page.get_by_text("Shopify did not sign you in to this app").wait_for()
    page.get_by_text("The session token from your Shopify admin was not accepted.").wait_for()
    assert page.get_by_label("Admin API key").count() == 0
