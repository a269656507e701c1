"""Lock tracking (``bongsu.agent._locks``) on real threads: owners, waiters, RLock depth,
Condition wait/notify, timeouts, non-blocking calls, many threads, fork, signal handlers
and gc callbacks; each thread state of a ``threads`` capture; the deadlock analyzer."""

from __future__ import annotations

import asyncio
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bongsu.agent import _locks
from bongsu.agent._locks import TrackedLock, TrackedRLock
from bongsu.agent._threads import STATES, capture_threads
from bongsu.diagnostics.locks import deadlocks

HERE = os.path.abspath(__file__)


@pytest.fixture
def tracking() -> Iterator[None]:
    _locks.install()
    yield
    _locks.uninstall()
    assert not _locks.waiting, _locks.waiting


def _wait(what: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.01)
    return result


def _line_of(marker: str) -> int:
    with open(HERE) as f:
        return next(n for n, text in enumerate(f, 1) if marker in text and "_line_of" not in text)


def _start(target: Callable[[], Any], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def test_lock_records_owner_site_and_waiters(tracking: None) -> None:
    lock = threading.Lock()  # MADE HERE
    assert isinstance(lock, TrackedLock)
    assert lock.created_at == f"{HERE}:{_line_of('# MADE HERE')}"
    with lock:
        assert lock.owner == threading.get_ident() and lock.locked()
        assert lock in _locks.snapshot()
        waiter = _start(lambda: lock.acquire(timeout=30) and lock.release(), "waiter")
        _wait(lambda: _locks.waiting.get(waiter.ident) is lock)
    waiter.join(30)
    assert lock.owner is None and not lock.locked() and waiter.ident not in _locks.waiting
    assert lock not in _locks.snapshot()


def test_timeouts_and_non_blocking(tracking: None) -> None:
    lock = threading.Lock()
    rlock = threading.RLock()
    holder_has = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with lock, rlock:
            holder_has.set()
            done.wait(30)

    holder = _start(hold, "holder")
    holder_has.wait(30)
    for each in (lock, rlock):
        started = time.monotonic()
        assert each.acquire(timeout=0.2) is False
        assert time.monotonic() - started >= 0.19
        assert each.acquire(blocking=False) is False
        assert each.acquire(False) is False
        with pytest.raises(ValueError, match="non-blocking"):
            each.acquire(False, 1)
        assert each.owner == holder.ident
        assert threading.get_ident() not in _locks.waiting
    with pytest.raises(RuntimeError):
        rlock.release()  # not ours: refused by the C RLock, bookkeeping untouched
    assert rlock.owner == holder.ident and rlock.depth == 1
    done.set()
    holder.join(30)
    assert lock.acquire(blocking=False) and lock.owner == threading.get_ident()
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()  # as the C lock: releasing an unlocked lock


def test_rlock_depth_and_condition_wait_notify(tracking: None) -> None:
    rlock = threading.RLock()
    assert isinstance(rlock, TrackedRLock)
    with rlock:
        with rlock:
            assert rlock.depth == 2 and rlock.owner == threading.get_ident()
        assert rlock.depth == 1
    assert rlock.depth == 0 and rlock.owner is None

    cond = threading.Condition()  # its own lock: a tracked RLock named Condition
    assert isinstance(cond._lock, TrackedRLock) and cond._lock.kind == "Condition"  # type: ignore[attr-defined]
    items: list[int] = []

    def consumer() -> None:
        with cond, cond:  # depth 2 while waiting: wait() gives it back whole
            assert cond.wait_for(lambda: items, timeout=30)
            assert cond._lock.depth == 2  # type: ignore[attr-defined]
            items.append(-1)

    worker = _start(consumer, "consumer")
    _wait(lambda: cond._lock.owner is None and cond._waiters)  # type: ignore[attr-defined]
    with cond:
        assert cond._lock.depth == 1  # type: ignore[attr-defined]
        items.append(1)
        cond.notify()
    worker.join(30)
    assert items == [1, -1] and cond._lock.owner is None  # type: ignore[attr-defined]
    with cond:
        assert cond.wait(timeout=0.05) is False  # nobody notifies: the timeout

    plain = threading.Lock()
    over_lock = threading.Condition(plain)
    with over_lock:
        assert plain.owner == threading.get_ident()
        assert over_lock.wait(0.01) is False
        assert plain.owner == threading.get_ident()
    assert plain.owner is None


def test_many_threads_count_exactly(tracking: None) -> None:
    lock, rlock = threading.Lock(), threading.RLock()
    counts = [0, 0]

    def work() -> None:
        for _ in range(2000):
            with lock:
                counts[0] += 1
            with rlock, rlock:
                counts[1] += 1

    threads = [_start(work, f"w{i}") for i in range(16)]
    for t in threads:
        t.join(60)
    assert counts == [32000, 32000]
    assert lock.owner is None and rlock.owner is None and rlock.depth == 0
    # The standard library's users of these locks work as before on top of them.
    q: queue.Queue[int] = queue.Queue(maxsize=4)
    producer = _start(lambda: [q.put(i) for i in range(100)], "producer")
    assert [q.get(timeout=30) for _ in range(100)] == list(range(100))
    producer.join(30)
    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(lambda x: x * 2, range(100))) == 9900
    barrier = threading.Barrier(3)
    assert sorted(f.result(30) for f in [ThreadPoolExecutor(3).submit(barrier.wait)
                                         for _ in range(3)]) == [0, 1, 2]


def test_untracked_locks(tracking: None) -> None:
    thread = threading.Thread(target=lambda: None)  # a Thread's own locks are plumbing
    assert not isinstance(thread._started._cond._lock, TrackedLock)  # type: ignore[attr-defined]
    made: list[Any] = []
    agent_thread = _start(lambda: made.append(threading.Lock()), "bongsu-agent")
    agent_thread.join(30)
    assert not isinstance(made[0], TrackedLock)  # the agent's own threads
    import _thread
    assert not isinstance(_thread.allocate_lock(), TrackedLock)  # C code's
    _locks.uninstall()
    assert not isinstance(threading.Lock(), TrackedLock)  # after uninstall
    assert threading.Condition is not _locks._TrackedCondition
    _locks.install()


def test_registry_forgets_dead_locks(tracking: None) -> None:
    keep = threading.Lock()
    keep.acquire()
    for _ in range(30000):
        threading.RLock()  # made and dropped at once: only a dead weak reference left
    assert len(_locks._refs) < 10000  # cut back whenever it doubles past the live count
    assert keep in _locks.snapshot() and keep.created_at.startswith(HERE + ":")
    keep.release()
    assert keep not in _locks.snapshot()


def test_standard_library_makers_give_their_callers_line(tracking: None) -> None:
    import logging

    q: queue.Queue[int] = queue.Queue()  # QUEUE MADE
    handler = logging.StreamHandler()  # HANDLER MADE
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(int)  # FUTURE MADE
        future.result(30)
    for lock, marker in ((q.mutex, "# QUEUE MADE"), (handler.lock, "# HANDLER MADE"),
                         (future._condition._lock, "# FUTURE MADE")):  # type: ignore[attr-defined]
        assert lock.created_at == f"{HERE}:{_line_of(marker)}"


class Holder:
    lock_class = threading.Lock  # bound at class creation: the C factory (untracked)


def test_factory_as_class_attribute_binds_no_self(tracking: None) -> None:
    class Late:
        lock_class = threading.Lock  # werkzeug's pattern, made after install

    lock = Late().lock_class()
    assert isinstance(lock, TrackedLock)
    assert not isinstance(Holder().lock_class(), TrackedLock)


def _in_child(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)


def test_fork_keeps_only_the_child_thread() -> None:
    code = """
import os, threading, time
from bongsu.agent import _locks
_locks.install()
lock = threading.Lock(); lock.acquire()
t = threading.Thread(target=lambda: lock.acquire(timeout=30), daemon=True); t.start()
while t.ident not in _locks.waiting: time.sleep(0.01)
pid = os.fork()
if pid == 0:
    ok = list(_locks.waiting) == []
    mine = threading.Lock(); ev = threading.Event()
    w = threading.Thread(target=lambda: (mine.acquire(), ev.set(), mine.release())); w.start()
    w.join(10); ok = ok and ev.is_set() and mine.owner is None
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
lock.release(); t.join(30)
print("child", os.waitstatus_to_exitcode(status))
"""
    result = _in_child(code)
    assert result.stdout.strip() == "child 0", result.stderr


def test_signal_handler_and_gc_callback_reenter_tracked_locks() -> None:
    code = """
import gc, signal, threading, time
from bongsu.agent import _locks
_locks.install()
rlock = threading.RLock(); other = threading.Lock()
hits = [0, 0]
def on_alarm(signum, frame):
    with rlock:          # re-enters the RLock the main thread may be inside acquire() of
        hits[0] += 1
def on_gc(phase, info):
    with rlock, other:
        hits[1] += 1
signal.signal(signal.SIGALRM, on_alarm)
gc.callbacks.append(on_gc)
signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    with rlock:
        with rlock:
            for _ in range(50):  # cycles: garbage only the collector frees
                junk = []
                junk.append(junk)
signal.setitimer(signal.ITIMER_REAL, 0)
gc.callbacks.remove(on_gc)
print(hits[0] > 10, hits[1] > 10, rlock.owner, rlock.depth, other.owner, dict(_locks.waiting))
"""
    result = _in_child(code)
    assert result.stdout.strip() == "True True None 0 None {}", result.stderr


def test_a_signal_handler_waiting_inside_a_wait_leaves_the_outer_wait_listed() -> None:
    code = """
import signal, threading, time
from bongsu.agent import _locks
_locks.install()
a, b = threading.Lock(), threading.Lock()
held, release = threading.Event(), threading.Event()
def holder():
    with a, b:
        held.set(); release.wait(30)
threading.Thread(target=holder, daemon=True).start(); held.wait()
main, seen = threading.get_ident(), []
def on_alarm(signum, frame):
    seen.append(_locks.waiting.get(main) is a)
    seen.append(b.acquire(timeout=0.2))  # a wait inside the main thread's wait for a
def watch():
    time.sleep(1.5)
    seen.append(_locks.waiting.get(main) is a)
    release.set()
signal.signal(signal.SIGALRM, on_alarm)
threading.Thread(target=watch, daemon=True).start()
signal.setitimer(signal.ITIMER_REAL, 0.3)
got = a.acquire(timeout=60)
print(seen, got, a.owner == main, main in _locks.waiting)
"""
    result = _in_child(code)
    assert result.stdout.strip() == "[True, False, True] True True False", result.stderr


# --- thread states, each in a real thread -------------------------------------------------

def _states(**workers: Callable[[], Any]) -> dict[str, dict[str, Any]]:
    for name, target in workers.items():
        _start(target, name)

    def ready() -> dict[str, dict[str, Any]] | None:
        doc = capture_threads(None)
        by_name = {t["name"]: t for t in doc["threads"] if t["name"] in workers}
        settled = len(by_name) == len(workers) and all(
            t["state"] != "running" or name == "busy" for name, t in by_name.items())
        return by_name if settled else None

    return _wait(ready)  # type: ignore[no-any-return]


def test_each_state() -> None:
    stop = threading.Event()
    held = threading.Lock()
    held.acquire()
    left, right = socket.socketpair()
    q: queue.Queue[int] = queue.Queue()
    pool = ThreadPoolExecutor(1, thread_name_prefix="pool")
    pool.submit(lambda: None).result(30)
    sleeper = threading.Thread(target=lambda: stop.wait(60), name="sleeper-target")
    sleeper.start()

    def busy() -> None:
        while not stop.is_set():
            sum(range(500))

    def joiner() -> None:
        sleeper.join(60)

    loop = asyncio.new_event_loop()
    cond = threading.Condition()
    cond.acquire()

    def enter_condition() -> None:
        with cond:
            pass

    try:
        states = _states(
            sleeps=lambda: time.sleep(60),
            reads=lambda: left.recv(10),
            locked=lambda: held.acquire(timeout=60),
            entering=lambda: held.__enter__(),
            queued=lambda: q.get(timeout=60),
            event=lambda: stop.wait(60),
            joiner=joiner,
            busy=busy,
            loop=loop.run_forever,
            condition=enter_condition,
        )
        pool_thread = next(t for t in capture_threads(None)["threads"]
                           if t["name"].startswith("pool"))
        got = {name: t["state"] for name, t in states.items()}
        assert got == {"sleeps": "sleeping", "reads": "io", "locked": "waiting_lock",
                       "entering": "waiting_lock", "queued": "idle_pool", "event": "waiting",
                       "joiner": "waiting", "busy": "running", "loop": "io",
                       "condition": "waiting_lock"}
        assert pool_thread["state"] == "idle_pool"
        assert set(got.values()) | {"unknown"} == set(STATES)
        assert all(t["holds"] == [] and t["waits_for"] is None for t in states.values())
    finally:
        stop.set()
        held.release()
        cond.release()
        loop.call_soon_threadsafe(loop.stop)
        q.put(0)
        right.send(b"x")
        pool.shutdown()
        sleeper.join(30)
    from bongsu.agent._threads import thread_state
    assert thread_state(None) == "unknown"


def test_with_statement_waits_and_tracked_capture(tracking: None) -> None:
    first = threading.Lock()  # FIRST LOCK
    second = threading.RLock()  # SECOND LOCK
    crossed = threading.Barrier(2)

    def one() -> None:
        try:
            with first:
                crossed.wait()
                with second:  # ONE WAITS
                    pass
        except RuntimeError:
            pass  # the test released `first` under it to end the deadlock

    def two() -> None:
        with second, second:
            crossed.wait()
            with first:  # TWO WAITS
                pass

    a, b = _start(one, "one"), _start(two, "two")
    _wait(lambda: {a.ident, b.ident} <= set(_locks.waiting))
    doc = capture_threads(None)
    by_name = {t["name"]: t for t in doc["threads"]}
    assert doc["lock_tracking"] is True
    assert by_name["one"]["state"] == by_name["two"]["state"] == "waiting_lock"
    assert by_name["one"]["stack"][-1]["line"] == _line_of("# ONE WAITS")
    locks = {lk["id"]: lk for lk in doc["locks"]}
    held_by_two = locks[by_name["two"]["holds"][0]]
    assert held_by_two["type"] == "RLock" and held_by_two["depth"] == 2
    assert held_by_two["created_at"] == f"{HERE}:{_line_of('# SECOND LOCK')}"
    assert held_by_two["waiters"] == [a.ident]
    [cycle] = deadlocks(doc)
    f, s = locks[by_name["one"]["holds"][0]], held_by_two
    assert cycle["threads"] == ["one", "two"] and cycle["thread_ids"] == [a.ident, b.ident]
    assert cycle["message"] == (
        f"deadlock: thread one holds {f['id']} (test_locks.py:{_line_of('# FIRST LOCK')}) "
        f"and waits for {s['id']} (test_locks.py:{_line_of('# SECOND LOCK')}) held by two, "
        f"which waits for {f['id']}")
    # Not a real app: break the cycle so the threads end.
    first._raw.release()  # type: ignore[attr-defined]
    a.join(30)
    b.join(30)


# --- the analyzer on documents -----------------------------------------------------------

def _doc(waits: dict[int, str | None], owners: dict[str, int]) -> dict[str, Any]:
    return {"threads": [{"id": i, "name": f"t{i}", "waits_for": w,
                         "holds": [lk for lk, o in owners.items() if o == i]}
                        for i, w in waits.items()],
            "locks": [{"id": lk, "owner": o, "created_at": f"/srv/app.py:{n}"}
                      for n, (lk, o) in enumerate(owners.items(), 1)]}


def test_deadlocks_finds_each_cycle_once() -> None:
    doc = _doc({1: "B", 2: "C", 3: "A", 4: "A", 5: "E", 6: None},
               {"A": 1, "B": 2, "C": 3, "E": 5, "F": 6})
    three, self_wait = deadlocks(doc)
    assert three["threads"] == ["t1", "t2", "t3"] and three["locks"] == ["B", "C", "A"]
    assert three["message"] == (
        "deadlock: thread t1 holds A (app.py:1) and waits for B (app.py:2) held by t2, "
        "which waits for C (app.py:3) held by t3, which waits for A")
    assert self_wait["message"] == ("deadlock: thread t5 waits for E (app.py:4), which it "
                                    "holds itself")
    # Thread 4 waits for the cycle but is not in it; a chain ending at a running owner is
    # no deadlock.
    assert deadlocks(_doc({1: "B", 2: None}, {"B": 2})) == []
    assert deadlocks({"threads": [], "locks": []}) == [] and deadlocks({}) == []
    # A collector naming holds but no owners (JVM) is read through the holds.
    jvm = {"threads": [{"id": "a", "name": "A", "holds": ["0x1"], "waits_for": "0x2"},
                       {"id": "b", "name": "B", "holds": ["0x2"], "waits_for": "0x1"}]}
    assert deadlocks(jvm)[0]["message"] == ("deadlock: thread A holds 0x1 and waits for 0x2 "
                                             "held by B, which waits for 0x1")


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(
    ["L1", "L2", "a", ""]) | st.floats(allow_nan=True), lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["threads", "locks", "id", "name", "owner", "holds",
                                       "waits_for", "created_at"]), inner, max_size=6),
    max_leaves=30))
def test_deadlocks_never_raises_on_any_document(doc: Any) -> None:
    found = deadlocks(doc if isinstance(doc, dict) else {"threads": doc})
    assert all(isinstance(d["message"], str) and d["message"].startswith("deadlock: ")
               for d in found)
