"""Shop credentials: new shop ids, admin API keys and dashboard session ids
(stored as SHA-256 only), the CSRF token that goes with a session, and
webhook secrets (stored encrypted; the signatures made with them are in
domain.py)."""

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shared import config

API_KEY_PREFIX = "lk_"
SECRET_KEY_ENV = "LOYALTY_SECRET_KEY"
SECRET_KEY_FILE = "secret.key"


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


class SecretBox:
    """Encrypts webhook secrets at rest.

    They are encrypted, not hashed like API keys, because verifying a
    webhook's HMAC (and a customer_token) needs the secret itself; a stolen
    database alone still does not let anyone forge webhooks."""

    def __init__(self, key: str | bytes):
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise RuntimeError(
                f"{SECRET_KEY_ENV} is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise RuntimeError(
                "a webhook secret cannot be decrypted: "
                f"{SECRET_KEY_ENV} (or {SECRET_KEY_FILE}) changed since it was stored"
            ) from exc


def secret_box() -> SecretBox:
    """The box for this deployment: LOYALTY_SECRET_KEY, or else a key made
    once in the data dir, so the CLI and the running gateway share it."""
    key = os.environ.get(SECRET_KEY_ENV)
    if key:
        return _box(key)
    return _box(_key_from_file(config.data_dir() / SECRET_KEY_FILE))


@lru_cache(maxsize=8)
def _box(key: str) -> SecretBox:
    return SecretBox(key)


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write the new key to a private temp file (mkstemp makes it 0600) and
    # link it into place: the link fails if another process got there first,
    # and then we use theirs, so concurrent first starts agree on one key and
    # none reads a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text().strip()
