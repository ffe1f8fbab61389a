"""Orders that earn nothing, amounts as large as real ones get, and webhooks
that can never apply (SPEC §7, "Orders that earn nothing"): refused at the
door with their reason, answered 200, listed by `loyalty webhooks refused`,
and never left to die in a dead-letter queue."""

import json
import time
import uuid

import pytest
from sqlalchemy import select

from loyalty.cli import main as loyalty_main
from loyalty.services import all_handler_queues
from services.gateway.models import metadata as gateway_metadata
from shared.db import make_engine
from shared.dead_letters import list_dead_letters
from tests.support import loyalty_cli, wait_for


def balance(shop, customer_id):
    response = shop.api("GET", f"/api/customers/{customer_id}")
    return response.json()["customer"]["balance"] if response.status_code == 200 else None


def order_award(shop, order_id):
    response = shop.api("GET", f"/api/orders/{order_id}")
    return response.json() if response.status_code == 200 else None


def order(order_id, customer_id="91001", **fields):
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "email": "kim@example.com",
        "customer": {"id": int(customer_id), "email": "kim@example.com"},
        "financial_status": "paid",
        "subtotal_price": "70.00",
        "currency": "USD",
        "created_at": "2026-11-20T10:00:00Z",
        **fields,
    }


def test_test_voided_refunded_and_excluded_members_orders_earn_nothing_and_say_why(shop):
    shop.customer_created("91001", "kim@example.com")
    shop.customer_created("91002", "lou@example.com")
    assert wait_for(lambda: balance(shop, "91002") == 0)
    assert shop.api("PUT", "/api/customers/91002/exclusion", json={"reason": "staff"}).status_code == 200

    for topic, body in [
        ("orders/create", order(92001, test=True)),
        ("orders/create", order(92002, financial_status="voided")),
        ("orders/create", order(92003, financial_status="refunded")),
        ("orders/paid", order(92004, customer_id="91002")),
    ]:
        assert shop.webhook(topic, body).json()["status"] == "accepted"
    # The same orders paid later still earn nothing; a real one does.
    assert shop.webhook("orders/paid", order(92001, test=True)).status_code == 200
    shop.webhook("orders/paid", order(92005, subtotal_price="12.00"))

    assert wait_for(lambda: balance(shop, "91001") == 12)
    reasons = {
        o: (order_award(shop, o) or {}).get("no_points_reason", "?") for o in (92001, 92002, 92003, 92004)
    }
    assert reasons == {92001: "test_order", 92002: "voided", 92003: "refunded", 92004: "member_excluded"}
    assert order_award(shop, 92001)["points"] == 0
    assert order_award(shop, 92005)["no_points_reason"] is None
    assert balance(shop, "91002") == 0


