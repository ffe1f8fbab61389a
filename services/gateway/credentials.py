"""Shop credentials: new shop ids, admin API keys and dashboard session ids
(stored as SHA-256 only), the CSRF token that goes with a session, and
webhook secrets (stored encrypted with shared.secret_box; the signatures
made with them are in domain.py)."""

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "lk_"


def new_shop_id() -> str:
    return "shp_" + secrets.token_hex(8)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored of an admin API key or a session id. A fast hash is
    enough: each is 256 random bits, not a password."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The token a signed-in page sends with every write. Derived from the
    session id (so nothing more is stored), one-way (so it reveals neither
    the id nor the stored hash of it)."""
    return hmac.new(session_id.encode(), b"loyalty csrf token", hashlib.sha256).hexdigest()


def csrf_token_matches(session_id: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(session_id).encode(), sent.strip().encode())
