"""What synthetic checks work with, as plain values: a check, a probe's outcome, a result.

Timestamps are epoch microseconds, durations milliseconds (results) or seconds (settings).

Example::

    check = Check(id="c_1", tenant="default", name="shop", type="http",
                  target={"url": "https://shop.example/health"}, conditions=[...])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["up", "down", "unknown"]
Combine = Literal["all", "any"]
STATUSES: tuple[Status, ...] = ("up", "down", "unknown")


@dataclass(slots=True)
class Check:
    """One synthetic check; ``target`` holds its type's fields (checked by the type)."""

    id: str
    tenant: str
    name: str
    type: str  # "http", "tcp", or a third party's
    target: dict[str, Any]
    conditions: list[dict[str, Any]] = field(default_factory=list)
    combine: Combine = "all"
    interval_s: float = 60.0
    failure_threshold: int = 1  # consecutive failures before down
    success_threshold: int = 1  # consecutive successes before up
    enabled: bool = True
    created_us: int = 0
    updated_us: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a probe saw. ``error`` set: the target could not be reached or answered wrong
    at the protocol level (refused, timed out, a TLS failure); the conditions judge the rest."""

    duration_ms: float
    status_code: int | None = None
    body: bytes | None = None
    tls_days_left: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One stored result. ``status`` is this probe's verdict (``unknown``: the server did
    not run it in time); ``state`` the check's state after it, with the thresholds applied
    (``unknown`` until a threshold is first met, and on an ``unknown`` row). ``name`` and
    ``target`` are the check's as it was run, so an alert or report tells of it as it was."""

    tenant: str
    check_id: str
    ts_us: int
    status: Status
    state: Status
    duration_ms: float | None = None
    status_code: int | None = None
    failed_condition: str | None = None
    error: str | None = None
    tls_days_left: float | None = None
    name: str = ""
    target: str = ""