def test_amounts_up_to_a_trillion_earn_in_full_past_32_bits(shop):
    shop.customer_created("91101", "max@example.com")
    shop.webhook("orders/paid", order(92101, customer_id="91101", subtotal_price="1000000000000"))
    shop.webhook("orders/paid", order(92102, customer_id="91101", subtotal_price=2147483648.5))

    assert wait_for(lambda: balance(shop, "91101") == 10**12 + 2_147_483_648)
    refund = {"id": 93101, "order_id": 92101, "refund_line_items": [{"subtotal": "500000000000.00"}]}
    assert shop.webhook("refunds/create", refund).json()["status"] == "accepted"
    assert wait_for(lambda: balance(shop, "91101") == 10**12 // 2 + 2_147_483_648)


IMPOSSIBLE = {
    "amount in exponent form": ("orders/paid", order(1, subtotal_price="1e30"), "subtotal_price"),
    "amount past 10^12 as a number": ("orders/paid", order(2, subtotal_price=1e30), "subtotal_price"),
    "amount just past 10^12": ("orders/paid", order(3, subtotal_price="1000000000000.01"), "subtotal_price"),
    "amount not a number": ("orders/paid", order(4, subtotal_price="NaN"), "subtotal_price"),
    "amount with a comma": ("orders/paid", order(5, subtotal_price="12,50"), "subtotal_price"),
    "amount with a symbol": ("orders/paid", order(6, total_price="$12.50"), "total_price"),
    "amount of 4 decimals": ("orders/paid", order(7, subtotal_price="1.0001"), "subtotal_price"),
    "negative amount": ("orders/paid", order(8, subtotal_price="-5.00"), "subtotal_price"),
    "unknown currency format": ("orders/paid", order(9, currency="dollars"), "currency"),
    "order name of 301 characters": ("orders/paid", order(10, name="#" + "1" * 300), "name"),
    "NUL in the order name": ("orders/paid", order(11, name="#1\x0011"), "name"),
    "NUL in the email": ("orders/paid", order(12, email="kim\x00@example.com"), "email"),
    "customer id of 65 characters": ("orders/paid", order(13, customer={"id": "9" * 65}), "customer.id"),
    "order number past 64 bits": ("orders/paid", order(14, name=None, order_number=10**30), "order_number"),
    "NUL in a discount code": (
        "orders/paid",
        order(15, discount_codes=[{"code": "WELCOME\x00"}]),
        "discount_codes.0.code",
    ),
    "refund past 10^12": (
        "refunds/create",
        {
            "id": 16,
            "order_id": 1,
            "refund_line_items": [{"subtotal": "999999999999"}, {"subtotal": "999999999999"}],
        },
        "refund_line_items",
    ),
    "NUL in a product title": (
        "orders/paid",
        order(20, line_items=[{"product_id": 1, "title": "Shirt\x00"}]),
        "line_items.0.title",
    ),
    "NUL in a first name": ("customers/create", {"id": 17, "first_name": "Ann\x00"}, "first_name"),
    "last name of 201 characters": ("customers/create", {"id": 18, "last_name": "L" * 201}, "last_name"),
}


@pytest.fixture(scope="module")
def refused_shop(system):
    """One shop that was sent every impossible webhook, then a good order."""
    shop = system.create_shop()
    answers = {name: shop.webhook(topic, body) for name, (topic, body, _) in IMPOSSIBLE.items()}
    answers["not JSON"] = shop.webhook("orders/paid", None, raw=b"{not json")
    answers["a JSON array"] = shop.webhook("orders/paid", None, raw=b"[1, 2]")
    answers["NaN literal"] = shop.webhook("orders/paid", None, raw=b'{"id": 19, "subtotal_price": NaN}')
    shop.answers = answers
    return shop


def test_impossible_webhooks_are_answered_200_and_refused_naming_the_field(refused_shop):
    for name, (_, _, field) in IMPOSSIBLE.items():
        answer = refused_shop.answers[name]
        assert answer.status_code == 200, name
        assert answer.json()["status"] == "refused", name
        assert field in [d["field"] for d in answer.json()["details"] or []], (name, answer.json())
    for name in ("not JSON", "a JSON array", "NaN literal"):
        assert refused_shop.answers[name].status_code == 200, name
        assert refused_shop.answers[name].json()["status"] == "refused", name


def test_nothing_impossible_reaches_an_event_or_a_dead_letter_queue(system, refused_shop):
    refused_shop.customer_created("91201", "nia@example.com")
    good = refused_shop.webhook("orders/paid", order(92201, customer_id="91201", subtotal_price="5.00"))
    assert good.json()["status"] == "accepted"
    # A later good event is handled; by then any earlier failure would have
    # run through the retry ladder (100 + 200 + 300 ms in tests) as well.
    assert wait_for(lambda: balance(refused_shop, "91201") == 5)
    time.sleep(1.0)

    letters = [
        d
        for d in list_dead_letters(system.amqp_uri, all_handler_queues())
        if d["body"]["shop_id"] == refused_shop.id
    ]
    assert letters == []
    outbox = gateway_metadata.tables["outbox"]
    engine = make_engine(system.gateway_database_url)
    with engine.connect() as conn:
        published = (
            conn.execute(select(outbox.c.event_type).where(outbox.c.shop_id == refused_shop.id))
            .scalars()
            .all()
        )
    engine.dispose()
    assert sorted(published) == ["customer_created", "order_placed"]


def refused_listing(capsys, *args) -> dict:
    """`loyalty webhooks refused ARGS --json`, run in this process (quick)."""
    loyalty_main(["webhooks", "refused", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_the_operator_lists_refused_webhooks_with_their_reasons_page_by_page(system, refused_shop, capsys):
    expected = len(IMPOSSIBLE) + 3
    page = refused_listing(capsys, "--shop", refused_shop.domain, "--limit", "15")
    rest = refused_listing(capsys, "--shop", refused_shop.domain, "--before", str(page["next_before"]))

    items = page["items"] + rest["items"]
    assert (len(page["items"]), rest["next_before"]) == (15, None)
    assert len(items) == len({item["id"] for item in items}) == expected
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)
    assert {item["shop"] for item in items} == {refused_shop.domain}
    newest = items[0]
    assert (newest["topic"], newest["reason"]) == ("orders/paid", "request is not valid")
    names = [d["field"] for item in items for d in item["details"] or []]
    assert "subtotal_price" in names
    assert "currency" in names
    assert any(item["reason"] == "request body is not valid JSON" for item in items)
    with pytest.raises(SystemExit, match="no such shop"):
        loyalty_main(["webhooks", "refused", "--shop", f"nope-{uuid.uuid4().hex[:6]}.myshopify.com"])

    # As the operator's shell shows it: one line each, and how to go on.
    as_text = loyalty_cli(system, "webhooks", "refused", "--shop", refused_shop.domain, "--limit", "2")
    lines = as_text.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{newest['id']}  ")
    assert "not valid" in lines[0]
    assert lines[-1] == f"more: loyalty webhooks refused --before {items[1]['id']}"
