"""HTTP to the OTLP receiver from the sender thread: keep-alive, gzip, short timeouts.

Returns outcomes instead of raising (like OpenTelemetry exporters' ``export``): the
sender decides about retries.

Example::

    transport = Transport("http://127.0.0.1:4318", {}, timeout=5.0, gzip_bodies=True)
    reply = transport.request("POST", "/v1/traces", body, "application/x-protobuf")
    if reply.retryable: ...
"""

from __future__ import annotations

import gzip
import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Reply", "Transport"]

_RETRYABLE = frozenset({0, 408, 429, 500, 502, 503, 504})


@dataclass
class Reply:
    """What one request got: ``status`` 0 means no HTTP answer (network error)."""

    status: int
    body: bytes = b""
    retry_after: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status in _RETRYABLE


class Transport:
    """One persistent HTTP connection to the receiver."""

    def __init__(
        self, endpoint: str, headers: dict[str, str], timeout: float, gzip_bodies: bool
    ) -> None:
        parts = urlsplit(endpoint if "://" in endpoint else "http://" + endpoint)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.base = parts.path.rstrip("/")
        self.headers = {"User-Agent": "bongsu-agent", **headers}
        self.timeout = timeout
        self.gzip_bodies = gzip_bodies
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Reply:
        """Send one request; never raises for network or HTTP errors."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
            if self.gzip_bodies and len(body) > 256:
                body = gzip.compress(body, compresslevel=1)
                headers["Content-Encoding"] = "gzip"
        try:
            conn = self._conn
            if conn is None:
                cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                conn = self._conn = cls(self.host, self.port, timeout=self.timeout)
            conn.request(method, self.base + path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(1 << 20)
            retry_after = _seconds(response.getheader("Retry-After"))
            if response.will_close:
                self.close()
            return Reply(response.status, data, retry_after)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Reply(0, error=f"{type(exc).__name__}: {exc}")


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 300.0))
    except ValueError:
        return None  # an HTTP date: the sender's own backoff applies
