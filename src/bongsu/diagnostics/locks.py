"""Deadlocks in a thread capture's lock graph (``bongsu.threads/1``: each thread's
``waits_for``, each lock's ``owner``).

A thread waiting for a lock waits for that lock's owner; each thread waits for at most one
lock and a lock has at most one owner, so every thread has at most one way out and a
deadlock is a cycle found by following it. Each cycle is reported once, starting from the
thread whose name sorts first, in words as plain as a JVM dump's.

Example::

    [d] = deadlocks(doc)
    d["message"]  # 'deadlock: thread worker-1 holds L1 (app.py:4) and waits for L2
                  #  (app.py:5) held by worker-2, which waits for L1'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

__all__ = ["Deadlock", "deadlocks"]


class Deadlock(TypedDict):
    """One cycle: its threads (names) and the locks they wait for, in the cycle's order."""

    threads: list[str]
    thread_ids: list[Any]
    locks: list[str]
    message: str


def deadlocks(doc: Mapping[str, Any]) -> list[Deadlock]:
    """Every cycle of thread -> lock -> owner in the capture ``doc``.

    The document is outside input: a field of another type than documented is ignored,
    never raised on.
    """
    if not isinstance(doc, Mapping):
        return []
    threads = [t for t in _list(doc.get("threads")) if isinstance(t, Mapping)
               and _ident(t.get("id")) is not None]
    locks = {str(lk["id"]): lk for lk in _list(doc.get("locks"))
             if isinstance(lk, Mapping) and _ident(lk.get("id")) is not None}
    owner: dict[str, Any] = {i: lk["owner"] for i, lk in locks.items()
                             if _ident(lk.get("owner")) is not None}
    for t in threads:  # a collector that names holds but no owners (a JVM dump)
        for held in _list(t.get("holds")):
            if _ident(held) is not None:
                owner.setdefault(str(held), t["id"])
    by_id = {t["id"]: t for t in threads}
    waits = {t["id"]: str(t["waits_for"]) for t in threads
             if _ident(t.get("waits_for")) is not None}

    found: list[Deadlock] = []
    seen: set[Any] = set()
    for start in sorted(waits, key=lambda i: (_name(by_id.get(i), i), str(i))):
        path: list[Any] = []
        at = start
        while at in waits and at not in seen and at not in path:
            path.append(at)
            at = owner.get(waits[at])
        seen.update(path)
        if at not in path:
            continue  # ends at a running thread, or joins a cycle already reported
        cycle = path[path.index(at):]
        first = min(range(len(cycle)), key=lambda k: (_name(by_id.get(cycle[k]), cycle[k]),
                                                      str(cycle[k])))
        cycle = cycle[first:] + cycle[:first]
        names = [_name(by_id.get(i), i) for i in cycle]
        wanted = [waits[i] for i in cycle]
        found.append(Deadlock(threads=names, thread_ids=cycle, locks=wanted,
                              message=_message(names, wanted, locks)))
    return found


def _ident(value: Any) -> int | str | None:
    """An id as the contract writes them (a thread's int, a lock's string), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(thread: Mapping[str, Any] | None, ident: Any) -> str:
    name = thread.get("name") if thread is not None else None
    return str(name) if name else f"thread-{ident}"


def _site(lock_id: str, locks: Mapping[str, Mapping[str, Any]]) -> str:
    where = str(locks.get(lock_id, {}).get("created_at") or "")
    if not where:
        return lock_id
    return f"{lock_id} ({where.replace(chr(92), '/').rsplit('/', 1)[-1]})"


def _message(names: list[str], wanted: list[str],
             locks: Mapping[str, Mapping[str, Any]]) -> str:
    if len(names) == 1:
        return (f"deadlock: thread {names[0]} waits for {_site(wanted[0], locks)}, "
                f"which it holds itself")
    held = wanted[-1]  # what the first thread holds: the last one waits for it
    text = (f"deadlock: thread {names[0]} holds {_site(held, locks)} and waits for "
            f"{_site(wanted[0], locks)} held by {names[1]}")
    for k in range(1, len(names) - 1):
        text += f", which waits for {_site(wanted[k], locks)} held by {names[k + 1]}"
    return text + f", which waits for {held}"
