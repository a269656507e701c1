"""The ``threads`` capture (``bongsu.threads/1`` of ``docs/captures.md``): every thread's
stack, inferred state, the request it serves and, with lock tracking on, the locks it holds
and waits for; the asyncio tasks of in-flight requests with their await chains.

Python exposes no thread states. A thread blocked in C shows as its innermost Python frame
sitting on a call, so the state is read from that call (the instruction the frame is on and
the source it spans): ``time.sleep`` is ``sleeping``, ``sock.recv`` ``io``, ``with lock:``
``waiting_lock``, a pool worker's ``work_queue.get`` ``idle_pool``, ``Event.wait``
``waiting``. With lock tracking, a thread blocked on a tracked lock is ``waiting_lock`` for
certain, and the tracker's own frames are left out of its stack.

Example::

    dump = capture_threads(ActiveRequests())
    assert dump["format"] == "bongsu.threads/1"
    assert any(t["name"] == "MainThread" for t in dump["threads"])
"""

from __future__ import annotations

import dis
import linecache
import os
import sys
import threading
from types import FrameType
from typing import Any

from bongsu.agent import _locks
from bongsu.agent._active import ActiveRequests, describe
from bongsu.agent._envelope import envelope

__all__ = ["STATES", "capture_threads", "thread_state"]

STATES = ("running", "waiting_lock", "sleeping", "io", "idle_pool", "waiting", "unknown")
_MAX_FRAMES = 100
_LOCKS_FILE = os.path.abspath(_locks.__file__)
_STDLIB = os.path.dirname(threading.__file__) + os.sep
_THREADING = threading.__file__
_QUEUE = _STDLIB + "queue.py"
_POOLS = {_STDLIB + os.path.join("concurrent", "futures", "thread.py"),
          _STDLIB + os.path.join("multiprocessing", "pool.py")}
_SELECTORS = _STDLIB + "selectors.py"
# 3.11's specialized PRECALL makes some C calls itself (a frame then sits on it, not CALL).
_OPS = {dis.opmap[op]: "CALL" if op == "PRECALL" else op
        for op in ("BEFORE_WITH", "CALL", "PRECALL") if op in dis.opmap}

# The last name of the call a frame sits on -> state (the call itself is in C).
_CALLS = {
    "sleeping": {"sleep", "usleep"},
    "waiting_lock": {"acquire", "__enter__", "acquire_lock", "_acquire_restore"},
    "io": {"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendall",
           "sendto", "sendmsg", "sendfile", "accept", "_accept", "connect", "connect_ex",
           "read", "read1", "readinto", "readline", "readlines", "write", "writelines",
           "select", "poll", "epoll", "control", "getaddrinfo", "gethostbyname",
           "gethostbyaddr", "do_handshake", "fsync", "fdatasync", "execute", "executemany",
           "fetchone", "fetchmany", "fetchall", "commit", "getresponse", "urlopen",
           "create_connection", "input"},
    "waiting": {"wait", "join", "waitpid", "wait4", "waitid", "sigwait", "sigwaitinfo",
                "sigtimedwait", "pause", "communicate", "result"},
}


