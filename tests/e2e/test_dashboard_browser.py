"""The merchant's dashboard in a real headless Chromium (Debian's package),
against the system running as separate processes (the test process blocks
while Playwright waits on the browser, so the services can't share it)."""
import os
import shutil

import pytest

from tests.support import wait_for

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's asyncio driver and eventlet's hub don't share a process: `make
# test` runs these in a pytest process of their own, unpatched (`-m browser`).
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")]


@pytest.fixture(scope="module")
def browser(deployed_system):
    """One Chromium for the module; each test gets a fresh page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shop_with_activity(deployed_system):
    shop = deployed_system.create_shop()
    shop.customer_created("6001", "uma@example.com")
    shop.customer_created("6002", "vic@example.com")
    shop.order(9601, "6001", "uma@example.com", "70.00")
    shop.order(9602, "6002", "vic@example.com", "15.00")
    assert wait_for(lambda: len(shop.api("GET", "/api/activities/points").json()["items"]) == 2)
    link = shop.storefront("POST", "/referral-links", json={
        "customer_id": "6001", "customer_token": shop.customer_token("6001")}).json()
    claimed = shop.storefront("POST", f"/referrals/{link['code']}/claims", json={"email": "wes@example.com"}).json()
    shop.referral = claimed
    return shop


def test_merchant_browses_point_activities_and_a_customer(deployed_system, shop_with_activity, browser_page):
    shop, page = shop_with_activity, browser_page
    page.goto(f"{deployed_system.base_url}/#key={shop.admin_key}")

    # The key is taken out of the address bar once it is stored.
    page.wait_for_function("() => !location.hash.includes('key=')")
    points_panel = page.locator('[data-panel="points"] li')
    points_panel.first.wait_for()
    assert "Placed order #960" in points_panel.first.inner_text()

    page.get_by_text("View all point activities").click()
    rows = page.locator("#points-table tbody tr")
    rows.nth(1).wait_for()
    assert rows.count() == 2
    assert "uma@example.com" in page.locator("#points-table").inner_text()
    assert "+70" in page.locator("#points-table").inner_text()

    page.get_by_role("button", name="Redeemed").click()
    page.locator("#points-table .empty").wait_for()

    page.get_by_role("button", name="All").click()
    page.fill("#points-q", "vic@")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function("() => document.querySelectorAll('#points-table tbody tr').length === 1")
    assert "vic@example.com" in page.locator("#points-table tbody").inner_text()

    page.get_by_role("link", name="vic@example.com").click()
    page.locator('#customer-profile [data-field="Balance"]').wait_for()
    assert page.locator('#customer-profile [data-field="Balance"]').inner_text() == "15"
    assert "Placed order #9602" in page.locator("#customer-history").inner_text()
    page.screenshot(path=os.path.join(os.environ.get("LOYALTY_SCREENSHOTS", "/tmp"), "dashboard-customer.png"))


def test_merchant_cancels_a_pending_referral_from_the_list(deployed_system, shop_with_activity, browser_page):
    shop, page = shop_with_activity, browser_page
    page.goto(f"{deployed_system.base_url}/#key={shop.admin_key}")
    page.get_by_text("View all referral activities").click()
    row = page.locator(f'#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
    row.wait_for()
    assert "pending" in row.inner_text()

    row.hover()
    row.get_by_role("button", name="Cancel referral").click()
    dialog_text = page.locator("#confirm-text").inner_text()
    assert "will be voided" in dialog_text and "will not be rewarded" in dialog_text
    page.locator("#confirm-ok").click()

    page.wait_for_function(
        f"""() => (document.querySelector('#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
                  || {{innerText: ''}}).innerText.includes('cancelled')""")
    assert wait_for(lambda: shop.api("GET", f"/api/discount-codes/{shop.referral['discount_code']}")
                    .json()["status"] == "voided")
    page.reload()
    row.wait_for()
    page.wait_for_function(
        f"""() => document.querySelector('#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
                  ?.innerText.includes('voided')""")
    page.screenshot(path=os.path.join(os.environ.get("LOYALTY_SCREENSHOTS", "/tmp"), "dashboard-referrals.png"))


def test_a_wrong_key_shows_the_sign_in_form(deployed_system, browser_page):
    page = browser_page
    page.goto(f"{deployed_system.base_url}/#key=lk_not-a-real-key")
    page.locator("#login").wait_for(state="visible")
    assert "not accepted" in page.locator("#status").inner_text()
