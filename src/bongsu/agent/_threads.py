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
    tasks = _tasks(active, now)
    return {"captured_at_unix_nano": now, "thread_count": len(out), "threads": out,
            "tasks": tasks}


def _tasks(active: ActiveRequests | None, now: int) -> list[dict[str, Any]]:
    """Stacks of the asyncio tasks serving in-flight ASGI requests (their thread only shows
    the event loop)."""
    out = []
    for span in list(active.items.values()) if active is not None else ():
        task = span.task
        if task is None or task.done():
            continue
        try:  # read from another thread: a frame may move under us, never crash on it
            stack = _await_chain(task.get_coro())
        except (RuntimeError, ValueError, AttributeError):
            stack = []
        out.append({"name": task.get_name(), "thread_id": span.thread_id, "stack": stack,
                    "request": describe(span, now)})
    return out


def _await_chain(coro: Any) -> list[dict[str, Any]]:
    # Task.get_stack() stops at the outermost coroutine; follow what each one awaits.
    stack: list[dict[str, Any]] = []
    while coro is not None and len(stack) < _MAX_FRAMES:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            stack.append({"file": frame.f_code.co_filename, "line": frame.f_lineno,
                          "function": frame.f_code.co_name, "code": ""})
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return stack


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
