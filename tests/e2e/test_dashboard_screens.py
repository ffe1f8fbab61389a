"""Every screen of the dashboard, at a desktop's size (1440×900) and a
phone's (375×812): drawn (not blank), screenshot, no console error (nor a
Content-Security-Policy violation), and no serious or critical axe-core
violation, with its dialogs open too."""

import os

import pytest

from tests.e2e.dashboard import CHROMIUM, DESKTOP, PHONE, new_dashboard, shop_with_every_activity
from tests.support import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

SCREENS = [
    ("/", "Customers' activities"),
    ("/points", "Point activities"),
    ("/referrals", "Referral activities"),
    ("/reviews", "Review activities"),
    ("/google-reviews", "Google review submissions"),
    ("/customers", "Customers"),
    ("/customers/6001", "Uma Stone"),
    ("/customers/import", "Import balances"),
    ("/customers/import/{imported}", "Import balances"),
    ("/rewards", "Rewards"),
    ("/program", "Program settings"),
    ("/audit-log", "Audit log"),
    ("/webhooks", "Outbound webhooks"),
    ("/webhooks/{webhook}", "Delivery log"),
    ("/no-such-screen", "Page not found"),
]
EMPTY_SCREENS = [
    "/",
    "/points",
    "/referrals",
    "/customers",
    "/customers/import",
    "/rewards",
    "/audit-log",
    "/webhooks",
]
# An import of balances with a row that could not apply (its line 3).
IMPORTED = (
    b"customer_id,email,points,first_name,last_name\n"
    b"6101,yan@example.com,120,Yan,Moss\n"
    b"6102,zoe@example.com,lots,Zoe,Park\n"
)


@pytest.fixture(scope="module")
def busy_shop(deployed_system):
    shop = shop_with_every_activity(deployed_system)
    started = shop.api(
        "POST",
        "/api/imports/points",
        params={"file_name": "balances.csv"},
        data=IMPORTED,
        headers={"Content-Type": "text/csv"},
    )
    assert started.status_code == 202, started.text
    shop.import_id = started.json()["id"]
    assert wait_for(lambda: shop.api("GET", f"/api/imports/{shop.import_id}").json()["status"] == "done")
    # Subscribed after every event: nothing is ever sent to it.
    webhook = {"url": "https://example.com/hooks/loyalty", "topics": ["points.earned", "referral.completed"]}
    created = shop.api("POST", "/api/webhook-subscriptions", json=webhook)
    assert created.status_code == 201, created.text
    shop.webhook_id = created.json()["id"]
    return shop


def settled(board, title: str) -> None:
    """The screen's heading is up and nothing is loading any more."""
    board.heading(title)
    board.page.wait_for_function(
        "() => !document.querySelector('[class*=Polaris-Skeleton], .Polaris-IndexTable__LoadingPanelEntered')"
    )


