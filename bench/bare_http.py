"""nameko's `@http` as a bare service would configure it for a fair
comparison: TCP_NODELAY on each connection (the one setting our gateway
has too, services/gateway/web.py). Without it the WSGI server's separate
header and body writes wait for the client's delayed ACK, 40 ms a request
on a kept-alive connection, and the anchor would measure that."""

import socket

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer


class NoDelayWebServer(WebServer):
    def process_request(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)


class NoDelayHttpRequestHandler(HttpRequestHandler):
    server = NoDelayWebServer()


http = NoDelayHttpRequestHandler.decorator
