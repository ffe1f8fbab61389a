"""The sender's connection, against real servers on loopback: it goes to
the address that was checked, with TLS verified against the name, and a
name with any private address is never connected to."""

import datetime
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from urllib3.exceptions import SSLError

from services.webhooks import domain, sender
from shared import config


class Recorder(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []  # the Host header of each request, in order

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def self_signed(tmp_path, name):
    """A certificate for `name` (its own CA), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An https server for `hooks.test` on 127.0.0.1, its CA trusted."""
    cert_file, key_file = self_signed(tmp_path, "hooks.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield serve(server)
    server.shutdown()
    server.server_close()


def test_tls_goes_to_the_checked_address_and_is_verified_against_the_name(tls_server):
    Recorder.hosts = []
    port = tls_server.server_address[1]
    target = domain.Target("https", "hooks.test", port, "/hooks")

    assert sender.post_to_address("127.0.0.1", target, b"{}", {})[0] == 204
    assert Recorder.hosts == [f"hooks.test:{port}"]

    impostor = domain.Target("https", "other.test", port, "/hooks")
    with pytest.raises(SSLError, match=r"other\.test"):
        sender.post_to_address("127.0.0.1", impostor, b"{}", {})


def test_a_name_with_one_private_address_among_public_ones_is_never_connected_to(monkeypatch):
    resolved = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))
        for address in ("93.184.215.14", "10.0.0.7")
    ]
    monkeypatch.setattr(sender.socket, "getaddrinfo", lambda *args, **kwargs: resolved)

    answer = sender.post("https://hooks.example.com/x", b"{}", {})

    assert answer.status_code is None
    assert answer.error == "refused: hooks.example.com resolves to a private address (10.0.0.7)"


def test_plain_http_reaches_ipv6_loopback_when_tests_allow_it(monkeypatch):
    class HTTPServerV6(HTTPServer):
        address_family = socket.AF_INET6

    try:
        server = serve(HTTPServerV6(("::1", 0), Recorder))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    Recorder.hosts = []
    try:
        port = server.server_address[1]
        assert sender.post(f"http://[::1]:{port}/v6", b"{}", {}).error is not None  # not without the flag
        monkeypatch.setenv(config.ALLOW_HTTP_WEBHOOKS_ENV, "1")
        answer = sender.post(f"http://[::1]:{port}/v6", b"{}", {})
        assert (answer.status_code, answer.error) == (204, None)
        assert Recorder.hosts == [f"[::1]:{port}"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_receiver_dribbling_its_answer_is_cut_off_at_the_timeout(monkeypatch):
    """Each byte comes well within urllib3's read timeout, the whole answer
    far beyond the sender's: the sender stops waiting at its timeout."""
    monkeypatch.setenv(config.ALLOW_HTTP_WEBHOOKS_ENV, "1")
    monkeypatch.setenv("LOYALTY_WEBHOOK_TIMEOUT_SECONDS", "0.5")
    listener = socket.create_server(("127.0.0.1", 0))
    answer_bytes = b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"z" * 40 + b"\r\n\r\n"

    def dribble():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            try:
                for byte in answer_bytes:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:  # the sender hung up: what this test expects
                pass

    threading.Thread(target=dribble, daemon=True).start()
    try:
        answer = sender.post(f"http://127.0.0.1:{listener.getsockname()[1]}/slow", b"{}", {})
    finally:
        listener.close()

    assert answer.status_code is None
    assert answer.error == "timeout: no answer within 0.5 s"
