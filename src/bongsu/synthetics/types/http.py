"""HTTP(S) checks: one request, its status, time, body and the server's certificate.

Target fields: ``url`` (http or https), ``method`` (GET), ``headers`` ({}), ``body``
(""), ``timeout_s`` (10; applies to connecting and to each read), ``follow_redirects``
(true, at most 10), ``verify_tls`` (true). Only the first 1 MiB of a body is read. The
time is from the first connection to the last byte read, redirects included.

Uses the standard library (``http.client``): the server needs no HTTP client package, and
the TLS socket is at hand to read the certificate's expiry even when it is not verified.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from bongsu.errors import RuleError
from bongsu.synthetics.certificate import CertificateError, days_left
from bongsu.synthetics.conditions import MAX_BODY_JUDGED
from bongsu.synthetics.fields import flag, no_unknown, number, text
from bongsu.synthetics.model import Outcome

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_REDIRECTS = 10
MAX_HEADERS = 50
_AT = "target"


class Http:
    name = "http"
    subjects: tuple[str, ...] = ("status", "response_time_ms", "body", "json", "tls_days_left")

    def check(self, target: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(target, {"url", "method", "headers", "body", "timeout_s",
                            "follow_redirects", "verify_tls"}, _AT)
        url = text(target, "url", _AT).strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuleError(f"{_AT}.url", f"must be an http:// or https:// URL, got {url!r}")
        try:
            parts.port  # noqa: B018 - raises on a port out of range
        except ValueError as exc:
            raise RuleError(f"{_AT}.url", str(exc)) from None
        method = text(target, "method", _AT, "GET").upper()
        if method not in METHODS:
            raise RuleError(f"{_AT}.method", f"must be one of {', '.join(METHODS)}, "
                                             f"got {method!r}")
        headers = target.get("headers", {})
        if not isinstance(headers, Mapping) or len(headers) > MAX_HEADERS:
            raise RuleError(f"{_AT}.headers",
                            f"must be a mapping of at most {MAX_HEADERS} names to strings")
        for key, value in headers.items():
            if not isinstance(key, str) or not key or any(c in key for c in ":\r\n "):
                raise RuleError(f"{_AT}.headers", f"not a header name: {key!r}")
            if not isinstance(value, str) or "\r" in value or "\n" in value:
                raise RuleError(f"{_AT}.headers.{key}", "must be a one-line string")
        return {
            "url": url, "method": method, "headers": dict(headers),
            "body": text(target, "body", _AT, "", max_len=64 * 1024),
            "timeout_s": number(target, "timeout_s", _AT, 10, low=0.1, high=60),
            "follow_redirects": flag(target, "follow_redirects", _AT, True),
            "verify_tls": flag(target, "verify_tls", _AT, True),
        }

    def describe(self, target: Mapping[str, Any]) -> str:
        return f"{target['method']} {target['url']}"

    def default_conditions(self) -> list[dict[str, Any]]:
        return [{"on": "status", "op": "<", "value": 400}]

    def probe(self, target: Mapping[str, Any]) -> Outcome:
        started = time.monotonic()
        url, method = str(target["url"]), str(target["method"])
        body = str(target["body"]).encode() or None
        tls_days: float | None = None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, location, data, days = _request(url, method, target, body)
                tls_days = days if tls_days is None else min(tls_days, days or tls_days)
                if not (target["follow_redirects"] and location and 300 <= status < 400
                        and status != 304):
                    return Outcome(_ms(started), status, data, tls_days)
                url = urljoin(url, location)
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = "GET", None
            return Outcome(_ms(started), status, data, tls_days,
                           error=f"more than {MAX_REDIRECTS} redirects")
        except TimeoutError:
            return Outcome(_ms(started), None, None, tls_days,
                           error=f"timed out after {target['timeout_s']:g} s")
        except ssl.SSLError as exc:
            return Outcome(_ms(started), None, None, tls_days, error=f"TLS: {exc.reason or exc}")
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(_ms(started), None, None, tls_days, error=_reason(exc))


def _request(url: str, method: str, target: Mapping[str, Any], body: bytes | None
             ) -> tuple[int, str | None, bytes, float | None]:
    parts = urlsplit(url)
    timeout = float(target["timeout_s"])
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        if not target["verify_tls"]:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout,
                                           context=context)
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    else:
        raise http.client.HTTPException(f"cannot follow a redirect to {url!r}")
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {"User-Agent": "bongsu-synthetics", **target["headers"]}
        conn.request(method, path, body=body, headers=headers)
        days = _days_left(conn.sock)
        response = conn.getresponse()
        data = response.read(MAX_BODY_JUDGED)
        return response.status, response.getheader("Location"), data, days
    finally:
        conn.close()


def _days_left(sock: socket.socket | None) -> float | None:
    if not isinstance(sock, ssl.SSLSocket):
        return None
    der = sock.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return days_left(der, time.time())
    except (CertificateError, ValueError, IndexError):
        return None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"
