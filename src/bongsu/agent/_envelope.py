"""The envelope every capture carries (``docs/captures.md``): kind, format, when, where.

Example::

    doc = envelope("files", trigger={"reason": "sigterm", "detail": "", "rule_id": None})
    doc.update(count=12, fds=[...])
"""

from __future__ import annotations

import os
import platform
import socket
import time
from typing import Any

__all__ = ["REQUEST", "envelope"]

REQUEST: dict[str, Any] = {"reason": "request", "detail": "", "rule_id": None}


def envelope(kind: str, trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    """The common fields of a ``bongsu.<kind>/1`` document, taken now."""
    return {"kind": kind, "format": f"bongsu.{kind}/1", "captured_at_unix_nano": time.time_ns(),
            "pid": os.getpid(), "host": socket.gethostname(),
            "runtime": f"{platform.python_implementation().lower()} {platform.python_version()}",
            "trigger": dict(trigger or REQUEST)}
