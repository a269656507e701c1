"""The thread dump analyzer (``bongsu.threads/1``): how many threads are stuck where.

- ``groups``: threads with the same state and the same stack, biggest group first (the
  dump's headline when 40 workers wait in one frame);
- ``states``: threads per state; ``hot_frames``: frames on the most threads' stacks
  (a frame counts once per thread, recursion or not);
- ``requests``: the request each thread (and asyncio task) serves, with its trace id,
  longest running first;
- ``lock_graph``: owner -> lock -> waiters, from the dump's tracked locks; ``deadlocks``:
  the wait-for cycles found by ``bongsu.diagnostics.locks.deadlocks`` (JVM dumps add the
  dump's own "Found one Java-level deadlock" section, kept by the parser).

Example::

    analysis = Threads().analyze(capture_threads(active) | envelope("threads"))
    analysis["groups"][0]["count"], analysis["groups"][0]["top"]
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Doc = Mapping[str, Any]

MAX_GROUPS = 50
MAX_HOT_FRAMES = 20
MAX_GROUP_THREADS = 100  # names listed per group; ``count`` is always the whole group
STATES = ("running", "waiting_lock", "sleeping", "io", "idle_pool", "waiting", "unknown")


def _deadlock_finder() -> Callable[[dict[str, Any]], list[dict[str, Any]]] | None:
    """``bongsu.diagnostics.locks.deadlocks`` when that module is installed, else None:
    looked up once in the module registry rather than guarded at each call."""
    if importlib.util.find_spec("bongsu.diagnostics.locks") is None:
        return None
    module: Any = importlib.import_module("bongsu.diagnostics.locks")
    finder: Callable[[dict[str, Any]], list[dict[str, Any]]] = module.deadlocks
    return finder


def _frame_key(frame: Mapping[str, Any]) -> tuple[str, int, str]:
    return (str(frame.get("file", "")), _int(frame.get("line")), str(frame.get("function", "")))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and value == value else None  # NaN is no figure


def _frame(f: Mapping[str, Any]) -> dict[str, Any]:
    """A stack frame's documented fields only (a collector may add its own)."""
    line = f.get("line")
    return {"file": str(f.get("file", "")), "function": str(f.get("function", "")),
            "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
            "code": None if f.get("code") is None else str(f.get("code"))}


_LIBRARY = ("/lib/python", "/site-packages/", "/dist-packages/", "/bongsu/agent/")
_JVM_LIBRARY = ("java.", "javax.", "jdk.", "sun.", "com.sun.")


def _library(frame: Mapping[str, Any]) -> bool:
    """A frame of the runtime or a package, not of the application."""
    file, function = str(frame.get("file", "")), str(frame.get("function", ""))
    return (file.startswith("<") or any(p in file for p in _LIBRARY)
            or function.startswith(_JVM_LIBRARY))


def _app_top(frames: Sequence[Mapping[str, Any]]) -> str | None:
    """The innermost frame of the application's own code, when it is not the innermost."""
    for frame in reversed(frames):
        if not _library(frame):
            return None if frame is frames[-1] else _where(frame)
    return None


def _where(frame: Mapping[str, Any] | None) -> str:
    """``function (file:line)``, as a stack line reads."""
    if not frame:
        return "(no stack)"
    line = frame.get("line")
    where = f"{frame.get('file', '?')}:{line}" if line is not None else frame.get("file", "?")
    return f"{frame.get('function', '?')} ({where})"


def _list(doc: Doc, key: str) -> list[dict[str, Any]]:
    value = doc.get(key)
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


