"""The dashboard's outbound webhooks in a real headless Chromium, against
the system as separate processes and a real HTTP receiver on loopback: a
merchant adds an endpoint (the API's refusals beside their fields; a
press whose answer was lost, pressed again, adds it once), copies its
signing secret from the one place it is ever shown, sends a test and
reads it in the delivery log, pauses it and is told why a test is not sent,
and deletes it."""

import os
import re

import pytest

from services.webhooks.tests.receiver import start_receiver
from tests.e2e.dashboard import CHROMIUM
from tests.support import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def receiver():
    receiver = start_receiver()  # the deployed system allows http to loopback (conftest)
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_merchant_adds_tests_pauses_and_deletes_a_webhook(deployed_system, dashboard, receiver):
    shop, page = deployed_system.create_shop(), dashboard.page
    dashboard.sign_in(shop, "/webhooks")
    dashboard.heading("Outbound webhooks")
    page.get_by_text("Add an https endpoint and pick topics").wait_for()  # the empty state's next step

    page.get_by_role("button", name="Add webhook").first.click()
    dialog = dashboard.dialog()
    dialog.get_by_label("Endpoint URL").fill("ftp://example.com/hooks")
    dialog.get_by_role("button", name="Add webhook").click()
    # The API's 422, each message beside its field.
    dialog.get_by_text("must be an absolute https:// URL").wait_for()
    assert dialog.locator(".Polaris-InlineError").count() == 2  # the URL, and no topic picked

    # The first answer is lost on the way back; pressing the button again
    # adds no second webhook and shows the secret the first press made (the
    # dialog keeps its Idempotency-Key).
    lost = []

    def lose_first_answer(route):
        if lost or route.request.method != "POST":
            return route.continue_()
        lost.append(route.request.headers["idempotency-key"])
        lost.append(route.fetch().json())  # the subscription is made...
        route.abort()  # ...but the page never hears back

    page.route("**/api/webhook-subscriptions", lose_first_answer)
    dialog.get_by_label("Endpoint URL").fill(receiver.url)
    dialog.get_by_label("points.earned").check()
    dialog.get_by_role("button", name="Add webhook").click()
    dialog.get_by_text("Add webhook did not work").wait_for()
    dialog.get_by_role("button", name="Add webhook").click()
    dialog.get_by_text("Copy the signing secret now").wait_for()
    dashboard.toast("Webhook added")
    page.unroute("**/api/webhook-subscriptions")
    secret = dialog.get_by_label("Signing secret").input_value()
    assert len(secret) >= 32
    assert secret == lost[1]["signing_secret"]
    assert [item["id"] for item in shop.api("GET", "/api/webhook-subscriptions").json()["items"]] == [
        lost[1]["id"]
    ]
    dialog.get_by_role("button", name="Done").click()
    row = dashboard.row(receiver.url)
    row.get_by_text("points.earned").wait_for()
    row.get_by_text("Active").wait_for()
    assert secret not in page.content()  # shown that once only

    row.get_by_role("link", name=f"Delivery log of {receiver.url}").click()
    dashboard.heading("Delivery log")
    page.get_by_text("Nothing sent yet").wait_for()
    page.get_by_role("button", name="Send test").first.click()
    dashboard.toast("Test sent")
    assert wait_for(lambda: receiver.received, timeout=30)
    [request] = receiver.received
    assert request.headers["X-Loyalty-Topic"] == "test"
    assert request.signed_with(secret)
    event_id = request.headers["X-Loyalty-Event-Id"]
    dashboard.wait_for_row("test", event_id, "Delivered", "200")
    dashboard.screenshot("webhooks-delivery-log-delivered")

    page.get_by_role("link", name="Outbound webhooks", exact=True).first.click()
    row = dashboard.row(receiver.url)
    row.get_by_role("button", name="Pause").click()
    dashboard.toast("Webhook paused")
    row.get_by_text("Paused").wait_for()
    row.get_by_role("button", name="Send test").click()
    # The API's 409, naming why.
    page.locator(".Polaris-Frame-Toast", has_text=re.compile("Test not sent: .*paused")).wait_for()
    assert len(receiver.received) == 1

    row.get_by_role("button", name="Delete").click()
    dialog = dashboard.dialog()
    dialog.get_by_text("This cannot be undone").wait_for()
    dialog.get_by_role("button", name="Delete webhook").click()
    dashboard.toast("Webhook deleted")
    page.get_by_text("Add an https endpoint and pick topics").wait_for()
    assert shop.api("GET", "/api/webhook-subscriptions").json()["items"] == []
