"""A support request as plain values, and the limits a request is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["new", "sent", "failed", "resolved"]
STATUSES: tuple[Status, ...] = ("new", "sent", "failed", "resolved")

MAX_DESCRIPTION = 5_000  # characters
MAX_CONTACT = 200
# A 1920x1080 dashboard is 150-600 kB as PNG (measured on the console: 1366x768 ~120 kB);
# 5 MiB leaves room for a 4K screen without letting one request fill the database.
MAX_SCREENSHOT_BYTES = 5 * 2**20
MAX_SCREENSHOT_PIXELS = 8192


@dataclass(frozen=True, slots=True)
class Screenshot:
    """A checked PNG: its bytes and the size its header gives."""

    png: bytes
    width: int
    height: int


@dataclass(slots=True)
class SupportRequest:
    """One request: what the user wrote and saw, what the server knew, where it went."""

    id: str
    tenant: str
    created_us: int
    description: str
    contact: str
    view: dict[str, Any]
    system: dict[str, Any]
    status: Status = "new"
    screenshot_width: int | None = None
    screenshot_height: int | None = None
    screenshot_bytes: int | None = None
    attempts: int = 0
    next_attempt_us: int | None = None  # None: not queued (delivered, given up, no channel)
    last_error: str | None = None
    channel: str | None = None  # the channel it went (or goes) to, by name
    sent_us: int | None = None
    resolved_us: int | None = None
    updated_us: int = 0


__all__ = [
    "MAX_CONTACT", "MAX_DESCRIPTION", "MAX_SCREENSHOT_BYTES", "MAX_SCREENSHOT_PIXELS",
    "STATUSES", "Screenshot", "Status", "SupportRequest",
]
