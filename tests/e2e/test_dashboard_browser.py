"""The merchant's dashboard in a real headless Chromium (Debian's package),
against the system running as separate processes (the test process blocks
while Playwright waits on the browser, so the services can't share it)."""

import csv
import json
import os
import shutil
import time

import pytest

from tests.support import shopify_session_token, wait_for

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's asyncio driver and eventlet's hub don't share a process: `make
# test` runs these in a pytest process of their own, unpatched (`-m browser`).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser(deployed_system):
    """One Chromium for the module; each test gets a fresh page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser):
    """A fresh page; the test fails if the dashboard broke its own
    Content-Security-Policy anywhere along the way (nothing inline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == []


def screenshot(page, name):
    page.screenshot(path=os.path.join(os.environ.get("LOYALTY_SCREENSHOTS", "/tmp"), name))


def sign_in(page, base_url, key):
    """Open the dashboard and sign in with `key` in its form."""
    page.goto(f"{base_url}/")
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#sign-out").wait_for()


@pytest.fixture
def shop_with_activity(deployed_system):
    shop = deployed_system.create_shop()
    shop.customer_created("6001", "uma@example.com")
    shop.customer_created("6002", "vic@example.com")
    shop.order(9601, "6001", "uma@example.com", "70.00")
    shop.order(9602, "6002", "vic@example.com", "15.00")
    assert wait_for(lambda: len(shop.api("GET", "/api/activities/points").json()["items"]) == 2)
    link = shop.storefront(
        "POST", "/referral-links", json={"customer_id": "6001", "customer_token": shop.customer_token("6001")}
    ).json()
    claimed = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "wes@example.com"}
    ).json()
    shop.referral = claimed
    return shop


def test_merchant_browses_point_activities_and_a_customer(deployed_system, shop_with_activity, browser_page):
    shop, page = shop_with_activity, browser_page
    sign_in(page, deployed_system.base_url, shop.admin_key)

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
    assert "No referrals yet" in page.locator("#customer-referrals").inner_text()
    assert "No reviews yet" in page.locator("#customer-reviews").inner_text()
    screenshot(page, "dashboard-customer.png")

    # Uma referred wes: her detail lists that referral, pending, as its referrer.
    page.goto(f"{deployed_system.base_url}/#/customers/6001")
    referral = page.locator(f'#customer-referrals tr[data-id="{shop.referral["referral_id"]}"]')
    referral.wait_for()
    assert [cell.strip() for cell in referral.locator("td").all_inner_texts()[:3]] == [
        "Referrer",
        "wes@example.com",
        "pending",
    ]
    assert shop.referral["discount_code"] in referral.inner_text()
    screenshot(page, "dashboard-customer-referrals.png")


