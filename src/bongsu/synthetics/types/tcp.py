"""TCP checks: whether a connection to ``host:port`` opens within ``timeout_s`` (10).

The outcome carries the time to connect; ``response_time_ms`` is the only condition
subject (a check with no conditions is up when the connection opens).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from typing import Any

from bongsu.errors import RuleError
from bongsu.synthetics.fields import no_unknown, number, text
from bongsu.synthetics.model import Outcome

_AT = "target"


class Tcp:
    name = "tcp"
    subjects: tuple[str, ...] = ("response_time_ms",)

    def check(self, target: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(target, {"host", "port", "timeout_s"}, _AT)
        host = text(target, "host", _AT, max_len=253).strip()
        if not host or any(c.isspace() or c == "/" for c in host):
            raise RuleError(f"{_AT}.host", f"must be a host name or address, got {host!r}")
        port = number(target, "port", _AT, low=1, high=65535)
        if port != int(port):
            raise RuleError(f"{_AT}.port", f"must be a whole number, got {port:g}")
        return {"host": host, "port": int(port),
                "timeout_s": number(target, "timeout_s", _AT, 10, low=0.1, high=60)}

    def describe(self, target: Mapping[str, Any]) -> str:
        return f"tcp://{target['host']}:{target['port']}"

    def default_conditions(self) -> list[dict[str, Any]]:
        return []

    def probe(self, target: Mapping[str, Any]) -> Outcome:
        started = time.monotonic()
        try:
            with socket.create_connection((target["host"], target["port"]),
                                          timeout=float(target["timeout_s"])):
                return Outcome(_ms(started))
        except TimeoutError:
            return Outcome(_ms(started), error=f"timed out after {target['timeout_s']:g} s")
        except ConnectionRefusedError:
            return Outcome(_ms(started), error="connection refused")
        except OSError as exc:
            return Outcome(_ms(started), error=f"{type(exc).__name__}: {exc}")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
