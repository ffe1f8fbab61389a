"""Importing balances on the dashboard in a real headless Chromium, against
the system as separate processes: a merchant moving from another app
uploads a CSV file of a few hundred customers, watches its rows apply, reads
which lines failed and why, finds a customer's balance from the file on that
customer's page, uploads the same file again to no effect, and is told in
the page's words why a file that cannot be an import was refused."""

import os
import re

import pytest

from tests.e2e.dashboard import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

ROWS = 300
# Line numbers in the file (the header is line 1) of rows that cannot apply.
NOT_A_NUMBER = {17, 150, 299}
NO_CUSTOMER_ID = {42, 301}


def balances_file() -> tuple[bytes, dict[str, int]]:
    """The CSV file, and the balance each good row gives its customer."""
    lines = ["customer_id,email,points,first_name,last_name"]
    balances = {}
    for line in range(2, ROWS + 2):
        customer_id, points = str(81000 + line), 10 * line
        if line in NOT_A_NUMBER:
            lines.append(f"{customer_id},c{line}@example.com,lots,Cleo,Row{line}")
        elif line in NO_CUSTOMER_ID:
            lines.append(f",c{line}@example.com,{points},Cleo,Row{line}")
        else:
            lines.append(f"{customer_id},c{line}@example.com,{points},Cleo,Row{line}")
            balances[customer_id] = points
    return ("\n".join(lines) + "\n").encode(), balances


def choose_file(page, name: str, content: bytes) -> None:
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )


def test_a_merchant_imports_balances_and_reads_which_rows_failed(deployed_system, dashboard):
    shop, page = deployed_system.create_shop(), dashboard.page
    content, balances = balances_file()
    bad_lines = NOT_A_NUMBER | NO_CUSTOMER_ID
    dashboard.sign_in(shop, "/customers")
    page.get_by_role("link", name="Import balances").first.click()  # the page's action, or the navigation's
    dashboard.heading("Import balances")
    page.get_by_text("Export your customers' balances from your old app").wait_for()  # nothing imported yet

    choose_file(page, "balances.csv", content)
    page.get_by_text("balances.csv").wait_for()
    page.get_by_role("button", name="Import balances").click()
    dashboard.toast("Import started")
    # The progress reaches every row, then the summary says what happened.
    page.get_by_text(f"{ROWS} of {ROWS} rows").wait_for(timeout=60_000)
    page.get_by_text(f"Imported {ROWS - len(bad_lines)} rows, {len(bad_lines)} rows failed").wait_for()
    lines_shown = {
        int(text.removeprefix("Line "))
        for text in page.locator("tbody tr td:first-child").all_inner_texts()
        if re.fullmatch(r"Line \d+", text)
    }
    assert lines_shown == bad_lines
    for line in NOT_A_NUMBER:  # each line's own reason
        assert "points" in dashboard.row(f"Line {line}").inner_text().lower()
    import_url = page.url
    dashboard.screenshot("import-balances-done")
    dashboard.wait_for_row(
        "balances.csv", "Done", f"{ROWS - len(bad_lines)} of {ROWS} imported, {len(bad_lines)} failed"
    )

    # A customer from the file, with the balance the file gave them.
    customer_id, points = "81003", balances["81003"]
    dashboard.open(f"/customers/{customer_id}")
    dashboard.heading("Cleo Row3")
    page.get_by_text(f"{points} points", exact=True).first.wait_for()
    assert shop.api("GET", f"/api/customers/{customer_id}").json()["customer"]["balance"] == points

    # The same file again: the same import, nothing applied twice.
    page.get_by_role("link", name="Customers", exact=True).first.click()
    page.get_by_role("link", name="Import balances").first.click()
    choose_file(page, "balances.csv", content)
    page.get_by_role("button", name="Import balances").click()
    dashboard.toast("This file was imported already")
    page.wait_for_url(import_url)
    assert len(shop.api("GET", "/api/imports").json()["items"]) == 1
    assert shop.api("GET", f"/api/customers/{customer_id}").json()["customer"]["balance"] == points


def test_a_file_that_cannot_be_an_import_is_refused_in_the_pages_words(deployed_system, dashboard):
    shop, page = deployed_system.create_shop(), dashboard.page
    dashboard.sign_in(shop, "/customers/import")
    dashboard.heading("Import balances")

    choose_file(page, "colours.csv", b"customer_id,email,points,favourite_colour\n1,a@example.com,5,teal\n")
    page.get_by_role("button", name="Import balances").click()
    refusal = page.locator(".Polaris-Banner", has_text="This file cannot be imported")
    refusal.wait_for()
    refusal.get_by_text("favourite_colour").first.wait_for()  # the API's words name the column
    refusal.get_by_text("Nothing was imported").wait_for()
    assert shop.api("GET", "/api/imports").json()["items"] == []
    assert shop.api("GET", "/api/customers/1").status_code == 404

    # Not a CSV file at all: not sent.
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "balances.xlsx", "mimeType": "application/vnd.ms-excel", "buffer": b"PK\x03\x04"}]
    )
    page.get_by_text("Choose a .csv file.").wait_for()
    assert page.get_by_role("button", name="Import balances").is_disabled()