def test_merchant_cancels_a_pending_referral_from_the_list(deployed_system, shop_with_activity, browser_page):
    shop, page = shop_with_activity, browser_page
    sign_in(page, deployed_system.base_url, shop.admin_key)
    page.get_by_text("View all referral activities").click()
    row = page.locator(f'#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
    row.wait_for()
    assert "pending" in row.inner_text()

    row.hover()
    row.get_by_role("button", name="Cancel referral").click()
    dialog_text = page.locator("#confirm-text").inner_text()
    assert "will be voided" in dialog_text
    assert "will not be rewarded" in dialog_text
    page.locator("#confirm-ok").click()

    page.wait_for_function(
        f"""() => (document.querySelector('#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
                  || {{innerText: ''}}).innerText.includes('cancelled')"""
    )
    assert wait_for(
        lambda: (
            shop.api("GET", f"/api/discount-codes/{shop.referral['discount_code']}").json()["status"]
            == "voided"
        )
    )
    page.reload()
    row.wait_for()
    page.wait_for_function(
        f"""() => document.querySelector('#referrals-table tr[data-id="{shop.referral["referral_id"]}"]')
                  ?.innerText.includes('voided')"""
    )
    screenshot(page, "dashboard-referrals.png")


def profile_field(page, label):
    return page.locator(f'#customer-profile [data-field="{label}"]')


def wait_for_balance(page, balance):
    page.wait_for_function(
        """(balance) => document.querySelector('#customer-profile [data-field="Balance"]')
                         ?.innerText === String(balance)""",
        arg=balance,
    )


@pytest.fixture
def member_with_points(deployed_system):
    """A shop with a Gold tier, a $5 reward, and Ana with 300 points."""
    shop = deployed_system.create_shop()
    assert shop.api("PUT", "/api/program", json={"vip_tiers": [{"name": "Gold", "threshold": 1000}]}).ok
    reward = shop.api(
        "POST",
        "/api/rewards",
        json={"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 100},
    )
    assert reward.status_code == 201, reward.text
    shop.reward = reward.json()
    shop.customer_created("7001", "ana@example.com", first_name="Ana", last_name="Diaz")
    shop.order(9701, "7001", "ana@example.com", "300.00")
    assert wait_for(
        lambda: shop.api("GET", "/api/customers/7001").json().get("customer", {}).get("balance") == 300
    )
    return shop


def test_merchant_adjusts_redeems_reverses_excludes_and_edits_a_customer(
    deployed_system, member_with_points, browser_page
):
    shop, page = member_with_points, browser_page
    sign_in(page, deployed_system.base_url, shop.admin_key)

    # Find her in the customers list by name.
    page.get_by_role("link", name="Customers").click()
    page.fill("#customers-q", "ana")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="ana@example.com").click()
    wait_for_balance(page, 300)
    assert page.locator("#customer-title").inner_text() == "Ana Diaz"
    assert profile_field(page, "Available").inner_text() == "300"
    assert "Placed order #9701" in page.locator("#customer-history").inner_text()

    # Adjust points; the first answer is lost on the way back, and pressing
    # the button again must not adjust twice (same Idempotency-Key).
    lost = []

    def lose_first_answer(route):
        if lost:
            return route.continue_()
        lost.append(route.request.headers["idempotency-key"])
        route.fetch()  # the gateway adjusts...
        route.abort()  # ...but the page never hears back

    page.route("**/points-adjustments", lose_first_answer)
    page.get_by_role("button", name="Adjust points").click()
    adjust = page.locator("#adjust-dialog")
    adjust.get_by_label("Points").fill("30")
    adjust.get_by_label("Reason").fill("Late delivery")
    adjust.locator('button[value="ok"]').click()
    adjust.locator(".form-error").wait_for()
    adjust.locator('button[value="ok"]').click()
    adjust.wait_for(state="hidden")
    wait_for_balance(page, 330)
    history = page.locator("#customer-history tbody tr")
    assert "Adjusted by admin: Late delivery" in history.first.inner_text()
    assert "+30" in history.first.inner_text()
    adjustments = [
        a
        for a in shop.api("GET", "/api/customers/7001/activities").json()["items"]
        if a["type"] == "adjusted"
    ]
    assert len(adjustments) == 1
    assert lost
    page.unroute("**/points-adjustments")

    # Redeem the $5 reward: the code is shown and the balance drops.
    page.get_by_role("button", name="Redeem").click()
    redeem = page.locator("#redeem-dialog")
    redeem.get_by_label("Reward").select_option(label="$5 off — 100 points")
    redeem.locator('button[value="ok"]').click()
    code = redeem.locator("#redeem-code")
    code.wait_for()
    issued = shop.api("GET", f"/api/discount-codes/{code.inner_text()}").json()
    assert issued["customer_id"] == "7001"
    assert issued["status"] == "active"
    wait_for_balance(page, 230)
    redeem.get_by_role("button", name="Close").click()
    assert profile_field(page, "Lifetime redeemed").inner_text() == "100"

    # Reverse the adjustment: a reversing row, and no second Reverse on it.
    adjusted_row = history.filter(has_text="Adjusted by admin: Late delivery").first
    adjusted_row.hover()
    adjusted_row.get_by_role("button", name="Reverse").click()
    assert "-30" in page.locator("#confirm-text").inner_text()
    page.locator("#confirm-ok").click()
    wait_for_balance(page, 200)
    assert "Reversed: Adjusted by admin: Late delivery" in history.first.inner_text()
    assert history.filter(has_text="Reversed:").get_by_role("button", name="Reverse").count() == 0
    assert history.filter(has_text="Late delivery").get_by_role("button", name="Reverse").count() == 0

    # Exclude her: the badge shows, and a redemption is refused with the API's reason.
    page.get_by_role("button", name="Exclude from program").click()
    page.get_by_label("Reason (optional)").fill("Abused returns")
    page.locator("#confirm-ok").click()
    page.locator("#customer-status .badge.excluded").wait_for()
    assert page.get_by_role("button", name="Re-include in program").is_visible()
    page.get_by_role("button", name="Redeem").click()
    redeem.get_by_label("Reward").select_option(label="$5 off — 100 points")
    redeem.locator('button[value="ok"]').click()
    refusal = redeem.locator(".form-error")
    refusal.wait_for()
    refused = shop.api("POST", "/api/customers/7001/redemptions", json={"reward_id": shop.reward["id"]})
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] in refusal.inner_text()
    screenshot(page, "dashboard-redeem-refused.png")
    redeem.get_by_role("button", name="Close").click()
    assert profile_field(page, "Balance").inner_text() == "200"

    # Edit the overview: a new name and a VIP tier set by hand.
    page.get_by_role("button", name="Edit overview").click()
    edit = page.locator("#edit-dialog")
    assert edit.get_by_label("VIP tier").input_value() == ""
    edit.get_by_label("Name").fill("Ana María Diaz")
    edit.get_by_label("VIP tier").select_option("Gold")
    edit.locator('button[value="ok"]').click()
    edit.wait_for(state="hidden")
    page.wait_for_function("() => document.querySelector('#customer-title').innerText === 'Ana María Diaz'")
    assert profile_field(page, "VIP tier").inner_text() == "Gold (set by hand)"
    screenshot(page, "dashboard-customer-actions.png")


