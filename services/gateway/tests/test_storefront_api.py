"""The storefront API: addressed by shop domain, no admin key; calls made on
a customer's behalf must carry that customer's token."""

import pytest

from services.gateway.tests.conftest import answer
from shared.errors import Conflict, Unprocessable


def test_a_signed_customer_gets_their_referral_link(gateway, shop):
    answer(
        gateway.referrals.create_referral_link,
        {"code": "ANN-7QX2", "customer_id": "1001", "clicks": 0, "created_at": "2026-11-20T10:00:00Z"},
    )

    response = shop.storefront(
        "POST", "/referral-links", json={"customer_id": "1001", "customer_token": shop.customer_token("1001")}
    )

    assert response.status_code == 201
    assert response.json() == {"code": "ANN-7QX2", "url": f"https://{shop.domain}/?ref=ANN-7QX2"}
    gateway.referrals.create_referral_link.call_async.assert_called_once_with(
        shop_id=shop.id, customer_id="1001"
    )


def test_a_numeric_customer_id_is_signed_as_text(gateway, shop):
    answer(gateway.referrals.create_referral_link, {"code": "C1"})
    response = shop.storefront(
        "POST", "/referral-links", json={"customer_id": 1001, "customer_token": shop.customer_token("1001")}
    )
    assert response.status_code == 201
    assert gateway.referrals.create_referral_link.call_async.call_args.kwargs["customer_id"] == "1001"


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/referral-links", {}),
        ("/reviews", {"product_id": "p1", "rating": 5, "title": "t", "body": "b"}),
        ("/google-reviews", {"review_url": "https://maps.google.com/review/1"}),
    ],
)
def test_a_wrong_customer_token_is_401_and_nothing_is_asked(gateway, shop, other_shop, path, extra):
    forgeries = [
        other_shop.customer_token("1001"),  # another shop's secret
        shop.customer_token("1002"),  # another customer
        "0" * 64,
    ]
    for token in forgeries:
        response = shop.storefront(
            "POST", path, json={"customer_id": "1001", "customer_token": token, **extra}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert gateway.referrals.mock_calls == gateway.reviews.mock_calls == []


def test_a_missing_token_is_422_naming_it(gateway, shop):
    response = shop.storefront("POST", "/referral-links", json={"customer_id": "1001"})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["customer_token"]


def test_an_unknown_shop_is_404(gateway):
    response = gateway.post("/storefront/nobody.myshopify.com/referrals/ABC/clicks")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert gateway.referrals.mock_calls == []


def test_a_click_is_recorded_with_the_clients_address(gateway, shop):
    answer(gateway.referrals.record_click, {"code": "ANN-7QX2", "clicks": 3})

    response = shop.storefront("POST", "/referrals/ANN-7QX2/clicks")

    assert response.status_code == 201
    assert response.json() == {"code": "ANN-7QX2", "clicks": 3}
    gateway.referrals.record_click.call_async.assert_called_once_with(
        shop_id=shop.id, code="ANN-7QX2", client_ip="127.0.0.1"
    )


def test_a_claim_returns_the_welcome_code(gateway, shop):
    answer(
        gateway.referrals.claim_referral,
        {"referral_id": "ref_1", "discount_code": "WELCOME-9", "status": "pending"},
    )

    response = shop.storefront("POST", "/referrals/ANN-7QX2/claims", json={"email": "bob@example.com"})

    assert response.status_code == 201
    assert response.json()["discount_code"] == "WELCOME-9"
    assert response.json()["referral_id"] == "ref_1"
    gateway.referrals.claim_referral.call_async.assert_called_once_with(
        shop_id=shop.id, code="ANN-7QX2", email="bob@example.com", client_ip="127.0.0.1"
    )


def test_a_claim_with_an_invalid_email_is_422_before_any_call(gateway, shop):
    response = shop.storefront("POST", "/referrals/ANN-7QX2/claims", json={"email": "bob-at-example"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "email"
    assert gateway.referrals.mock_calls == []


def test_a_refused_claim_carries_the_services_reason(gateway, shop):
    answer(
        gateway.referrals.claim_referral,
        Conflict("this email was already referred", {"reason": "already_referred"}),
    )
    response = shop.storefront("POST", "/referrals/ANN-7QX2/claims", json={"email": "bob@example.com"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "this email was already referred",
        "details": {"reason": "already_referred"},
    }


def test_a_signed_review_is_submitted(gateway, shop):
    review = {"id": "rev_1", "customer_id": "1001", "product_id": "p1", "rating": 4, "status": "pending"}
    answer(gateway.reviews.submit_review, review)

    response = shop.storefront(
        "POST",
        "/reviews",
        json={
            "customer_id": "1001",
            "customer_token": shop.customer_token("1001"),
            "product_id": "p1",
            "rating": 4,
            "title": " Nice ",
            "body": "Fits well",
            "media_urls": ["https://cdn.example.com/1.jpg"],
            "unexpected": "ignored",
        },
    )

    assert response.status_code == 201
    assert response.json() == review
    gateway.reviews.submit_review.call_async.assert_called_once_with(
        shop_id=shop.id,
        customer_id="1001",
        product_id="p1",
        rating=4,
        title="Nice",
        body="Fits well",
        media_urls=["https://cdn.example.com/1.jpg"],
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"product_id": ""}, "product_id"),
        ({"media_urls": "https://cdn.example.com/1.jpg"}, "media_urls"),
    ],
)
def test_an_invalid_review_is_422_naming_the_field(gateway, shop, change, field):
    body = {
        "customer_id": "1001",
        "customer_token": shop.customer_token("1001"),
        "product_id": "p1",
        "rating": 5,
        **change,
    }
    response = shop.storefront("POST", "/reviews", json=body)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert gateway.reviews.mock_calls == []


def test_a_signed_google_review_is_submitted(gateway, shop):
    answer(gateway.reviews.submit_google_review, {"id": "gr_1", "status": "pending"})

    response = shop.storefront(
        "POST",
        "/google-reviews",
        json={
            "customer_id": "1001",
            "customer_token": shop.customer_token("1001"),
            "review_url": "https://maps.google.com/review/1",
        },
    )

    assert response.status_code == 201
    gateway.reviews.submit_google_review.call_async.assert_called_once_with(
        shop_id=shop.id, customer_id="1001", review_url="https://maps.google.com/review/1"
    )


def test_the_services_own_validation_comes_back_as_422(gateway, shop):
    answer(
        gateway.reviews.submit_google_review,
        Unprocessable("request is not valid", [{"field": "review_url", "message": "not a URL"}]),
    )
    response = shop.storefront(
        "POST",
        "/google-reviews",
        json={"customer_id": "1001", "customer_token": shop.customer_token("1001"), "review_url": "nope"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "review_url", "message": "not a URL"}]


def test_checkout_asks_whether_a_code_is_valid(gateway, shop):
    answer(
        gateway.points.check_discount_code,
        {
            "code": "WELCOME-9",
            "valid": False,
            "reason": "voided",
            "value_type": "fixed_amount",
            "value": "5.00",
        },
    )

    response = shop.storefront("GET", "/discount-codes/WELCOME-9")

    assert response.status_code == 200
    assert (response.json()["valid"], response.json()["reason"]) == (False, "voided")
    gateway.points.check_discount_code.call_async.assert_called_once_with(shop_id=shop.id, code="WELCOME-9")
