"""An import of balances (docs/imports.md) whose points service is killed
(SIGKILL) half-way through applying it: once points runs again the import
goes on where it stopped and finishes, every row applied exactly once —
no balance missing, none doubled."""

import pytest
from sqlalchemy import create_engine, text

from tests.resilience.conftest import fleet_on_private_vhost
from tests.support import wait_for

ROWS = 30_000
IMPORTED = "Adjusted by admin: Imported balance"


@pytest.fixture
def services(services_env, tmp_path):
    with fleet_on_private_vhost(services_env, tmp_path) as processes:
        yield processes


def progress(shop, import_id: str) -> dict | None:
    response = shop.api("GET", f"/api/imports/{import_id}")
    return response.json() if response.status_code == 200 else None


def imported_entries(services, shop_id: str) -> tuple[int, int, int]:
    """(entries, distinct rows they came from, points) in the ledger."""
    engine = create_engine(services.env["POINTS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    text(
                        "SELECT count(*), count(DISTINCT reference), coalesce(sum(points), 0) "
                        "FROM point_activities WHERE shop_id = :shop AND action = :action"
                    ),
                    {"shop": shop_id, "action": IMPORTED},
                ).one()
            )
    finally:
        engine.dispose()


def test_an_import_cut_off_by_a_killed_points_service_resumes_and_applies_every_row_once(services):
    shop = services.system.create_shop()
    content = "customer_id,email,points\n" + "".join(
        f"{80000 + n},c{n}@example.com,{n % 50 + 1}\n" for n in range(ROWS)
    )
    posted = shop.api(
        "POST",
        "/api/imports/points",
        data=content.encode(),
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert posted.status_code == 202, posted.text
    import_id = posted.json()["id"]

    # Killed while applying: some batches committed, the rest not yet.
    started = wait_for(
        lambda: (state := progress(shop, import_id)) and state["rows_done"] > 0 and state, timeout=60
    )
    assert started, services.logs()
    services.kill("points")
    applied_before_kill = imported_entries(services, shop.id)[0]
    assert 0 < applied_before_kill < ROWS, "the import finished before the kill: nothing was cut off"

    services.start("points")
    done = wait_for(
        lambda: (state := progress(shop, import_id)) and state["status"] == "done" and state, timeout=180
    )

    assert done, (progress(shop, import_id), services.logs())
    assert (done["rows_total"], done["rows_done"], done["rows_failed"]) == (ROWS, ROWS, 0)
    assert imported_entries(services, shop.id) == (ROWS, ROWS, sum(n % 50 + 1 for n in range(ROWS)))
    assert (
        shop.api("GET", f"/api/customers/{80000 + ROWS - 1}").json()["customer"]["balance"]
        == (ROWS - 1) % 50 + 1
    )
