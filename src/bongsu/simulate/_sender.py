"""OTLP/HTTP delivery with the standard library: keep-alive, retries, back-off.

``429`` and ``503`` are retried after ``Retry-After`` (or an exponential back-off); other
answers are final. A connection that fails is retried once on a fresh connection (the
server may have closed an idle keep-alive one); if that fails too the endpoint counts as
down and sends fail at once, without touching the network, until a back-off has passed.
So a dead server costs a few connection attempts per back-off period, not a stall per
export, and the simulation keeps its pace.

Example::

    sender = Sender("http://127.0.0.1:4318", api_key="k")
    result = sender.send("/v1/traces", body)
    result.ok, result.detail
"""

from __future__ import annotations

import email.utils
import http.client
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

RETRYABLE = (429, 503)


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str  # "200", "503 after 3 attempts", "connection refused", ...
    retries: int = 0


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class Sender:
    """Posts protobuf bodies to one OTLP/HTTP endpoint over a reused connection."""

    def __init__(self, endpoint: str, api_key: str | None = None, timeout: float = 5.0,
                 attempts: int = 4, backoff: float = 0.5, max_backoff: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"endpoint must be an http(s) URL, not {endpoint!r}")
        self._scheme = url.scheme
        self._host = url.hostname
        self._port = url.port
        self._base = url.path.rstrip("/")
        self._headers = {"Content-Type": "application/x-protobuf",
                         "User-Agent": "bongsu-simulate"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock
        self._connection: http.client.HTTPConnection | None = None
        self._down_until = 0.0
        self._down_backoff = backoff
        self._down_reason = ""

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = (http.client.HTTPSConnection if self._scheme == "https"
                    else http.client.HTTPConnection)
            self._connection = kind(self._host, self._port, timeout=self._timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _post(self, path: str, body: bytes) -> tuple[int, str | None]:
        connection = self._connect()
        try:
            connection.request("POST", self._base + path, body, self._headers)
            response = connection.getresponse()
            response.read()
            if response.will_close:
                self.close()
            return response.status, response.getheader("Retry-After")
        except BaseException:
            self.close()
            raise

    def send(self, path: str, body: bytes) -> Result:
        """POST ``body`` to ``path``; never raises for network or server trouble."""
        if self._clock() < self._down_until:
            return Result(False, f"endpoint down ({self._down_reason}); not retried yet")
        delay = self._backoff
        reconnected = False
        retries = 0
        detail = ""
        for _ in range(self._attempts):
            try:
                status, after = self._post(path, body)
            except (OSError, http.client.HTTPException) as exc:
                detail = f"{type(exc).__name__}: {exc}"
                if reconnected:
                    self._down_reason = detail
                    self._down_until = self._clock() + self._down_backoff
                    self._down_backoff = min(self._down_backoff * 2, self._max_backoff)
                    return Result(False, detail, retries)
                reconnected = True
                retries += 1
                continue
            self._down_backoff = self._backoff
            if 200 <= status < 300:
                return Result(True, str(status), retries)
            detail = f"HTTP {status}"
            if status not in RETRYABLE:
                return Result(False, detail, retries)
            wait = retry_after(after, time.time())
            self._sleep(min(wait if wait is not None else delay, self._max_backoff))
            delay = min(delay * 2, self._max_backoff)
            retries += 1
        return Result(False, f"{detail} after {self._attempts} attempts", retries)
