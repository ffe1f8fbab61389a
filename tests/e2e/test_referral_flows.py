"""The two flows of the design card, end to end over HTTP."""

import uuid

import pytest
from sqlalchemy import select

from services.referrals.models import metadata as referrals_metadata
from shared import config
from shared.db import make_engine
from tests.support import EventTap, wait_for


@pytest.fixture
def gateway_events(system):
    tap = EventTap(system.amqp_uri, "gateway")
    yield tap
    tap.close()


@pytest.fixture
def referrals_db(system):
    engine = make_engine(config.database_url("referrals"))
    yield engine
    engine.dispose()


def referrals_handled_order(shop, gateway_events, referrals_db, order_id: str) -> bool:
    """Whether referrals has handled the order's order_placed: its inbox row
    commits with whatever the order did to a referral, so once it is there
    a referral the order did not complete never will be."""
    event_ids = wait_for(
        lambda: [
            e["body"]["event_id"]
            for e in gateway_events.drain()
            if e["body"]["type"] == "order_placed"
            and e["body"]["shop_id"] == shop.id
            and e["body"]["payload"]["order_id"] == order_id
        ]
    )
    assert event_ids, f"no order_placed for order {order_id}"
    processed = referrals_metadata.tables["processed_events"]
    with referrals_db.connect() as conn:
        return (
            conn.execute(
                select(processed.c.event_id).where(
                    processed.c.event_id == event_ids[0],
                    processed.c.handler == "referrals.complete_referral_for_order",
                )
            ).first()
            is not None
        )


def new_customer(shop, customer_id: str, email: str):
    shop.customer_created(customer_id, email)
    assert wait_for(lambda: shop.api("GET", f"/api/customers/{customer_id}").status_code == 200)


def referral_link(shop, customer_id: str) -> str:
    response = shop.storefront(
        "POST",
        "/referral-links",
        json={"customer_id": customer_id, "customer_token": shop.customer_token(customer_id)},
    )
    assert response.status_code == 201, response.text
    assert response.json()["url"].endswith(response.json()["code"])
    return response.json()["code"]


def claim(shop, code: str, email: str) -> dict:
    assert shop.storefront("POST", f"/referrals/{code}/clicks").status_code == 201
    response = shop.storefront("POST", f"/referrals/{code}/claims", json={"email": email})
    assert response.status_code == 201, response.text
    return response.json()


def balance(shop, customer_id: str):
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def referral_row(shop, referral_id: str):
    rows = shop.api("GET", "/api/activities/referrals").json()["items"]
    return next((row for row in rows if row["id"] == referral_id), None)


def test_order_with_welcome_code_completes_referral_and_rewards_referrer_once(shop):
    new_customer(shop, "1001", "alice@example.com")
    code = referral_link(shop, "1001")
    claimed = claim(shop, code, "bob@example.com")
    welcome = claimed["discount_code"]

    at_checkout = shop.storefront("GET", f"/discount-codes/{welcome}").json()
    assert at_checkout["valid"] is True

    shop.order(5001, "2002", "bob@example.com", "40.00", discount_codes=[welcome])

    # The referrer earns the program's referral reward (500 by default), once.
    assert wait_for(lambda: balance(shop, "1001") == 500)
    assert wait_for(lambda: balance(shop, "2002") == 40)
    # The code's status comes from points (discount_code_used), apart from the reward.
    row = wait_for(
        lambda: (
            (r := referral_row(shop, claimed["referral_id"]))
            and r["referrer_reward_points"]
            and r["discount_code_status"] == "used"
            and r
        )
    )
    assert row, referral_row(shop, claimed["referral_id"])
    assert row["status"] == "completed"
    assert row["discount_code_status"] == "used"
    assert row["referee_email"] == "bob@example.com"
    assert row["referrer_reward_points"] == 500
    steps = row["steps"]
    assert all(
        steps[k] for k in ("link_clicked_at", "email_entered_at", "coupon_issued_at", "order_placed_at")
    )

    # The code is used now, and a second paid order changes nothing.
    assert shop.api("GET", f"/api/discount-codes/{welcome}").json()["status"] == "used"
    shop.order(5002, "2002", "bob@example.com", "10.00", discount_codes=[welcome])
    assert wait_for(lambda: balance(shop, "2002") == 50)
    assert balance(shop, "1001") == 500


