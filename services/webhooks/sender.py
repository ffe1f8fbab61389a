"""One POST of a delivery to a subscriber's URL, with no way into the app's
own network: the host is resolved once, every address it resolves to is
checked (domain.allowed_address), and the connection goes to the address
checked, never to a second lookup of the name (which a rebinding DNS
server could answer differently). TLS still verifies the certificate
against the name, sent as SNI. Redirects are not followed."""

import socket
import ssl
import time
from dataclasses import dataclass

import eventlet
import urllib3
from urllib3.exceptions import HTTPError, TimeoutError

from services.webhooks import domain
from shared import config
from shared.errors import Unprocessable

# What a receiver's answer is read of: enough to show in an error.
ANSWER_BYTES_KEPT = 200


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer at all
    error: str | None  # None: a 2xx
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.error is None


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()

    def answer(status_code: int | None, error: str | None) -> Answer:
        return Answer(status_code, error, int((time.monotonic() - started) * 1000))

    try:
        target = domain.target_of(url, config.allow_http_webhooks())
        address = _checked_address(target)
    except (Unprocessable, RefusedAddress) as exc:
        return answer(None, f"refused: {_message(exc)}")
    timeout = config.webhook_timeout_seconds()
    try:
        # The whole POST, not each socket read (urllib3's timeout): a receiver
        # dribbling its answer a byte at a time would otherwise hold up the
        # sender's tick, every shop's deliveries, past its lease.
        with eventlet.Timeout(timeout, TimeoutError):
            status, location, text = post_to_address(address, target, body, headers)
    except TimeoutError:
        return answer(None, f"timeout: no answer within {timeout:g} s")
    except (HTTPError, OSError) as exc:
        return answer(None, f"connection failed: {exc}")
    if 200 <= status < 300:
        return answer(status, None)
    if 300 <= status < 400:
        return answer(status, f"redirect to {location!r} not followed")
    return answer(status, f"HTTP {status}: {text}" if text else f"HTTP {status}")


class RefusedAddress(Exception):
    pass


def _message(exc: Exception) -> str:
    details = getattr(exc, "details", None)
    if isinstance(details, list) and details:
        return f"url {details[0]['message']}"
    return str(exc)


def _checked_address(target: domain.Target) -> str:
    """The address to connect to: the first the host resolves to, if every
    one of them is allowed (a name with one private address among public
    ones is refused: which one a connection gets is not ours to choose)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedAddress(f"{target.host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        reason = domain.allowed_address(address, target, config.allow_http_webhooks())
        if reason is not None:
            raise RefusedAddress(reason)
    if not addresses:
        raise RefusedAddress(f"{target.host} resolves to no address")
    return addresses[0]


def post_to_address(
    address: str, target: domain.Target, body: bytes, headers: dict[str, str]
) -> tuple[int, str, str]:
    """(status, Location, the start of the answer) of one POST to `address`,
    the one checked: TLS sends `target.host` as SNI and verifies the
    certificate against it, and the Host header names it."""
    timeout = urllib3.Timeout(total=config.webhook_timeout_seconds())
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            # The system's CAs, certificate and name required. Made here, not
            # by urllib3: its own context creation recurses forever under
            # eventlet when urllib3 was imported before monkey-patching.
            ssl_context=ssl.create_default_context(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1)
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host if target.port == default_port else f"{host}:{target.port}"},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            text = response.read(ANSWER_BYTES_KEPT).decode("utf-8", "replace").strip()
        finally:
            response.release_conn()
        return response.status, response.headers.get("Location", ""), text
    finally:
        pool.close()