class Threads:
    kind = "threads"
    format = "bongsu.threads/1"
    version = 4

    def normalize(self, doc: Doc) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Doc) -> dict[str, Any]:
        doc = _clean(doc)
        threads = _list(doc, "threads")
        names = {t.get("id"): str(t.get("name", "")) for t in threads}
        states = Counter(str(t.get("state") or "unknown") for t in threads)
        groups = self._groups(threads)
        hot = Counter[tuple[str, int, str]]()
        for t in threads:
            hot.update({_frame_key(f) for f in _list(t, "stack")})
        hot_frames = [
            {"file": f, "line": line, "function": fn, "threads": n}
            for (f, line, fn), n in sorted(hot.items(), key=lambda kv: (-kv[1], kv[0]))
            if n > 1
        ][:MAX_HOT_FRAMES]
        requests = self._requests(threads, _list(doc, "tasks"), names)
        graph = self._lock_graph(doc, threads, names)
        finder = _deadlock_finder()
        deadlocks = finder(dict(doc)) if finder is not None else []
        jvm = _list(doc, "jvm_deadlocks")
        analysis = {
            "thread_count": len(threads),
            "task_count": len(_list(doc, "tasks")),
            "states": {s: states.get(s, 0) for s in STATES} | dict(states),
            "groups": groups,
            "hot_frames": hot_frames,
            "requests": requests,
            "lock_tracking": bool(doc.get("lock_tracking")),
            "lock_graph": graph,
            "deadlocks": deadlocks,
            "deadlock_analysis": finder is not None,
            "jvm_deadlocks": jvm,
        }
        analysis["headline"] = _headline(analysis)
        return analysis

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        """Groups that grew or shrank between two dumps, and the change per state."""
        a, b = self.analyze(base), self.analyze(other)
        key = ("state", "top")
        before = {tuple(g[k] for k in key): g["count"] for g in a["groups"]}
        after = {tuple(g[k] for k in key): g["count"] for g in b["groups"]}
        changed = [
            {"state": k[0], "top": k[1], "base": before.get(k, 0), "other": after.get(k, 0),
             "delta": after.get(k, 0) - before.get(k, 0)}
            for k in sorted(set(before) | set(after))
            if after.get(k, 0) != before.get(k, 0)
        ]
        changed.sort(key=lambda g: (-abs(g["delta"]), g["top"]))
        states = {s: b["states"].get(s, 0) - a["states"].get(s, 0)
                  for s in sorted(set(a["states"]) | set(b["states"]))}
        delta = b["thread_count"] - a["thread_count"]
        top = changed[0] if changed else None
        headline = f"{a['thread_count']} -> {b['thread_count']} threads ({delta:+d})"
        if top is not None:
            headline += f"; {top['delta']:+d} {top['state']} at {top['top']}"
        return {"thread_count_delta": delta, "states_delta": states,
                "groups": changed[:MAX_GROUPS], "headline": headline}

    def _groups(self, threads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        by: dict[tuple[str, tuple[tuple[str, int, str], ...]], list[dict[str, Any]]] = {}
        for t in threads:
            stack = tuple(_frame_key(f) for f in _list(t, "stack"))
            by.setdefault((str(t.get("state") or "unknown"), stack), []).append(t)
        groups: list[dict[str, Any]] = []
        for (state, _), members in by.items():
            frames = [_frame(f) for f in _list(members[0], "stack")]
            groups.append({
                "state": state, "count": len(members),
                "top": _where(frames[-1] if frames else None),
                "app_top": _app_top(frames),
                "stack": frames,
                "threads": [{"id": t.get("id"), "name": str(t.get("name", ""))}
                            for t in members[:MAX_GROUP_THREADS]],
                "serving": sum(1 for t in members if t.get("request")),
            })
        groups.sort(key=lambda g: (-g["count"], g["state"], g["top"]))
        return groups[:MAX_GROUPS]

    def _requests(self, threads: Sequence[dict[str, Any]], tasks: Sequence[dict[str, Any]],
                  names: Mapping[Any, str]) -> list[dict[str, Any]]:
        rows = []
        for owner, is_task in ((threads, False), (tasks, True)):
            for t in owner:
                req = t.get("request")
                if not isinstance(req, dict):
                    continue
                stack = _list(t, "stack")
                tid = t.get("thread_id") if is_task else t.get("id")
                rows.append({
                    "thread_id": tid,
                    "thread": names.get(tid) if is_task else str(t.get("name", "")),
                    "task": str(t.get("name", "")) if is_task else None,
                    "state": None if is_task else str(t.get("state") or "unknown"),
                    **req,
                    "frame": _where(stack[-1] if stack else None),
                })
        rows.sort(key=lambda r: -float(r["elapsed_ms"] or 0))
        return rows

    def _lock_graph(self, doc: Doc, threads: Sequence[dict[str, Any]],
                    names: Mapping[Any, str]) -> list[dict[str, Any]]:
        """owner -> lock -> waiters: each tracked lock that is held or waited for."""
        locks: dict[str, dict[str, Any]] = {}
        for lock in _list(doc, "locks"):
            locks[str(lock.get("id"))] = {
                "lock": str(lock.get("id")), "type": lock.get("type"),
                "created_at": lock.get("created_at"), "owner": lock.get("owner"),
                "waiters": [w for w in lock.get("waiters") or []],
            }
        for t in threads:  # holds / waits_for name the same locks from the threads' side
            for held in t.get("holds") or []:
                entry = locks.setdefault(str(held), _empty(str(held)))
                if entry["owner"] is None:
                    entry["owner"] = t.get("id")
            wanted = t.get("waits_for")
            if wanted is not None:
                entry = locks.setdefault(str(wanted), _empty(str(wanted)))
                if t.get("id") not in entry["waiters"]:
                    entry["waiters"].append(t.get("id"))
        graph = []
        for entry in locks.values():
            if entry["owner"] is None and not entry["waiters"]:
                continue
            entry["owner_name"] = names.get(entry["owner"]) if entry["owner"] is not None else None
            entry["waiters"] = [{"id": w, "name": names.get(w)} for w in entry["waiters"]]
            graph.append(entry)
        graph.sort(key=lambda e: (-len(e["waiters"]), e["lock"]))
        return graph


def _ident(value: Any) -> int | str | None:
    """A thread id as the dump gives it (an int, a string), else its text: ids are keys."""
    if value is None or (isinstance(value, int | str) and not isinstance(value, bool)):
        return value
    return str(value)


def _request(req: Any) -> dict[str, Any] | None:
    if not isinstance(req, Mapping):
        return None
    return {**{k: _text(req.get(k)) for k in ("trace_id", "span_id", "name", "route", "url")},
            "elapsed_ms": _number(req.get("elapsed_ms"))}


def _any_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _clean(doc: Doc) -> dict[str, Any]:
    """The document with every field the analysis reads in its documented type: an agent's
    document is input from outside (``docs/captures.md`` is the contract, not a promise)."""
    threads = [{
        "id": _ident(t.get("id")), "name": str(t.get("name", "")),
        "state": str(t.get("state") or "unknown"),
        "stack": [_frame(f) for f in _list(t, "stack")], "request": _request(t.get("request")),
        "holds": _strings(t.get("holds")),
        "waits_for": None if t.get("waits_for") is None else str(t.get("waits_for")),
    } for t in _list(doc, "threads")]
    tasks = [{"name": str(t.get("name", "")), "thread_id": _ident(t.get("thread_id")),
              "stack": [_frame(f) for f in _list(t, "stack")],
              "request": _request(t.get("request"))} for t in _list(doc, "tasks")]
    locks = [{"id": str(lk.get("id")), "type": _text(lk.get("type")),
              "created_at": _text(lk.get("created_at")), "owner": _ident(lk.get("owner")),
              "waiters": [_ident(w) for w in _any_list(lk.get("waiters"))]}
             for lk in _list(doc, "locks") if lk.get("id") is not None]
    jvm = [{"text": str(d.get("text", "")), "threads": _strings(d.get("threads")),
            "cycle": [{"thread": str(c.get("thread", "")), "thread_id": _ident(c.get("thread_id")),
                       "waits_for": _text(c.get("waits_for")), "type": str(c.get("type", "")),
                       "held_by": str(c.get("held_by", "")),
                       "held_by_id": _ident(c.get("held_by_id"))} for c in _list(d, "cycle")]}
           for d in _list(doc, "jvm_deadlocks")]
    return {**doc, "threads": threads, "tasks": tasks, "locks": locks, "jvm_deadlocks": jvm,
            "lock_tracking": doc.get("lock_tracking") is True}


def _empty(lock_id: str) -> dict[str, Any]:
    return {"lock": lock_id, "type": None, "created_at": None, "owner": None, "waiters": []}


def _headline(a: Mapping[str, Any]) -> str:
    parts = [f"{a['thread_count']} threads"]
    if a["groups"] and a["groups"][0]["count"] > 1:
        g = a["groups"][0]
        where = g["top"] if g["app_top"] is None else f"{g['top']} from {g['app_top']}"
        parts.append(f"{g['count']} {g['state']} at {where}")
    if a["requests"]:
        parts.append(f"{len(a['requests'])} serving requests")
    # A JVM dump's own deadlock sections and the cycles read from its lock lines are the
    # same deadlocks told twice: count the larger, not the sum.
    found = max(len(a["deadlocks"]), len(a["jvm_deadlocks"]))
    if found:
        parts.append(f"{found} deadlock{'s' if found > 1 else ''}")
    return "; ".join(parts)