def test_order_from_the_claimed_email_completes_the_referral(shop):
    new_customer(shop, "1101", "carol@example.com")
    claimed = claim(shop, referral_link(shop, "1101"), "dave@example.com")
    shop.order(5101, "2101", "Dave@Example.com", "12.00")  # no code, the claimed email
    assert wait_for(lambda: balance(shop, "1101") == 500)
    assert referral_row(shop, claimed["referral_id"])["status"] == "completed"


def test_referrers_own_order_never_completes_their_referral(shop, gateway_events, referrals_db):
    new_customer(shop, "1201", "erin@example.com")
    claimed = claim(shop, referral_link(shop, "1201"), "frank@example.com")
    shop.order(5201, "1201", "erin@example.com", "30.00", discount_codes=[claimed["discount_code"]])
    assert wait_for(lambda: balance(shop, "1201") == 30)  # her own order's points only
    assert wait_for(lambda: referrals_handled_order(shop, gateway_events, referrals_db, "5201"))
    assert referral_row(shop, claimed["referral_id"])["status"] == "pending"


def test_cancelled_pending_referral_voids_the_code_and_never_rewards(shop, gateway_events, referrals_db):
    new_customer(shop, "1301", "gina@example.com")
    claimed = claim(shop, referral_link(shop, "1301"), "hank@example.com")
    welcome = claimed["discount_code"]

    response = shop.api("POST", f"/api/referrals/{claimed['referral_id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"

    assert wait_for(lambda: shop.api("GET", f"/api/discount-codes/{welcome}").json()["status"] == "voided")
    assert wait_for(lambda: referral_row(shop, claimed["referral_id"])["discount_code_status"] == "voided")
    at_checkout = shop.storefront("GET", f"/discount-codes/{welcome}").json()
    assert at_checkout["valid"] is False
    assert at_checkout["reason"] == "voided"

    # The referee orders anyway: no completion, no reward for the referrer.
    shop.order(5301, "2301", "hank@example.com", "20.00", discount_codes=[welcome])
    assert wait_for(lambda: balance(shop, "2301") == 20)
    # Still cancelled once referrals handled the order: no referral_completed
    # was published, so points has nothing to reward.
    assert wait_for(lambda: referrals_handled_order(shop, gateway_events, referrals_db, "5301"))
    assert referral_row(shop, claimed["referral_id"])["status"] == "cancelled"
    assert balance(shop, "1301") == 0
    again = shop.api("POST", f"/api/referrals/{claimed['referral_id']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_cancelling_a_completed_referral_voids_the_referees_unused_code(shop):
    new_customer(shop, "1401", "ivy@example.com")
    claimed = claim(shop, referral_link(shop, "1401"), "jack@example.com")
    shop.order(5401, "2401", "jack@example.com", "15.00")  # completes by email; code unused
    assert wait_for(lambda: balance(shop, "1401") == 500)

    assert shop.api("POST", f"/api/referrals/{claimed['referral_id']}/cancel").status_code == 200
    assert wait_for(
        lambda: (
            shop.api("GET", f"/api/discount-codes/{claimed['discount_code']}").json()["status"] == "voided"
        )
    )
    assert balance(shop, "1401") == 500  # what was earned stays earned


def test_claim_refusals_say_why(shop):
    new_customer(shop, "1501", "kate.smith@example.com")
    new_customer(shop, "1502", "existing@example.com")
    code = referral_link(shop, "1501")

    def claim_status(email):
        response = shop.storefront("POST", f"/referrals/{code}/claims", json={"email": email})
        return response.status_code, response.json()["error"]["code"] if response.status_code >= 400 else None

    assert claim_status("not-an-email") == (422, "unprocessable")
    assert claim_status("katesmith+friend@example.com") == (409, "conflict")  # herself, disguised
    assert claim_status("existing@example.com") == (409, "conflict")
    assert claim_status(f"new-{uuid.uuid4().hex[:6]}@example.com")[0] == 201
    assert (
        shop.storefront("POST", "/referrals/NOSUCHCODE/claims", json={"email": "x@example.com"}).status_code
        == 404
    )
