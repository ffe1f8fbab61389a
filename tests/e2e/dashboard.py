"""Driving the merchant's dashboard in a real headless Chromium (Debian's
package) with Playwright: signing in, finding things as a merchant sees
them, and what every screen must hold to (no console error, a page that is
not blank, no serious or critical axe-core violation)."""

import os
import re
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "assets" / "axe.min.js"  # vendored by `make dashboard`
SCREENSHOTS = Path(os.environ.get("LOYALTY_SCREENSHOTS", "/tmp/loyalty-screenshots"))
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}

# What the dashboard must run under: no inline script or style, nothing from
# another origin, no data: image. The page is held to this and to the
# gateway's own policy (services/gateway/browser_policy.py) at once.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

# Chromium logs every 4xx/5xx answer, and every request a test cut off, as a
# console error; the tests that provoke one (a refusal, a service down, a
# lost answer) allow that line and nothing else.
HTTP_ERROR_LINE = re.compile(
    r"^Failed to load resource: (the server responded with a status of (4\d\d|503)|net::ERR_FAILED)"
)

# A page opened signed out asks GET /api/session who it is signed in as,
# and is answered 401: that is how it learns to show the sign-in form.
SIGNED_OUT_ANSWER = "Failed to load resource: the server responded with a status of 401"


def is_signed_out_check(message) -> bool:
    return message.text.startswith(SIGNED_OUT_ANSWER) and message.location.get("url", "").endswith(
        "/api/session"
    )


class Dashboard:
    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []

        def on_console(message) -> None:
            if message.type == "error" and not is_signed_out_check(message):
                self.console_errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    def open(self, path: str = "/") -> None:
        self.page.goto(f"{self.base_url}/#{path}")

    def sign_in(self, shop, path: str = "/") -> None:
        self.page.goto(f"{self.base_url}/")
        self.page.get_by_label("Admin API key").fill(shop.admin_key)
        self.page.get_by_role("button", name="Sign in").click()
        self.heading("Customers' activities")
        if path != "/":
            self.open(path)

    def heading(self, name: str):
        heading = self.page.get_by_role("heading", name=name, level=1)
        heading.wait_for()
        return heading

    def row(self, text: str):
        """The list's row holding `text`, once it is there (a table row; on a
        phone, where Polaris shows a list instead, its item)."""
        row = self.page.locator("tbody tr, ul[class*=CondensedList] > li").filter(has_text=text).first
        row.wait_for()
        return row

    def wait_for_row(self, *texts: str) -> None:
        """Until one row holds every one of `texts` (a row that changes in place)."""
        self.page.wait_for_function(
            "texts => [...document.querySelectorAll('tbody tr')]"
            ".some(row => texts.every(text => row.innerText.includes(text)))",
            arg=list(texts),
        )

    def dialog(self):
        """The open dialog, once its title shows (on a phone Polaris draws
        it as a sheet whose dialog element itself has no height)."""
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_role("heading").first.wait_for()
        return dialog

    def toast(self, text: str) -> None:
        self.page.locator(".Polaris-Frame-Toast", has_text=text).wait_for()

    def unexpected_console_errors(self) -> list[str]:
        return [line for line in self.console_errors if not HTTP_ERROR_LINE.match(line)]

    def accessibility_violations(self) -> list[str]:
        """axe-core's serious and critical findings on the page as it is."""
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => `${v.id} (${v.impact}): ${v.help} — `"
            " + v.nodes.slice(0, 3).map(n => n.target).join(' | '))"
        )
        return list(found)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def launch_chromium(playwright):
    return playwright.chromium.launch(
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


def new_dashboard(browser, base_url: str, viewport=DESKTOP) -> Dashboard:
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-US", timezone_id="UTC")
    context.add_init_script(path=str(AXE))  # injected by the browser itself: no CSP applies

    def with_csp(route):
        response = route.fetch()
        # Policies joined by a comma are each enforced: the page must meet both.
        gateways = response.headers.get("content-security-policy")
        policies = ", ".join(policy for policy in (CONTENT_SECURITY_POLICY, gateways) if policy)
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policies})

    context.route(f"{base_url}/", with_csp)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return Dashboard(page, base_url)


def signed(shop, customer_id: str, **body) -> dict:
    return {"customer_id": customer_id, "customer_token": shop.customer_token(customer_id), **body}


def shop_with_a_program(system):
    """A new shop whose points expire after a year, with a Gold tier at
    1,000 lifetime points and a $5 reward for 100 points (`shop.reward`)."""
    shop = system.create_shop()
    program = {"expiry_days": 365, "vip_tiers": [{"name": "Gold", "threshold": 1000}]}
    assert shop.api("PUT", "/api/program", json=program).status_code == 200
    reward = {"name": "$5 off", "kind": "fixed_amount", "value": "5", "points_cost": 100}
    shop.reward = shop.api("POST", "/api/rewards", json=reward).json()
    return shop


def shop_with_every_activity(system):
    """A shop with something on every screen: Uma (whose referral link was
    clicked three times, who referred Wes, still pending, and Xia, whose
    order completed it), Vic (whose order had a Linen
    shirt in it), a points adjustment, Vic's pending review of the shirt and
    Google review, a $5 reward, expiry and a Gold tier."""
    from tests.support import wait_for

    shop = shop_with_a_program(system)
    shop.customer_created("6001", "uma@example.com", first_name="Uma", last_name="Stone")
    shop.customer_created("6002", "vic@example.com", first_name="Vic", last_name="Hale")
    shop.order(9601, "6001", "uma@example.com", "1478.00")
    vics_order = shop.order_body(9602, "6002", "vic@example.com", "15.00")
    vics_order["line_items"] = [{"product_id": 880001, "title": "Linen shirt", "quantity": 1}]
    assert shop.webhook("orders/paid", vics_order).status_code == 200
    # Referral links are for members; the webhooks make them asynchronously.
    assert wait_for(lambda: shop.api("GET", "/api/customers/6001").status_code == 200)
    link = shop.storefront("POST", "/referral-links", json=signed(shop, "6001")).json()
    for _ in range(3):  # three friends clicked; two of them claimed
        assert shop.storefront("POST", f"/referrals/{link['code']}/clicks").status_code == 201
    shop.pending_referral = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "wes@example.com"}
    ).json()
    shop.completed_referral = shop.storefront(
        "POST", f"/referrals/{link['code']}/claims", json={"email": "xia@example.com"}
    ).json()
    shop.order(
        9603, "6003", "xia@example.com", "40.00", discount_codes=[shop.completed_referral["discount_code"]]
    )
    adjusted = shop.api(
        "POST", "/api/customers/6002/points-adjustments", json={"points": 5, "reason": "Birthday gift"}
    )
    assert adjusted.status_code == 201, adjusted.text
    review = signed(
        shop, "6002", product_id="880001", rating=4, title="Lovely", body="Fits well", media_urls=[]
    )
    shop.review = shop.storefront("POST", "/reviews", json=review).json()
    google = signed(shop, "6002", review_url="https://g.page/r/example/review/1")
    shop.google_review = shop.storefront("POST", "/google-reviews", json=google).json()

    def settled():
        referrals = shop.api("GET", "/api/activities/referrals").json()["items"]
        points = shop.api("GET", "/api/activities/points").json()["items"]
        reviews = shop.api("GET", "/api/activities/reviews").json()["items"]
        return (
            {r["status"] for r in referrals} == {"pending", "completed"}
            and any(p["action"] == "Referred a friend" for p in points)
            and [r["product_title"] for r in reviews] == ["Linen shirt"]
        )

    assert wait_for(settled, timeout=30)
    return shop
