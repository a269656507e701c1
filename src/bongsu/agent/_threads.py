"""The ``capture threads`` analysis: every thread's stack and the request it serves.

Example::

    dump = capture_threads(ActiveRequests())
    assert any(t["name"] == "MainThread" for t in dump["threads"])
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any

from bongsu.agent._active import ActiveRequests, describe

__all__ = ["capture_threads"]

_MAX_FRAMES = 100


def capture_threads(active: ActiveRequests | None) -> dict[str, Any]:
    """JSON-ready dump of all threads (innermost frame last, like a traceback)."""
    now = time.time_ns()
    frames = sys._current_frames()
    threads = {t.ident: t for t in threading.enumerate()}
    serving = active.by_thread() if active is not None else {}
    out = []
    for ident, frame in frames.items():
        thread = threads.get(ident)
        stack = [
            {"file": f.filename, "line": f.lineno, "function": f.name, "code": f.line or ""}
            for f in traceback.extract_stack(frame, limit=_MAX_FRAMES)
        ]
        request = serving.get(ident)
        out.append({
            "id": ident,
            "native_id": getattr(thread, "native_id", None),
            "name": thread.name if thread is not None else f"thread-{ident}",
            "daemon": thread.daemon if thread is not None else None,
            "state": _state(stack),
            "stack": stack,
            "request": describe(request, now) if request is not None else None,
        })
    out.sort(key=lambda t: (t["request"] is None, t["name"]))
    return {"captured_at_unix_nano": now, "thread_count": len(out), "threads": out}


def _state(stack: list[dict[str, Any]]) -> str:
    # Python does not expose thread states; infer the common waits from the top frame.
    if not stack:
        return "unknown"
    top = stack[-1]
    if top["file"].endswith("threading.py") and top["function"] in (
            "wait", "_wait_for_tstate_lock"):
        return "waiting"
    if top["function"] in ("select", "poll", "accept", "recv", "recv_into", "read", "readinto",
                           "_run_once", "sleep"):
        return "waiting_io"
    return "running"
