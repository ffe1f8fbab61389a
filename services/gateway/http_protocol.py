"""The HTTP server's own refusals, of requests it cannot even parse (a
header or request line too long, a bad Content-Length), answered as our
JSON error like every other (web.py)."""

import json
import logging
from typing import Any

from nameko.web.server import HttpOnlyProtocol

from shared.errors import error_body

# The HTTP layer's lines, under its one name (web.py).
log = logging.getLogger("services.gateway.web")


class _RefusalsAsJson:
    """The connection's output, where eventlet's own refusals of a request it
    cannot parse (a header line or request line too long, a bad
    Content-Length: a status line and an empty body) become our JSON error."""

    def __init__(self, wfile):
        self._wfile = wfile

    def write(self, data):
        if data.startswith(b"HTTP/1.0 4") and data.lower().endswith(b"content-length: 0\r\n\r\n"):
            status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
            status, _, reason = status_line.removeprefix("HTTP/1.0 ").partition(" ")
            log.info("refused a request the HTTP server could not read: %s %s", status, reason)
            body = json.dumps(error_body("bad_request", reason.lower() or "bad request")).encode()
            data = (
                f"HTTP/1.0 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode("latin-1") + body
        return self._wfile.write(data)

    def __getattr__(self, name):
        return getattr(self._wfile, name)


class JsonHttpProtocol(HttpOnlyProtocol):
    """nameko's HTTP protocol, answering the requests it cannot even parse
    with a JSON error too."""

    wfile: Any  # the connection's output, set up by eventlet

    def setup(self):
        super().setup()
        self.wfile = _RefusalsAsJson(self.wfile)

    def send_error(self, code, message=None, explain=None):
        # http.server's answer to a malformed request line: HTML otherwise.
        log.info("refused a request the HTTP server could not read: %s %s", code, message)
        body = json.dumps(error_body("bad_request", message or "bad request")).encode()
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)
