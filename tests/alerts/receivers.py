"""Real receivers on loopback for the notification tests: an HTTP webhook server and an
SMTP server (aiosmtpd) with STARTTLS and login, plus alert transitions to feed, and the
end-to-end tests' ways of calling a server's API and waiting with a deadline.

The webhook receiver keeps every request it got (headers and body) and can be told to
answer 500, to stall past the sender's timeout, or to be down (connection refused).
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bongsu.alerts.model import (
    AlertInstance,
    Labels,
    Severity,
    State,
    Transition,
    fingerprint,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """``mode``: ``ok`` (200), ``error`` (500), ``stall`` (sleeps ``stall_s``, then takes
    it and answers 200 — past a sender's timeout), ``hold`` (takes it, then sleeps
    ``stall_s`` before answering: the sender may die before it hears back)."""

    port: int = 0
    mode: str = "ok"
    stall_s: float = 3.0
    received: list[Received] = field(default_factory=list)  # answered 2xx
    attempts: int = 0  # every request, whatever it was answered
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.attempts += 1
                if receiver.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                if receiver.mode == "stall":
                    time.sleep(receiver.stall_s)
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if receiver.mode == "hold":
                    time.sleep(receiver.stall_s)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)

    def distinct(self) -> dict[str, Received]:
        """What a receiver that honours the idempotency key keeps: one per key."""
        kept: dict[str, Received] = {}
        for r in self.received:
            kept.setdefault(r.headers["x-bongsu-idempotency-key"], r)
        return kept


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 / localhost (key, cert)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return key, cert


@dataclass(frozen=True)
class Mail:
    """One accepted e-mail, decoded: what a person's mail client shows."""

    key: str  # X-Bongsu-Idempotency-Key
    subject: str
    text: str
    html: str
    tls: bool
    rcpt_tos: list[str]


class SmtpReceiver:
    """aiosmtpd on loopback, STARTTLS required before login; keeps each accepted message."""

    def __init__(self, directory: Path, username: str = "alerts", password: str = "pw") -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        key, cert = make_certificate(directory)
        self.cert = cert
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(str(cert), str(key))
        self.messages: list[Any] = []
        self.logins: list[str] = []
        self.tls: list[bool] = []  # per message: whether it came over TLS
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes
                from email.policy import default

                receiver.tls.append(session.ssl is not None)
                receiver.messages.append(
                    (envelope, message_from_bytes(envelope.content, policy=default))
                )
                return "250 OK"

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                         data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(), data.password.decode()
            ) == (username, password)
            if ok:
                receiver.logins.append(mechanism)
            return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535

        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=tls,
            require_starttls=True, authenticator=authenticate, auth_required=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def mails(self) -> list[Mail]:
        """Every accepted message so far, decoded (plain text and HTML parts)."""
        out = []
        for (envelope, message), tls in zip(list(self.messages), list(self.tls), strict=False):
            out.append(Mail(
                key=str(message["X-Bongsu-Idempotency-Key"]).strip(),
                subject=str(message["Subject"]),
                text=message.get_body(("plain",)).get_content(),
                html=message.get_body(("html",)).get_content(),
                tls=tls, rcpt_tos=list(envelope.rcpt_tos),
            ))
        return out


def call(api_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A JSON request to a server's API: (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it gives something true; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


def instance(rule_id: str, labels: Labels, state: State, at_us: int,
             tenant: str = "default", summary: str = "APDEX 0.52 < 0.7",
             link: str | None = "/services/orders?at=1",
             severity: Severity = "warning") -> AlertInstance:
    return AlertInstance(
        id=fingerprint(rule_id, labels), tenant=tenant, rule_id=rule_id, labels=labels,
        state=state, active_since_us=at_us, fired_at_us=at_us if state == "firing" else None,
        resolved_at_us=at_us if state == "resolved" else None, last_eval_us=at_us,
        last_active_us=at_us, value=0.52, summary=summary, link=link, severity=severity,
    )


def fired(rule_id: str, labels: Labels, at_us: int, **kw: Any) -> Transition:
    return Transition(instance(rule_id, labels, "firing", at_us, **kw), "pending", "firing",
                      at_us)


def resolved(rule_id: str, labels: Labels, at_us: int, **kw: Any) -> Transition:
    return Transition(instance(rule_id, labels, "resolved", at_us, **kw), "firing",
                      "resolved", at_us)