def test_point_activities_mark_adjustments_and_export_csv(deployed_system, shop_with_activity, browser_page):
    shop, page = shop_with_activity, browser_page
    adjusted = shop.api(
        "POST", "/api/customers/6002/points-adjustments", json={"points": 5, "reason": "Birthday gift"}
    )
    assert adjusted.status_code == 201, adjusted.text
    sign_in(page, deployed_system.base_url, shop.admin_key)
    page.get_by_text("View all point activities").click()
    row = page.locator("#points-table tbody tr", has_text="Adjusted by admin: Birthday gift")
    row.wait_for()
    assert row.locator(".badge.adjusted").inner_text() == "Adjusted"

    page.fill("#points-q", "vic@")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function("() => document.querySelectorAll('#points-table tbody tr').length === 2")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    with open(download.value.path(), newline="") as exported:
        rows = list(csv.reader(exported))
    assert rows[0][:4] == ["occurred_at", "customer_id", "customer_email", "type"]
    # The export follows the search on screen: only vic's two rows.
    assert sorted(r[4] for r in rows[1:]) == ["Adjusted by admin: Birthday gift", "Placed order #9602"]


# --- signing in -------------------------------------------------------------------------------


def adjusted_in_the_dialog(page, points, reason, balance_after):
    """Adjust the customer on screen with the Adjust points dialog: who the
    new history row says did it."""
    page.get_by_role("button", name="Adjust points").click()
    adjust = page.locator("#adjust-dialog")
    adjust.get_by_label("Points").fill(str(points))
    adjust.get_by_label("Reason").fill(reason)
    adjust.locator('button[value="ok"]').click()
    wait_for_balance(page, balance_after)
    return page.locator("#customer-history tbody tr").first.locator("td").nth(4).inner_text()


