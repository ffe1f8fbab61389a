"""Secrets kept encrypted at rest: the shops' webhook secrets (gateway) and
the outbound webhooks' signing secrets (webhooks service). Both need the
secret itself to make or check an HMAC, so they are encrypted, not hashed,
with one deployment key: LOYALTY_SECRET_KEY, or a key made once in the data
dir, which every process of a deployment shares."""

import contextlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shared import config

SECRET_KEY_ENV = "LOYALTY_SECRET_KEY"
SECRET_KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts secrets at rest.

    They are encrypted, not hashed like API keys, because making or
    verifying an HMAC needs the secret itself; a stolen database alone
    still does not let anyone forge (or check) a signature."""

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
                "a stored secret cannot be decrypted: "
                f"{SECRET_KEY_ENV} (or {SECRET_KEY_FILE}) changed since it was stored"
            ) from exc


def secret_box() -> SecretBox:
    """The box for this deployment: LOYALTY_SECRET_KEY, or else a key made
    once in the data dir, so the CLI and the running services share it."""
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