def look_at(board, name: str, findings: dict) -> None:
    """Screenshot the screen; note what is wrong with it under `name`."""
    page = board.page
    board.screenshot(name)
    problems = board.accessibility_violations()
    text = page.locator("body").inner_text()
    if len(text.strip()) < 40 or not page.get_by_role("heading", level=1).first.is_visible():
        problems.append(f"blank page: {text[:80]!r}")
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append("the page scrolls sideways")
    if problems:
        findings[name] = problems


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440x900", "375x812"])
def test_every_screen_is_drawn_accessible_and_free_of_console_errors(
    deployed_system, browser, busy_shop, viewport
):
    board = new_dashboard(browser, deployed_system.base_url, viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    findings: dict = {}
    try:
        board.page.goto(f"{deployed_system.base_url}/")
        settled(board, "Sign in")
        look_at(board, f"screen-sign-in-{size}", findings)
        board.sign_in(busy_shop)
        for path, title in SCREENS:
            board.open(path.format(webhook=busy_shop.webhook_id, imported=busy_shop.import_id))
            settled(board, title)
            named = path.replace("{webhook}", "delivery-log").replace("{imported}", "result")
            name = named.strip("/").replace("/", "-") or "overview"
            look_at(board, f"screen-{name}-{size}", findings)
            if path == "/":  # the funnel from clicks, and the average rating
                board.page.get_by_text("Link clicks").wait_for()
                board.page.get_by_text("Average rating").wait_for()
            if path == "/customers/import/{imported}":  # the import's result and its bad row
                board.row("Line 3")
            if path == "/rewards":  # money in the shop's currency (USD), en-US
                board.row("$5 off").get_by_text("$5.00 off").wait_for()

        # The dialogs, open.
        board.open("/customers/6002")
        settled(board, "Vic Hale")
        board.page.get_by_role("button", name="Adjust points").click()
        board.dialog().get_by_label("Points").wait_for()
        look_at(board, f"dialog-adjust-points-{size}", findings)
        board.page.keyboard.press("Escape")
        board.open("/referrals")
        settled(board, "Referral activities")
        board.row("wes@example.com").get_by_role("button", name="Cancel referral").click()
        board.dialog().get_by_text("will not be rewarded").wait_for()
        look_at(board, f"dialog-cancel-referral-{size}", findings)
        board.page.keyboard.press("Escape")
        board.open("/webhooks")
        settled(board, "Outbound webhooks")
        board.page.get_by_role("button", name="Add webhook").click()
        board.dialog().get_by_label("Endpoint URL").wait_for()
        look_at(board, f"dialog-add-webhook-{size}", findings)
        board.page.keyboard.press("Escape")
        board.open("/")
        settled(board, "Customers' activities")
        board.page.get_by_role("button", name="Date range: Last 30 days").click()
        board.page.get_by_text("Custom range").wait_for()
        look_at(board, f"popover-date-range-{size}", findings)
    finally:
        board.page.context.close()
    assert findings == {}
    assert board.console_errors == []


def test_empty_screens_say_what_to_do_next(deployed_system, browser):
    board = new_dashboard(browser, deployed_system.base_url)
    findings: dict = {}
    try:
        board.sign_in(deployed_system.create_shop())
        settled(board, "Customers' activities")
        board.page.get_by_text("No point activity in this period. Try a longer date range.").wait_for()
        look_at(board, "empty-overview", findings)
        expected = {
            "/points": ("Point activities", "Try another tab, a longer date range or another search."),
            "/referrals": ("Referral activities", "Try another status or a longer date range."),
            "/customers": (
                "Customers",
                "Customers appear here when your shop tells us about their sign-up or first order.",
            ),
            "/customers/import": ("Import balances", "Export your customers' balances from your old app"),
            "/rewards": ("Rewards", "Rewards are what customers spend their points on"),
            "/audit-log": ("Audit log", "Try a longer date range or another customer ID."),
            "/webhooks": ("Outbound webhooks", "Add an https endpoint and pick topics"),
        }
        assert sorted(expected) == sorted(p for p in EMPTY_SCREENS if p != "/")
        for path, (title, next_step) in expected.items():
            board.open(path)
            settled(board, title)
            board.page.get_by_text(next_step).wait_for()
            look_at(board, f"empty-{path.strip('/')}", findings)
    finally:
        board.page.context.close()
    assert findings == {}
    assert board.console_errors == []


def test_on_a_phone_the_navigation_is_a_menu(deployed_system, browser, busy_shop):
    board = new_dashboard(browser, deployed_system.base_url, PHONE)
    try:
        board.sign_in(busy_shop)
        navigation_link = board.page.get_by_role("link", name="Referral activities", exact=True)
        assert not navigation_link.is_visible()
        board.page.get_by_role("button", name="Toggle menu").click()
        navigation_link.click()
        settled(board, "Referral activities")
        navigation_link.wait_for(state="hidden")  # the menu closes once a screen is chosen
        board.row("wes@example.com")
    finally:
        board.page.context.close()
    assert board.console_errors == []
