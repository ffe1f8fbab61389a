"""A merchant's webhook receiver for tests: a real HTTP server on loopback
(http.server in a thread) that records every request and answers as the
test scripts it: a status, a redirect, no answer in time, or no answer
until the test lets it (while it kills the sender)."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        """The receiver's own check, as a merchant would write it."""
        expected = base64.b64encode(hmac.new(secret.encode(), self.body, hashlib.sha256).digest())
        return hmac.compare_digest(expected, self.headers.get("X-Loyalty-Hmac-Sha256", "").encode())


@dataclass
class Reply:
    status: int = 200
    location: str | None = None
    delay_seconds: float = 0.0  # answer this late (past the sender's timeout: no answer)
    # Hold the request open until this is set: the test acts while the
    # sender waits (the request is in `received` from the start).
    hold: threading.Event | None = None


@dataclass
class Receiver:
    """`replies`: what to answer, in order; then `default`."""

    server: ThreadingHTTPServer
    replies: deque = field(default_factory=deque)
    default: Reply = field(default_factory=Reply)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/loyalty"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def event_ids(self) -> list[str]:
        return [request.headers["X-Loyalty-Event-Id"] for request in self.received]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            reply = receiver.replies.popleft() if receiver.replies else receiver.default
            if reply.delay_seconds:
                time.sleep(reply.delay_seconds)
            if reply.hold is not None:
                reply.hold.wait()
            try:
                self.send_response(reply.status)
                if reply.location:
                    self.send_header("Location", reply.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender stopped waiting (a timeout) or is gone
                pass

        def log_message(self, *args):  # quiet test output
            pass

    receiver = Receiver(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver
