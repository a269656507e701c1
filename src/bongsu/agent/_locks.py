"""Lock tracking (``BONGSU_TRACK_LOCKS=1``): who holds which lock, and who waits for it.

:func:`install` replaces ``threading.Lock``, ``threading.RLock`` and ``threading.Condition``
with wrappers around the C locks that record the owner's thread id, an RLock's depth and
where the lock was made; a thread blocked acquiring one is entered in ``waiting`` (thread id
-> lock) for as long as it waits. :func:`snapshot` reads that for a thread capture.

What is not tracked: locks made before :func:`install` (or bound by ``from threading import
Lock`` earlier), locks made by C code (``_thread.allocate_lock``, extension modules), a
thread's own start/stop locks, the agent's own locks (made in ``bongsu/agent`` or on its
threads), ``asyncio`` and ``multiprocessing`` locks. A thread waiting on an Event,
Semaphore, Barrier or for a Condition's notify is ``waiting``, not waiting for a lock: those
have no owner. A capture lists only the locks held or waited for at that moment.

Safety: the waiting itself is the C lock's (a signal handler or a ``gc`` callback that
takes an RLock re-enters it in C exactly as before); the bookkeeping around it is a few
attribute and dict stores that never block and never raise, so at worst a capture taken at
that instant shows an owner a moment late. The uncontended path adds one ``get_ident()``
and one attribute store to the C call (figures in ``docs/benchmarks.md``). After ``fork``
the child keeps only its own thread's waits.

Example::

    install()
    lock = threading.Lock()          # tracked, created_at "app.py:12"
    with lock:
        [held] = snapshot()
        assert held.owner == threading.get_ident()
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import weakref
from _thread import RLock as _CRLock
from _thread import allocate_lock as _allocate_lock
from _thread import get_ident
from types import CodeType, FrameType
from typing import Any

__all__ = ["TrackedLock", "TrackedRLock", "install", "installed", "snapshot", "uninstall",
           "waiting"]

Site = str | tuple[CodeType, int]  # "file:line", or (code, instruction) for later

waiting: dict[int, TrackedLock | TrackedRLock] = {}
"""Thread id -> the tracked lock it is blocked acquiring (set only while it waits)."""

# Every tracked lock made, weakly: an append is one C call; dead entries are cut out now and
# then by whoever gets _prune_lock without waiting (so nothing here can ever block).
_refs: list[weakref.ref[TrackedLock | TrackedRLock]] = []
_next_prune = [4096]
_prune_lock = _allocate_lock()
_ref = weakref.ref
_seq = itertools.count(1)
_ORIGINAL: dict[str, Any] = {}
_THREADING_FILE = threading.__file__
_AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_DEMO_DIR = _AGENT_DIR + "demo" + os.sep  # the demo shop's apps are apps, not the agent
_STDLIB = os.path.dirname(_THREADING_FILE)
# The standard library's lock makers on behalf of their caller: the caller's line is the
# site (a Queue, a Future, a logging Handler, an Event are made where the app makes them).
_SKIP_FILES = {_THREADING_FILE, os.path.abspath(__file__)} | {
    os.path.join(_STDLIB, *path) for path in (
        ("queue.py",), ("concurrent", "futures", "_base.py"),
        ("concurrent", "futures", "thread.py"), ("logging", "__init__.py"))}
# A Thread's own locks (its started Event, its tstate lock) are the interpreter's plumbing.
# Compared by identity: hashing a code object hashes its contents (~1 µs a frame).
_THREAD_INIT = threading.Thread.__init__.__code__
_THREAD_RESET = getattr(getattr(threading.Thread, "_reset_internal_locks", None), "__code__",
                        _THREAD_INIT)  # a private method: never fail the import over it
_MAX_WALK = 12
_ACTIVE: dict[int, threading.Thread] = getattr(threading, "_active", {})


class TrackedLock:
    """A ``threading.Lock`` that records its owner while held.

    Example::

        lock = TrackedLock("app.py:3")
        assert lock.acquire(timeout=1) and lock.owner == threading.get_ident()
    """

    __slots__ = ("__weakref__", "_raw", "_site", "owner", "seq")
    kind = "Lock"

    def __init__(self, created_at: Site = "") -> None:
        self._raw = _allocate_lock()
        self.owner: int | None = None
        self._site = created_at
        self.seq = next(_seq)
        _refs.append(_ref(self))
        if len(_refs) > _next_prune[0]:
            _prune()

    @property
    def depth(self) -> int:
        return 1 if self.owner is not None else 0

    @property
    def created_at(self) -> str:
        """``file:line`` where the lock was made."""
        return _site_text(self._site)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._raw.acquire(False):  # uncontended: only the owner to note
            self.owner = get_ident()
            return True
        if not blocking:
            return _not_blocking(timeout)
        me = get_ident()
        outer = waiting.get(me)  # set when a signal handler waits inside another wait
        waiting[me] = self
        try:
            got = self._raw.acquire(True, timeout)
        finally:
            _unwait(me, outer)
        if got:
            self.owner = me
        return bool(got)

    def release(self) -> None:
        # The owner is cleared before the C release, never after: the next owner's store
        # must not be overwritten.
        self.owner = None
        self._raw.release()

    __enter__ = acquire  # one Python call per `with`, not two

    def __exit__(self, t: object, v: object, tb: object) -> None:
        self.owner = None
        self._raw.release()

    def locked(self) -> bool:
        return self._raw.locked()

    def _at_fork_reinit(self) -> None:
        self._raw._at_fork_reinit()  # type: ignore[attr-defined]
        self.owner = None

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __repr__(self) -> str:
        state = f"locked by {self.owner}" if self._raw.locked() else "unlocked"
        return f"<bongsu tracked {self.kind} L{self.seq} {state}, created at {self.created_at}>"


class TrackedRLock:
    """A ``threading.RLock`` that records its owner and recursion depth.

    Re-entry happens in the C RLock (a signal handler re-entering it is as safe as
    before); ``owner`` and ``depth`` are bookkeeping beside it.

    Example::

        lock = TrackedRLock("app.py:3")
        with lock, lock:
            assert lock.depth == 2
    """

    __slots__ = ("__weakref__", "_raw", "_site", "depth", "kind", "owner", "seq")

    def __init__(self, created_at: Site = "", kind: str = "RLock") -> None:
        self._raw = _CRLock()
        self.owner: int | None = None
        self.depth = 0
        self.kind = kind
        self._site = created_at
        self.seq = next(_seq)
        _refs.append(_ref(self))
        if len(_refs) > _next_prune[0]:
            _prune()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._raw.acquire(False):  # free, or already ours (re-entry)
            self.owner = get_ident()
            self.depth += 1
            return True
        if not blocking:
            return _not_blocking(timeout)
        me = get_ident()
        outer = waiting.get(me)  # set when a signal handler waits inside another wait
        waiting[me] = self
        try:
            got = self._raw.acquire(True, timeout)
        finally:
            _unwait(me, outer)
        if got:
            self.owner = me
            self.depth += 1
        return bool(got)

    def release(self) -> None:
        if self.owner == get_ident():  # else the C release raises, bookkeeping untouched
            depth = self.depth - 1
            if depth > 0:
                self.depth = depth
            else:
                self.depth, self.owner = 0, None
        self._raw.release()

    __enter__ = acquire

    def __exit__(self, t: object, v: object, tb: object) -> None:
        if self.owner == get_ident():
            depth = self.depth - 1
            if depth > 0:
                self.depth = depth
            else:
                self.depth, self.owner = 0, None
        self._raw.release()

    # Condition.wait() releases an RLock whole and takes it back with its depth.
    @property
    def created_at(self) -> str:
        """``file:line`` where the lock was made."""
        return _site_text(self._site)

    def _is_owned(self) -> bool:
        return bool(self._raw._is_owned())  # type: ignore[attr-defined]

    def _release_save(self) -> tuple[Any, int]:
        depth = self.depth
        if self.owner == get_ident():
            self.depth, self.owner = 0, None
        return self._raw._release_save(), depth  # type: ignore[attr-defined]

    def _acquire_restore(self, state: tuple[Any, int]) -> None:
        raw_state, depth = state
        me = get_ident()
        outer = waiting.get(me)
        waiting[me] = self
        try:
            self._raw._acquire_restore(raw_state)  # type: ignore[attr-defined]
        finally:
            _unwait(me, outer)
        self.owner, self.depth = me, depth

    def _at_fork_reinit(self) -> None:
        self._raw._at_fork_reinit()  # type: ignore[attr-defined]
        self.owner, self.depth = None, 0

    def __repr__(self) -> str:
        state = f"owned by {self.owner} depth {self.depth}" if self.owner else "unlocked"
        return f"<bongsu tracked {self.kind} L{self.seq} {state}, created at {self.created_at}>"


def _unwait(me: int, outer: TrackedLock | TrackedRLock | None) -> None:
    if outer is None:
        waiting.pop(me, None)
    else:
        waiting[me] = outer  # back to the wait a signal handler interrupted


def _site_text(site: Site) -> str:
    if isinstance(site, str):
        return site
    code, lasti = site
    line = next((n for start, end, n in code.co_lines() if start <= lasti < end), None)
    return f"{code.co_filename}:{line or code.co_firstlineno}"


def _not_blocking(timeout: float) -> bool:
    if timeout != -1:  # as the C lock says it
        raise ValueError("can't specify a timeout for a non-blocking call")
    return False


def _creation_site(frame: FrameType | None) -> Site | None:
    """Where the code that made the lock was; None for locks not to track."""
    site: Site = ""
    for _ in range(_MAX_WALK):
        if frame is None:
            break
        code = frame.f_code
        if code is _THREAD_INIT or code is _THREAD_RESET:
            return None
        filename = code.co_filename
        if filename not in _SKIP_FILES:
            if filename.startswith(_AGENT_DIR) and not filename.startswith(_DEMO_DIR):
                return None
            site = (code, frame.f_lasti)  # the line is looked up only if a capture asks
            break
        frame = frame.f_back
    # Not current_thread(): in a thread threading did not start it makes a Thread (locks).
    thread = _ACTIVE.get(get_ident())
    if thread is not None and thread.name.startswith("bongsu-"):
        return None  # the agent's own threads (sender, watchdog), whatever they call
    return site


class _LockFactory:
    """``threading.Lock``: an object, not a function, so that as a class attribute
    (``lock_class = threading.Lock``, werkzeug's) it binds no ``self``, as the C one."""

    __slots__ = ()

    def __call__(self) -> Any:
        site = _creation_site(sys._getframe(1))
        if site is None:
            return _allocate_lock()
        return TrackedLock(site)

    def __repr__(self) -> str:
        return "<bongsu tracked threading.Lock factory>"


_make_lock = _LockFactory()


def _make_rlock(*args: Any, **kwargs: Any) -> Any:
    site = _creation_site(sys._getframe(1))
    if site is None:
        return _CRLock()
    return TrackedRLock(site)


class _TrackedCondition(threading.Condition):
    """``threading.Condition``; its own lock (when none is given) is a tracked RLock."""

    def __init__(self, lock: Any = None) -> None:
        if lock is None:
            site = _creation_site(sys._getframe(1))
            lock = _CRLock() if site is None else TrackedRLock(site, kind="Condition")
        super().__init__(lock)


def install() -> None:
    """Track the locks made from now on (idempotent)."""
    if _ORIGINAL:
        return
    _ORIGINAL.update(Lock=threading.Lock, RLock=threading.RLock,
                     Condition=threading.Condition)
    threading.Lock = _make_lock  # type: ignore[assignment,misc]
    threading.RLock = _make_rlock  # type: ignore[assignment]
    threading.Condition = _TrackedCondition  # type: ignore[misc]
    if hasattr(os, "register_at_fork") and not _fork_hook[0]:
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook[0] = True


def uninstall() -> None:
    """Make plain locks again (locks already made stay tracked)."""
    if not _ORIGINAL:
        return
    threading.Lock = _ORIGINAL["Lock"]  # type: ignore[misc]
    threading.RLock = _ORIGINAL["RLock"]  # type: ignore[misc]
    threading.Condition = _ORIGINAL["Condition"]  # type: ignore[misc]
    _ORIGINAL.clear()


def installed() -> bool:
    """Whether new locks are tracked."""
    return bool(_ORIGINAL)


_fork_hook = [False]


def _after_fork_in_child() -> None:
    global _prune_lock
    _prune_lock = _allocate_lock()  # a thread that held it is gone
    me = get_ident()
    for ident in [i for i in list(waiting) if i != me]:
        waiting.pop(ident, None)


def _prune() -> None:
    """Cut dead entries out of ``_refs``; amortized O(1) per lock made."""
    if not _prune_lock.acquire(False):
        return  # another thread is at it
    try:
        count = len(_refs)
        live = [r for r in _refs[:count] if r() is not None]
        # One C call; what other threads appended meanwhile sits beyond `count`, kept.
        _refs[:count] = live
        _next_prune[0] = max(4096, 2 * len(live))
    finally:
        _prune_lock.release()


def snapshot() -> list[TrackedLock | TrackedRLock]:
    """Tracked locks held or waited for now, oldest first."""
    wanted = {id(lock) for lock in list(waiting.values())}
    refs = list(_refs)  # one C call
    locks = [lock for ref in refs if (lock := ref()) is not None]
    out = [lock for lock in locks if lock.owner is not None or id(lock) in wanted]
    out.sort(key=lambda lock: lock.seq)
    return out
