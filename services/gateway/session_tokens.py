"""Shopify session tokens: the JWT App Bridge gives the dashboard when it is
embedded in the Shopify admin, sent as `Authorization: Bearer <jwt>`.
Verified with PyJWT, never parsed by hand: HS256 only (`none` and every
other algorithm refused), signed with a secret in force for the shop its
`dest` names, `aud` our client id, `iss` that shop's admin, `exp` and `nbf`
within 5 s of leeway. PyJWT checks `exp`/`nbf` against the system time (it
takes no clock), which is the gateway's time outside tests."""

import jwt

from services.gateway.domain import shop_domain_of_dest
from shared.errors import Unauthorized

ALGORITHM = "HS256"
LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ["iss", "dest", "aud", "sub", "exp", "nbf"]


def claimed_shop_domain(token: str) -> str:
    """The shop domain the token says it is for, not yet verified: it only
    says whose secrets to verify it with."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise Unauthorized("the bearer credential is neither an admin API key nor a session token") from None
    return shop_domain_of_dest(claims.get("dest"))


def verified_staff_id(token: str, shop_domain: str, secrets: tuple[str, ...], client_id: str) -> str:
    """The `sub` of a token for `shop_domain` (its claimed_shop_domain)
    signed with one of `secrets`, whose claims all hold; 401 naming what is
    wrong otherwise. Once the signature holds, so does the `dest` that
    chose the shop: it is part of what was signed."""
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=client_id,
                issuer=f"https://{shop_domain}/admin",
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidSignatureError:
            continue  # maybe the other secret in force (a rotation's grace period)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the session token is not valid: {exc}") from None
        return claims["sub"]
    raise Unauthorized("the session token's signature does not match this shop")