def capture_threads(active: ActiveRequests | None,
                    trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``bongsu.threads/1`` document of this process, taken now."""
    doc = envelope("threads", trigger)
    now = doc["captured_at_unix_nano"]
    tracking = _locks.installed()
    frames = sys._current_frames()
    waits = dict(_locks.waiting) if tracking else {}
    locks = _locks.snapshot() if tracking else []
    threads = {t.ident: t for t in threading.enumerate()}
    serving = active.by_thread() if active is not None else {}
    holds: dict[int, list[str]] = {}
    for lock in locks:
        if lock.owner is not None:
            holds.setdefault(lock.owner, []).append(f"L{lock.seq}")
    out = []
    for ident, frame in frames.items():
        thread = threads.get(ident)
        waits_for = waits.get(ident)
        inner = _skip_tracker(frame)
        span = serving.get(ident)
        request = None
        if span is not None:
            request = {**describe(span, now), "name": span.name}
        out.append({
            "id": ident,
            "native_id": getattr(thread, "native_id", None),
            "name": thread.name if thread is not None else f"thread-{ident}",
            "daemon": thread.daemon if thread is not None else None,
            "state": "waiting_lock" if waits_for is not None else thread_state(inner),
            "stack": _stack(inner),
            "request": request,
            "holds": holds.get(ident, []),
            "waits_for": f"L{waits_for.seq}" if waits_for is not None else None,
        })
    del frames
    out.sort(key=lambda t: (t["request"] is None, t["name"]))
    doc.update(thread_count=len(out), threads=out, tasks=_tasks(active, now),
               locks=[_lock(lock, waits) for lock in locks], lock_tracking=tracking)
    return doc


def _lock(lock: _locks.TrackedLock | _locks.TrackedRLock,
          waits: dict[int, _locks.TrackedLock | _locks.TrackedRLock]) -> dict[str, Any]:
    return {"id": f"L{lock.seq}", "type": lock.kind, "created_at": lock.created_at,
            "owner": lock.owner, "waiters": sorted(i for i, w in waits.items() if w is lock),
            "depth": lock.depth}


def _skip_tracker(frame: FrameType | None) -> FrameType | None:
    # The tracker's acquire() is plumbing: the app's `with lock:` is where it waits.
    while frame is not None and frame.f_code.co_filename == _LOCKS_FILE:
        frame = frame.f_back
    return frame


def _stack(frame: FrameType | None) -> list[dict[str, Any]]:
    """Outermost frame first, innermost last (like a traceback)."""
    out: list[dict[str, Any]] = []
    while frame is not None and len(out) < _MAX_FRAMES:
        code = frame.f_code
        line = frame.f_lineno or 0
        out.append({"file": code.co_filename, "line": line, "function": code.co_name,
                    "code": linecache.getline(code.co_filename, line).strip()})
        frame = frame.f_back
    out.reverse()
    return out


def thread_state(frame: FrameType | None) -> str:
    """The state a thread whose innermost frame is ``frame`` is most likely in."""
    if frame is None:
        return "unknown"
    try:
        return _infer(frame)
    except (IndexError, ValueError, AttributeError, TypeError):
        return "unknown"


def _infer(frame: FrameType) -> str:
    code = frame.f_code
    filename = code.co_filename
    op, callee = _call_at(frame)
    name = callee.rsplit(".", 1)[-1]
    if filename == _THREADING:
        if name in ("_acquire_restore", "__enter__"):
            return "waiting_lock"  # taking a Condition's lock back, or entering it
        parent = frame.f_back
        while parent is not None and parent.f_code.co_filename == _THREADING:
            parent = parent.f_back
        if parent is not None and parent.f_code.co_filename == _QUEUE:
            return "idle_pool" if parent.f_code.co_name == "get" else "waiting"
        return "waiting"  # Condition / Event / Semaphore / Barrier wait, Thread.join
    if op == "BEFORE_WITH":
        return "waiting_lock"  # the only C __enter__ that blocks is a lock's
    if op != "CALL":
        return "running"
    if filename in _POOLS and name == "get":
        return "idle_pool"  # ThreadPoolExecutor / ThreadPool worker waiting for work
    if filename == _SELECTORS:
        return "io"
    if name == "get" and "queue" in callee.lower():
        return "idle_pool"  # a worker on a SimpleQueue of its own
    for state, names in _CALLS.items():
        if name in names:
            return state
    return "running"


def _call_at(frame: FrameType) -> tuple[str, str]:
    """The instruction ``frame`` is on and the dotted name of the call it makes there."""
    code = frame.f_code
    lasti = frame.f_lasti
    if lasti < 0:
        return "", ""
    opcode = code.co_code[lasti]
    op = _OPS.get(opcode, "")
    if op != "CALL":
        return op, ""
    positions = list(code.co_positions())
    start_line, end_line, col, end_col = positions[lasti // 2]
    if start_line is None or col is None:
        return op, ""
    text = linecache.getline(code.co_filename, start_line)
    text = text[col:end_col] if end_line == start_line else text[col:]
    return op, text.split("(", 1)[0].strip()


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
                    "request": {**describe(span, now), "name": span.name}})
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
