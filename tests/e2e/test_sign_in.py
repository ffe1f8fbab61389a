"""A staff member of the shop, inside the Shopify admin, acts with the
session token App Bridge gives the embedded app: the tokens here are built
independently with PyJWT, as Shopify builds them, and sent over HTTP to the
whole system. Only a valid one is accepted, and the audit trail then names
the staff member."""

import base64
import json
import time

import jwt

from tests.e2e.test_points_api import audit, new_member
from tests.support import shopify_session_token


def adjust_as(shop, bearer: str, points: int, reason: str):
    """Adjust customer 6101's points with `Authorization: Bearer <bearer>`."""
    return shop.api(
        "POST",
        "/api/customers/6101/points-adjustments",
        key=bearer,
        json={"points": points, "reason": reason},
    )


def tampered(token: str, **claims) -> str:
    """`token` with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def test_only_a_valid_session_token_acts_and_its_staff_member_is_the_actor(shop, other_shop):
    new_member(shop, "6101", "sam@example.com")
    now = int(time.time())

    def token(secret=shop.webhook_secret, **claims):
        return shopify_session_token(shop.domain, secret, **{"sub": "74123", **claims})

    valid = token()
    forged_alg = jwt.encode(jwt.decode(valid, options={"verify_signature": False}), None, algorithm="none")
    # (what is wrong, the token, what the refusal says): each refused for its own reason.
    refused = [
        ("expired", token(exp=now - 10, nbf=now - 70, iat=now - 70), "Signature has expired"),
        ("not yet valid", token(nbf=now + 60, exp=now + 120), "not yet valid (nbf)"),
        ("wrong aud", token(aud="another-app"), "Audience doesn't match"),
        ("dest of another shop", token(dest=f"https://{other_shop.domain}"), "signature does not match"),
        ("iss of another shop", token(iss=f"https://{other_shop.domain}/admin"), "Invalid issuer"),
        ("another shop's secret", token(secret=other_shop.webhook_secret), "signature does not match"),
        ("alg none", forged_alg, "alg value is not allowed"),
        ("tampered payload", tampered(valid, sub="1"), "signature does not match"),
        ("no sub", token(sub=None), 'missing the "sub" claim'),
        ("no exp", token(exp=None), 'missing the "exp" claim'),
        ("dest with a path", token(dest=f"https://{shop.domain}/admin"), "dest is not a shop"),
    ]

    for case, sent, reason in refused:
        response = adjust_as(shop, sent, 600, f"Refused: {case}")
        assert response.status_code == 401, (case, response.text)
        error = response.json()["error"]
        assert error["code"] == "unauthorized"
        assert reason in error["message"], case
    # 5 s of leeway for clocks that disagree: a token valid 3 s from now is taken.
    within_leeway = token(nbf=now + 3)
    accepted = adjust_as(shop, valid, 600, "Goodwill from the admin")
    assert adjust_as(shop, within_leeway, 1, "Within leeway").status_code == 201

    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["activity"]["actor"] == "staff:74123"
    assert [(e["reason"], e["actor"]) for e in audit(shop, customer_id="6101")] == [
        ("Within leeway", "staff:74123"),
        ("Goodwill from the admin", "staff:74123"),
    ]
    read = shop.api("GET", "/api/session", key=valid).json()
    assert read == {
        "shop": {"id": shop.id, "domain": shop.domain, "currency": "USD"},
        "actor": "staff:74123",
        "csrf_token": None,
    }
