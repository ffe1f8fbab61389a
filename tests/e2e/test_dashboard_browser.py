"""The merchant's dashboard in a real headless Chromium, against the system
running as separate processes (the test process blocks while Playwright
waits on the browser, so the services can't share it): every screen and
every action, as a merchant does them."""

import csv
import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.dashboard import CHROMIUM, shop_with_a_program, shop_with_every_activity
from tests.support import wait_for

# Playwright's driver and eventlet's hub don't share a process: `make test`
# runs these in a pytest process of their own, unpatched (`-m browser`).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def busy_shop(deployed_system):
    return shop_with_every_activity(deployed_system)


def test_overview_panels_lead_to_point_activities_with_tabs_search_range_and_export(busy_shop, dashboard):
    shop, page = busy_shop, dashboard.page
    dashboard.sign_in(shop)
    panel = page.locator(".Polaris-ShadowBevel", has=page.get_by_role("heading", name="Point activities"))
    panel.get_by_text("Placed order #9601 · +1,478 points").wait_for()  # the browser's locale: en-US
    for title in ("Referral activities", "Review activities", "Google review submissions"):
        page.get_by_role("heading", name=title).wait_for()

    page.get_by_role("link", name="View all point activities").click()
    dashboard.heading("Point activities")
    dashboard.row("Placed order #9601")
    assert "+1,478" in dashboard.row("Placed order #9601").inner_text()
    adjusted = dashboard.row("Adjusted by admin: Birthday gift")
    assert adjusted.locator(".Polaris-Badge").inner_text().endswith("Adjusted")

    page.get_by_role("tab", name="Redeemed").click()
    page.get_by_text("No point activities found").wait_for()
    page.get_by_role("tab", name="All").click()
    dashboard.row("Placed order #9602")

    page.get_by_role("button", name="Search and filter results").click()
    page.get_by_placeholder("Search by email").fill("vic@")
    dashboard.wait_for_row("vic@example.com", "Placed order #9602")
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 2")
    assert not page.get_by_role("row").filter(has_text="uma@example.com").count()

    # The export follows the filters on screen: only Vic's two rows.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    dashboard.toast("Point activities exported")
    with open(download.value.path(), newline="") as exported:
        rows = list(csv.reader(exported))
    assert rows[0][:4] == ["occurred_at", "customer_id", "customer_email", "type"]
    assert sorted(r[4] for r in rows[1:]) == ["Adjusted by admin: Birthday gift", "Placed order #9602"]

    # "Last 30 days" by default; yesterday had nothing, the last 7 days all of it.
    picker = page.get_by_role("button", name="Date range: Last 30 days")
    picker.click()
    page.get_by_text("Yesterday", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("No point activities found").wait_for()
    page.get_by_role("button", name="Date range: Yesterday").click()
    page.get_by_text("Last 7 days", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    dashboard.row("Placed order #9602")

    # Rows name the customer, their email under the name.
    page.get_by_role("link", name="Vic Hale").first.click()
    dashboard.heading("Vic Hale")


def figure(page, label: str):
    """The overview's KPI card named `label`: its number."""
    card = page.locator(".Polaris-ShadowBevel", has=page.get_by_role("heading", name=label, exact=True))
    return card.locator("p").first


def section(page, title: str):
    return page.locator(".Polaris-ShadowBevel", has=page.get_by_role("heading", name=title, exact=True))


def bars(chart, label: str):
    """The chart's bars whose label starts with `label` ("Earned 2,033")."""
    return chart.locator(f'svg [role=listitem][aria-label^="{label}"]')


def overview_asked(response) -> dict:
    """The range the page asked GET /api/dashboard for."""
    asked = parse_qs(urlparse(response.url).query)
    return {"from": asked["from"][0], "to": asked["to"][0]}


def is_overview(response) -> bool:
    return urlparse(response.url).path == "/api/dashboard"


def test_the_overview_shows_the_apis_totals_a_chart_and_follows_the_range(busy_shop, dashboard):
    shop, page = busy_shop, dashboard.page
    with page.expect_response(is_overview) as answered:
        dashboard.sign_in(shop)
    today = datetime.now(UTC).date()  # the browser runs in UTC too
    asked = overview_asked(answered.value)
    # "Last 30 days": 30 calendar days, today the last.
    assert asked == {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}

    # Every KPI card shows the API's own total for the same range, in the locale.
    totals = shop.api("GET", "/api/dashboard", params=asked).json()["totals"]
    assert totals["points_earned"] > 1000  # the busy shop's orders, not zeros agreeing
    for label, total in [
        ("Points earned", "points_earned"),
        ("Points redeemed", "points_redeemed"),
        ("Points refunded", "points_refunded"),
        ("Points expired", "points_expired"),
        ("New members", "new_members"),
        ("Active members", "active_members"),
        ("Outstanding points", "outstanding_points"),
    ]:
        assert figure(page, label).inner_text() == f"{totals[total]:,}", label
    assert figure(page, "Points adjusted").inner_text() == f"+{totals['points_adjusted']:,}"

    # The referral funnel, clicks to completed, and the review counts and
    # average rating, from the same totals.
    referrals, clicks = totals["referrals"], totals["referral_link_clicks"]
    referred = sum(referrals.values())
    assert (clicks, referred) == (3, 2)  # the busy shop's: not zeros agreeing
    funnel = section(page, "Referrals").inner_text()
    assert f"Link clicks\n{clicks}\n" in funnel
    assert f"Friends referred\n{referred} · {round(100 * referred / clicks)}% of clicks" in funnel
    share = round(100 * referrals["completed"] / referred)
    assert f"Completed: placed an order\n{referrals['completed']} · {share}% of referred" in funnel
    assert f"Pending: no order yet\n{referrals['pending']} · " in funnel
    assert f"Points rewarded to referrers\n{totals['referral_points_rewarded']:,} points" in funnel
    reviews = section(page, "Reviews").inner_text()
    assert f"Waiting for you\n{totals['reviews']['pending']}" in reviews
    assert totals["reviews"]["pending"] == totals["google_reviews"]["pending"] == 1
    assert totals["reviews_average_rating"] == 4  # Vic's one review
    # The stars for the eye; "4.0 out of 5 stars" for a screen reader (its words visually hidden).
    assert "Average rating\n★ 4.0\nout of 5 stars" in reviews
    stars = section(page, "Reviews").get_by_text("★", exact=False).first
    assert stars.get_attribute("aria-hidden") == "true"

    # The chart: an svg with a line per series, and its legend.
    chart = section(page, "Points earned, redeemed and expired")
    bars(chart, f"Earned {totals['points_earned']:,}").wait_for(state="attached")
    assert bars(chart, "Redeemed").count() == bars(chart, "Expired").count() == 30  # a bar a day
    for name in ("Earned", "Redeemed", "Expired"):
        chart.locator("span", has_text=name).first.wait_for()  # the legend
    # Screen readers get the same numbers as a table: a row for the day with activity.
    today_row = chart.get_by_role("table").get_by_role("row").nth(1).text_content()
    assert today_row == f"{today:%b} {today.day}{totals['points_earned']:,}00"

    # The newest rows name people and products.
    recent_reviews = section(page, "Review activities").inner_text()
    assert "Linen shirt" in recent_reviews
    assert "by Vic Hale" in recent_reviews
    assert "Uma Stone" in section(page, "Point activities").inner_text()

    # Another range asks again: yesterday had nothing.
    page.get_by_role("button", name="Date range: Last 30 days").click()
    page.get_by_text("Yesterday", exact=True).click()
    with page.expect_response(is_overview) as answered:
        page.get_by_role("button", name="Apply").click()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert overview_asked(answered.value) == {"from": yesterday, "to": yesterday}
    page.get_by_text("No points were earned, redeemed or expired in this period.").wait_for()
    assert figure(page, "Points earned").inner_text() == "0"
    page.get_by_text("No friend was referred in this period.").wait_for()
    dashboard.screenshot("overview-yesterday")


def test_point_activities_page_through_by_cursor(deployed_system, dashboard):
    shop = deployed_system.create_shop()
    shop.customer_created("6101", "pat@example.com")
    assert wait_for(lambda: shop.api("GET", "/api/customers/6101").status_code == 200)
    for n in range(1, 56):
        response = shop.api(
            "POST", "/api/customers/6101/points-adjustments", json={"points": n, "reason": f"Gift {n}"}
        )
        assert response.status_code == 201, response.text
    dashboard.sign_in(shop, "/points")
    page = dashboard.page
    dashboard.row("Adjusted by admin: Gift 55")
    assert page.locator("tbody tr").count() == 50  # the API's default page

    page.get_by_role("button", name="Next").click()
    # The second page, once drawn: "Gift 5" alone would also match the first
    # page's "Gift 55", so wait for its row count.
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 5")
    dashboard.row("Adjusted by admin: Gift 5")
    assert sorted(page.locator("tbody tr").all_inner_texts())[0].count("Gift") == 1
    assert page.locator("tbody tr").count() == 5
    assert page.get_by_role("button", name="Next").is_disabled()

    page.get_by_role("button", name="Previous").click()
    dashboard.row("Adjusted by admin: Gift 55")
    assert page.locator("tbody tr").count() == 50


@pytest.fixture
def member_with_points(deployed_system):
    """shop_with_a_program, and Ana with 300 points."""
    shop = shop_with_a_program(deployed_system)
    shop.customer_created("7001", "ana@example.com", first_name="Ana", last_name="Diaz")
    shop.order(9701, "7001", "ana@example.com", "300.00")
    assert wait_for(
        lambda: shop.api("GET", "/api/customers/7001").json().get("customer", {}).get("balance") == 300
    )
    return shop


def profile_value(page, term: str):
    return page.locator(".Polaris-InlineStack", has=page.get_by_text(term, exact=True)).last


def wait_for_profile(page, term: str, value: str) -> None:
    page.locator(".Polaris-InlineStack", has=page.get_by_text(term, exact=True)).filter(
        has=page.get_by_text(value, exact=True)
    ).last.wait_for()


def test_merchant_adjusts_redeems_reverses_excludes_and_edits_a_customer(member_with_points, dashboard):
    shop, page = member_with_points, dashboard.page
    dashboard.sign_in(shop, "/customers")
    page.get_by_role("button", name="Search and filter results").click()
    page.get_by_placeholder("Search by email or name").fill("ana")
    page.get_by_role("link", name="ana@example.com").click()
    dashboard.heading("Ana Diaz")
    wait_for_profile(page, "Balance", "300 points")
    page.get_by_text("300 points expire on").wait_for()
    dashboard.row("Placed order #9701")

    # The first answer is lost on the way back; pressing the button again
    # must not adjust twice (the dialog keeps its Idempotency-Key).
    lost = []

    def lose_first_answer(route):
        if lost:
            return route.continue_()
        lost.append(route.request.headers["idempotency-key"])
        route.fetch()  # the gateway adjusts...
        route.abort()  # ...but the page never hears back

    page.route("**/points-adjustments", lose_first_answer)
    page.get_by_role("button", name="Adjust points").click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Points").fill("30")
    dialog.get_by_label("Reason").fill("Late delivery")
    dialog.get_by_role("button", name="Adjust points").click()
    dialog.get_by_text("Adjust points did not work").wait_for()
    dialog.get_by_role("button", name="Adjust points").click()
    dashboard.toast("Points adjusted")
    dialog.wait_for(state="detached")
    wait_for_profile(page, "Balance", "330 points")
    assert "+30" in dashboard.row("Adjusted by admin: Late delivery").inner_text()
    adjustments = shop.api("GET", "/api/customers/7001/activities").json()["items"]
    assert [a["points"] for a in adjustments if a["kind"] == "points" and a["ref"]["type"] == "adjusted"] == [
        30
    ]
    assert len(lost) == 1
    page.unroute("**/points-adjustments")

    # Refused by the API (the balance would go below zero): its reason, in the dialog.
    page.get_by_role("button", name="Adjust points").click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Points").fill("-5000")
    dialog.get_by_label("Reason").fill("Typo")
    dialog.get_by_role("button", name="Adjust points").click()
    refused = shop.api(
        "POST", "/api/customers/7001/points-adjustments", json={"points": -5000, "reason": "Typo"}
    )
    assert refused.status_code == 422
    dialog.get_by_text(refused.json()["error"]["message"]).wait_for()
    dashboard.screenshot("customer-adjustment-refused")
    dialog.get_by_role("button", name="Cancel").click()
    wait_for_profile(page, "Balance", "330 points")

    # Redeem the $5 reward: the code is shown and the balance drops.
    page.get_by_role("button", name="Redeem", exact=True).click()
    dialog = dashboard.dialog()
    assert dialog.get_by_label("Reward").input_value() == str(shop.reward["id"])
    assert "$5 off ($5.00 off) — 100 points" in dialog.get_by_label("Reward").inner_text()
    dialog.get_by_role("button", name="Redeem").click()
    code = dialog.locator(".redeemed-code")
    code.wait_for()
    dashboard.toast(f"Reward redeemed: code {code.inner_text()}")
    issued = shop.api("GET", f"/api/discount-codes/{code.inner_text()}").json()
    assert (issued["customer_id"], issued["status"]) == ("7001", "active")
    dialog.get_by_role("button", name="Done").click()
    wait_for_profile(page, "Balance", "230 points")
    wait_for_profile(page, "Lifetime redeemed", "100 points")

    # Reverse the adjustment: a reversing row, and no Reverse left on either.
    row = dashboard.row("Adjusted by admin: Late delivery")
    row.hover()
    row.get_by_role("button", name="Reverse Adjusted by admin: Late delivery").click()
    dialog = dashboard.dialog()
    assert "−30 points" in dialog.inner_text()
    dialog.get_by_role("button", name="Reverse").click()
    dashboard.toast("Activity reversed")
    dashboard.row("Reversed: Adjusted by admin: Late delivery")
    wait_for_profile(page, "Balance", "200 points")
    assert page.get_by_role("button", name="Reverse Adjusted by admin: Late delivery").count() == 0
    assert page.get_by_role("button", name="Reverse Reversed: Adjusted by admin: Late delivery").count() == 0

    # Exclude her: Redeem can't apply, and says why.
    page.get_by_role("button", name="Exclude from program").click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Reason (optional)").fill("Abused returns")
    dialog.get_by_role("button", name="Exclude").click()
    dashboard.toast("Customer excluded")
    page.get_by_text("Excluded from the loyalty program").wait_for()
    assert page.get_by_role("button", name="Redeem", exact=True).is_disabled()
    page.get_by_text("They earn no points and can't redeem rewards until you re-include them.").wait_for()
    dashboard.screenshot("customer-excluded")

    page.get_by_role("button", name="Re-include in program").click()
    dashboard.dialog().get_by_role("button", name="Re-include").click()
    dashboard.toast("Customer re-included")
    page.get_by_role("button", name="Exclude from program").wait_for()
    assert page.get_by_role("button", name="Redeem", exact=True).is_enabled()

    # Edit the overview: a new name and a VIP tier set by hand.
    page.get_by_role("button", name="Edit overview").click()
    dialog = dashboard.dialog()
    assert dialog.get_by_label("VIP tier").input_value() == ""
    dialog.get_by_label("Name").fill("Ana María Diaz")
    dialog.get_by_label("VIP tier").select_option("Gold")
    dialog.get_by_role("button", name="Save").click()
    dashboard.toast("Customer updated")
    dashboard.heading("Ana María Diaz")
    wait_for_profile(page, "VIP tier", "Set by hand")

    # Her history holds them all beside her points, newest first; a tab shows one kind.
    edited = dashboard.row("Profile edited: name, VIP tier")
    assert "Admin" in edited.locator(".Polaris-Badge").inner_text()
    # The tier set by hand is a tier change too: a points item nobody can reverse.
    tier = page.locator("tbody tr").nth(1)
    assert "Tier changed: no tier → Gold" in tier.inner_text()
    assert "Points" in tier.locator(".Polaris-Badge").inner_text()
    assert tier.get_by_role("button", name="Reverse Tier changed: no tier → Gold").count() == 0
    assert "Excluded from the program (Abused returns)" in page.locator("tbody tr").nth(3).inner_text()
    page.get_by_role("tab", name="Admin").click()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 3")
    assert not page.locator("tbody tr").filter(has_text="Placed order #9701").count()
    page.get_by_role("tab", name="Points").click()
    dashboard.row("Placed order #9701")
    assert not page.locator("tbody tr").filter(has_text="Profile edited").count()

    # Each of those actions is in the audit log, with who and why.
    page.get_by_role("link", name="Audit log").click()
    dashboard.heading("Audit log")
    excluded = dashboard.row("Excluded from the program")
    assert "Abused returns" in excluded.inner_text()
    assert "Admin (admin)" in excluded.inner_text()
    assert "Status: Active → Excluded" in excluded.inner_text()  # what changed, in the screens' words
    assert "Ana María Diaz" in excluded.inner_text()  # the customer by name, not id
    for action in ("Adjusted points", "Redeemed a reward", "Reversed an activity", "Edited the overview"):
        dashboard.row(action)
    adjusted = dashboard.row("Adjusted points").inner_text()
    assert re.search(r"Balance: [\d,]+ points → [\d,]+ points", adjusted)
    assert re.search(r"Points: [+−][\d,]+ points", adjusted)


def test_cancelling_a_referral_says_what_happens_to_a_pending_and_a_completed_one(busy_shop, dashboard):
    shop, page = busy_shop, dashboard.page
    dashboard.sign_in(shop, "/referrals")
    dashboard.heading("Referral activities")
    completed = dashboard.row("xia@example.com")
    assert "Completed" in completed.inner_text()
    assert "Uma Stone" in completed.inner_text()  # the referrer, by name
    assert "4 of 4 · Order placed" in completed.inner_text()
    assert "500 points" in completed.inner_text()

    completed.hover()
    completed.get_by_role("button", name="Cancel referral").click()
    text = dashboard.dialog().inner_text()
    assert "unused discount codes" in text
    assert "500 points uma@example.com already earned for it stay" in text
    assert "will not be rewarded" not in text
    dashboard.dialog().get_by_role("button", name="Keep referral").click()
    page.get_by_role("dialog").wait_for(state="detached")

    # The action is reachable from the keyboard as well as on hover.
    pending = dashboard.row("wes@example.com")
    assert "3 of 4 · Coupon issued" in pending.inner_text()
    cancel = pending.get_by_role("button", name="Cancel referral")
    for _ in range(80):
        page.keyboard.press("Tab")
        if cancel.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the pending referral's Cancel referral")
    page.keyboard.press("Enter")
    dialog = dashboard.dialog()
    code = shop.pending_referral["discount_code"]
    assert (
        f"The referee's discount code {code} will be voided and can't be used at checkout."
        in dialog.inner_text()
    )
    assert "uma@example.com will not be rewarded for this referral, now or later." in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel referral").click()
    dashboard.toast("Referral cancelled")
    dashboard.wait_for_row("wes@example.com", "Cancelled", "Voided")
    assert shop.api("GET", f"/api/discount-codes/{code}").json()["status"] == "voided"
    assert dashboard.row("wes@example.com").get_by_role("button", name="Cancel referral").count() == 0


def test_merchant_moderates_reviews_and_google_reviews(busy_shop, dashboard):
    shop, page = busy_shop, dashboard.page
    dashboard.sign_in(shop, "/reviews")
    dashboard.heading("Review activities")
    review = dashboard.row("Lovely")
    assert "4 out of 5 stars" in review.inner_text()
    # People and products by name: the title from Vic's order, Vic's name and email.
    for shown in ("Linen shirt", "Vic Hale", "vic@example.com"):
        assert shown in review.inner_text()
    assert "Pending" in review.inner_text()
    review.get_by_role("button", name="Approve").click()
    dashboard.toast("Review approved")
    dashboard.wait_for_row("Lovely", "Approved", "50 points")

    page.get_by_role("link", name="Google reviews").click()
    dashboard.heading("Google review submissions")
    submission = dashboard.row("Open review")
    assert "Vic Hale" in submission.inner_text()
    submission.get_by_role("button", name="Reject").click()
    dashboard.toast("Google review rejected")
    dashboard.wait_for_row("Open review", "Rejected")
    assert submission.get_by_role("button", name="Approve").count() == 0

    # The customer's detail shows both.
    dashboard.open("/customers/6002")
    dashboard.heading("Vic Hale")
    reviews = page.locator(
        ".Polaris-ShadowBevel", has=page.get_by_role("heading", name="Reviews", exact=True)
    )
    assert "Approved" in reviews.inner_text()
    google = page.locator(".Polaris-ShadowBevel", has=page.get_by_role("heading", name="Google reviews"))
    assert "Rejected" in google.inner_text()


def test_rewards_and_program_settings_show_the_apis_validation_beside_each_field(deployed_system, dashboard):
    shop, page = deployed_system.create_shop("EUR"), dashboard.page  # money in the shop's currency
    dashboard.sign_in(shop, "/rewards")
    page.get_by_text("Create your first reward").wait_for()
    page.get_by_role("button", name="Create reward").first.click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Name").fill("Ten off")
    dialog.get_by_label("Kind").select_option("percentage")
    dialog.get_by_label("Percentage off").fill("150")
    dialog.get_by_label("Points cost").fill("0")
    dialog.get_by_role("button", name="Create reward").click()
    refused = shop.api(
        "POST",
        "/api/rewards",
        json={"name": "Ten off", "kind": "percentage", "value": "150", "points_cost": 0},
    ).json()["error"]["details"]
    messages = {detail["field"]: detail["message"] for detail in refused}
    assert set(messages) == {"value", "points_cost"}
    for label, field in (("Percentage off", "value"), ("Points cost", "points_cost")):
        # The dialog's own request answers in its own time.
        dialog.get_by_text(messages[field]).first.wait_for()
        described = dialog.get_by_label(label).get_attribute("aria-describedby")
        assert messages[field] in page.locator(f'[id="{described.split()[0]}"]').inner_text()
    dialog.get_by_label("Percentage off").fill("10")
    dialog.get_by_label("Points cost").fill("250")
    dialog.get_by_role("button", name="Create reward").click()
    dashboard.toast("Reward created")
    row = dashboard.row("Ten off")
    assert "10% off" in row.inner_text()
    assert "250 points" in row.inner_text()

    # An amount off is in the shop's currency, written the browser's way (en-US).
    page.get_by_role("button", name="Create reward").first.click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Name").fill("Five off")
    assert "“€5.00 off”" in dialog.inner_text()
    dialog.get_by_label("Amount off").fill("5")
    assert dialog.locator(".Polaris-TextField__Prefix").inner_text() == "€"
    dialog.get_by_label("Points cost").fill("100")
    dialog.get_by_role("button", name="Create reward").click()
    dashboard.toast("Reward created")
    assert "€5.00 off" in dashboard.row("Five off").inner_text()
    dashboard.screenshot("rewards-in-euros")

    page.get_by_role("link", name="Program settings").click()
    dashboard.heading("Program settings")
    page.get_by_text("Points for each €1.00 of an order's subtotal.").wait_for()
    page.get_by_label("Welcome coupon").select_option("fixed")
    coupon = page.locator(".Polaris-TextField", has=page.get_by_label("Coupon value"))
    assert coupon.locator(".Polaris-TextField__Prefix").inner_text() == "€"
    page.get_by_label("Return window").fill("30")
    page.get_by_label("Points expire after").fill("10")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The settings were not saved").wait_for()
    page.get_by_text("must be more than pending_days (30)").wait_for()
    page.get_by_label("Points expire after").fill("90")
    page.get_by_role("button", name="Save").click()
    dashboard.toast("Program settings saved")
    page.get_by_text("The settings were not saved").wait_for(state="detached")
    program = shop.api("GET", "/api/program").json()
    assert (program["pending_days"], program["expiry_days"]) == (30, 90)

    # The audit log says what changed as the screens say it, money in euros.
    page.get_by_role("link", name="Audit log").click()
    dashboard.heading("Audit log")
    created = dashboard.row("Five off").inner_text()
    assert "Kind: Fixed amount off" in created
    assert "Value: €5.00" in created
    assert "Points cost: 100 points" in created
    changed = dashboard.row("Changed the program settings").inner_text()
    assert re.search(r"Return window: [\d,]+ days? → 30 days", changed)
    assert re.search(r"Points expire after: .+ → 90 days", changed)


def test_a_service_that_is_down_is_named_where_its_data_is_missing(deployed_system, busy_shop, dashboard):
    shop, page, services = busy_shop, dashboard.page, deployed_system.processes
    dashboard.sign_in(shop)
    figure(page, "Points earned").wait_for()  # nothing left loading when the page reloads
    services.stop("referrals")
    try:
        # The overview: referrals' sections say so; points and reviews are there.
        with page.expect_response(is_overview, timeout=30_000) as answered:
            page.reload()
        for what in ("Referral totals", "Referral activities"):
            page.get_by_text(f"{what} are unavailable right now").wait_for()
        earned = answered.value.json()["totals"]["points_earned"]
        assert earned > 1000
        assert figure(page, "Points earned").inner_text() == f"{earned:,}"
        chart = section(page, "Points earned, redeemed and expired")
        bars(chart, f"Earned {earned:,}").wait_for(state="attached")
        assert "Waiting for you" in section(page, "Reviews").inner_text()
        section(page, "Review activities").get_by_text("Linen shirt").wait_for()
        assert page.get_by_text("Review totals are unavailable right now").count() == 0
        dashboard.screenshot("overview-referrals-unavailable")

        dashboard.open("/customers/6001")
        dashboard.heading("Uma Stone")
        page.get_by_text("Referrals are unavailable right now").wait_for(timeout=30_000)
        # The rest of the page works: the profile, the history (without
        # the referrals, and saying so), the actions.
        wait_for_profile(page, "Balance", "1,978 points")
        page.get_by_text("Not answering right now: referrals").wait_for(timeout=30_000)
        dashboard.row("Placed order #9601")
        assert not page.locator("tbody tr").filter(has_text="claimed a referral").count()
        assert page.get_by_role("button", name="Adjust points").is_enabled()
        dashboard.screenshot("customer-referrals-unavailable")

        page.get_by_role("link", name="Referral activities").click()
        dashboard.heading("Referral activities")
        banner = page.locator(".Polaris-Banner", has_text="Referral activities could not be loaded")
        banner.wait_for(timeout=30_000)
        assert "a service did not answer in time" in banner.inner_text()  # the gateway's words
        assert page.locator("tbody tr").count() == 0  # no stale rows under the error
    finally:
        services.start("referrals")
        services.wait_until_ready()
    page.get_by_role("button", name="Try again").click()
    dashboard.row("wes@example.com")
    page.get_by_text("Referral activities could not be loaded").wait_for(state="detached")
