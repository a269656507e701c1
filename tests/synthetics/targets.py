"""Real HTTP and HTTPS servers on loopback for the checks to probe.

Paths: ``/ok`` (200, JSON ``{"status": "ok", "items": [{"id": 7}]}``), ``/wrong`` (200,
``maintenance`` as text), ``/degraded`` (200, JSON ``{"status": "degraded"}``), ``/slow``
(answers after ``slow_s``), ``/redirect`` (302 to ``/ok``), ``/loop`` (302 to itself),
``/flip`` (200 or 503 as ``flip_ok`` says), ``/echo`` (200, the method, a header and the
body back as JSON).

The HTTPS server's certificate is signed by a CA made in the test with ``openssl`` and
expires ``days`` days from now.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Target:
    def __init__(self, slow_s: float = 3.0) -> None:
        self.slow_s = slow_s
        self.flip_ok = True
        self.hits: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.scheme = "http"

    def start(self, context: ssl.SSLContext | None = None) -> Target:
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: bytes, kind: str = "application/json",
                        extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _any(self) -> None:
                path = self.path.split("?")[0]
                target.hits[path] = target.hits.get(path, 0) + 1
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else b""
                if path == "/ok":
                    self._answer(200, json.dumps({"status": "ok", "items": [{"id": 7}]}).encode())
                elif path == "/wrong":
                    self._answer(200, b"maintenance", "text/plain")
                elif path == "/degraded":
                    self._answer(200, b'{"status": "degraded", "items": []}')
                elif path == "/slow":
                    time.sleep(target.slow_s)
                    self._answer(200, b'{"status": "ok"}')
                elif path == "/redirect":
                    self._answer(302, b"", extra={"Location": "/ok"})
                elif path == "/loop":
                    self._answer(302, b"", extra={"Location": "/loop"})
                elif path == "/flip":
                    self._answer(200 if target.flip_ok else 503,
                                 b"fine" if target.flip_ok else b"unavailable", "text/plain")
                elif path == "/echo":
                    self._answer(200, json.dumps({
                        "method": self.command, "token": self.headers.get("X-Token"),
                        "body": sent.decode()}).encode())
                else:
                    self._answer(404, b"no such page", "text/plain")

            do_GET = do_POST = do_HEAD = do_PUT = _any

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
            self.scheme = "https"
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def make_ca_and_cert(directory: Path, days: int) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 it signed, valid for ``days`` days:
    (CA cert, server key, server cert)."""
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "srv.key", directory / "srv.csr", directory / "srv.pem"
    ext = directory / "srv.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-keyout", str(ca_key),
        "-out", str(ca), "-subj", "/CN=Bongsu test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", str(days), "-out", str(cert), "-extfile", str(ext))
    return ca, key, cert


def tls_context(key: Path, cert: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