def test_merchant_signs_in_with_a_key_and_out_and_no_secret_stays_in_the_browser(
    deployed_system, shop_with_activity, browser_page
):
    shop, page = shop_with_activity, browser_page
    base_url = deployed_system.base_url

    # A key in the address bar no longer signs anyone in, and is wiped from it.
    page.goto(f"{base_url}/#key={shop.admin_key}")
    page.locator("#login").wait_for(state="visible")
    assert page.locator("#view-overview").is_hidden()
    assert shop.admin_key not in page.url

    page.get_by_label("Admin API key").fill("lk_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#status", has_text="not accepted").wait_for()
    assert page.locator("#login").is_visible()

    page.get_by_label("Admin API key").fill(shop.admin_key)
    page.get_by_role("button", name="Sign in").click()
    page.locator('[data-panel="points"] li').first.wait_for()
    assert page.locator("#signed-in-as").inner_text() == "Signed in as Admin (admin)"
    screenshot(page, "dashboard-signed-in.png")

    # The browser holds a session cookie no script can read, and the key nowhere.
    [cookie] = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("loyalty_session", True, "Strict")
    kept = page.evaluate(
        "() => [location.href, document.cookie, JSON.stringify({...sessionStorage}),"
        " JSON.stringify({...localStorage}), document.getElementById('login-key').value].join(' ')"
    )
    assert shop.admin_key not in kept
    assert cookie["value"] not in kept

    # Loaded again, the page is still signed in, and its writes carry the CSRF token.
    page.reload()
    page.locator('[data-panel="points"] li').first.wait_for()
    page.goto(f"{base_url}/#/customers/6002")
    wait_for_balance(page, 15)
    assert adjusted_in_the_dialog(page, 5, "Thanks for the feedback", balance_after=20) == "Admin (admin)"

    page.get_by_role("button", name="Sign out").click()
    page.locator("#login").wait_for(state="visible")
    assert "signed out" in page.locator("#status").inner_text()
    # The session ended on the server too: its cookie opens nothing any more.
    ended = deployed_system.http.get(f"{base_url}/api/session", cookies={cookie["name"]: cookie["value"]})
    assert ended.status_code == 401
    page.reload()
    page.locator("#login").wait_for(state="visible")


def test_embedded_in_the_shopify_admin_the_page_acts_with_app_bridges_session_token(
    deployed_system, shop_with_activity, browser_page
):
    shop, page = shop_with_activity, browser_page
    token = shopify_session_token(shop.domain, shop.webhook_secret, sub="90210", exp=int(time.time()) + 600)
    # App Bridge as the Shopify admin's frame provides it: `shopify.idToken()`.
    page.route(
        "https://cdn.shopify.com/shopifycloud/app-bridge.js",
        lambda route: route.fulfill(
            content_type="text/javascript",
            body=f"window.shopify = {{ idToken: async () => {json.dumps(token)} }};",
        ),
    )
    bearers = []
    page.on(
        "request",
        lambda request: "/api/" in request.url and bearers.append(request.headers.get("authorization")),
    )

    page.goto(f"{deployed_system.base_url}/?embedded=1&shop={shop.domain}&host=YWRtaW4#/customers/6001")

    wait_for_balance(page, 70)
    assert page.locator("#login").is_hidden()
    assert page.locator("#sign-out").is_hidden()
    assert page.locator("#signed-in-as").inner_text() == "Signed in as staff:90210"
    assert adjusted_in_the_dialog(page, 10, "Apology from the team", balance_after=80) == "staff:90210"
    screenshot(page, "dashboard-embedded.png")
    assert bearers
    assert set(bearers) == {f"Bearer {token}"}
    assert page.context.cookies() == []
