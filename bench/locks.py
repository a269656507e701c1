"""Lock tracking's cost (``BONGSU_TRACK_LOCKS=1``), side by side with plain locks in one run.

Cases, each figure the median of ``--repeat`` rounds (7) taken in turns over all cases:

- **per operation**: one ``with lock: pass`` (an acquire and a release) on a plain C
  ``threading.Lock`` / ``RLock`` / ``Condition`` against the tracked ones, uncontended (one
  thread) and contended (2 threads on one lock; wall time per operation, both threads'
  operations counted: mostly the GIL's hand-over, the same for both);
- **creation**: ``threading.Lock()`` / ``RLock()`` / ``Condition()`` made and dropped, with
  tracking off and on (the tracked factory walks the caller's frames for the creation site);
- **per request**: a WSGI-style handler doing N lock operations (a few module locks, as a
  connection pool, a cache and a logger would) plus a JSON body, called N times in-process;
  the difference is what tracking adds to a request;
- **capture**: ``capture_threads`` of a process with 20 threads, tracking off and on with
  10,000 and 100,000 live tracked locks (the snapshot copies the registry of live locks).

    .venv/bin/python bench/locks.py            # ~1 min on 2 cores
    .venv/bin/python bench/locks.py --quick    # smaller N, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bongsu.agent import _locks
from bongsu.agent._locks import TrackedLock, TrackedRLock
from bongsu.agent._threads import capture_threads

_PlainLock = threading.Lock
_PlainRLock = threading.RLock
_PlainCondition = threading.Condition


def _per_op(lock: Any, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with lock:
            pass
    return (time.perf_counter() - started) / n * 1e9


def _contended(lock: Any, n: int, threads: int = 2) -> float:
    go = threading.Event()
    counter = [0]

    def work() -> None:
        go.wait()
        for _ in range(n):
            with lock:
                counter[0] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    started = time.perf_counter()
    go.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    assert counter[0] == n * threads
    return elapsed / (n * threads) * 1e9


def _creation(make: Callable[[], Any], n: int) -> float:
    # Made and dropped at once (kept, 100,000 GC-tracked wrappers would time the collector).
    started = time.perf_counter()
    for _ in range(n):
        make()
    return (time.perf_counter() - started) / n * 1e9


def _handler(locks: list[Any], ops: int) -> Callable[[], bytes]:
    def handle() -> bytes:
        total = 0
        for i in range(ops):
            with locks[i % len(locks)]:
                total += i
        return json.dumps({"total": total, "items": list(range(20))}).encode()
    return handle


def _per_request(handle: Callable[[], bytes], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        handle()
    return (time.perf_counter() - started) / n * 1e6


def _capture_ms(live_locks: int, tracked: bool, rounds: int = 5) -> float:
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait, daemon=True) for _ in range(20)]
    for w in workers:
        w.start()
    if tracked:
        _locks.install()
    keep = [TrackedLock("bench.py:1") for _ in range(live_locks)] if tracked else []
    held = keep[:10]
    for lock in held:
        lock.acquire()
    try:
        capture_threads(None)  # warm linecache
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            capture_threads(None)
            times.append((time.perf_counter() - started) * 1e3)
        return statistics.median(times)
    finally:
        for lock in held:
            lock.release()
        _locks.uninstall()
        stop.set()
        for w in workers:
            w.join()
        del keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = 50_000 if args.quick else 200_000
    nc = 20_000 if args.quick else 100_000
    nreq = 2_000 if args.quick else 20_000

    per_op: dict[str, Callable[[], Any]] = {
        "Lock plain": _PlainLock, "Lock tracked": lambda: TrackedLock("bench.py:1"),
        "RLock plain": _PlainRLock, "RLock tracked": lambda: TrackedRLock("bench.py:1"),
        "Condition plain": _PlainCondition,
        "Condition tracked": lambda: _PlainCondition(TrackedRLock("bench.py:1", "Condition")),
    }
    results: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        results.setdefault(key, []).append(value)

    for _ in range(args.repeat):
        for name, make in per_op.items():
            add(f"op {name}", _per_op(make(), n))
            add(f"contended {name}", _contended(make(), nc // 4))
        for kind in ("Lock", "RLock", "Condition"):
            add(f"create {kind} plain", _creation(getattr(threading, kind), nc))
            _locks.install()
            try:
                add(f"create {kind} tracked", _creation(getattr(threading, kind), nc))
            finally:
                _locks.uninstall()
        for ops in (10, 100):
            plain = [_PlainLock() for _ in range(3)] + [_PlainRLock()]
            tracked = [TrackedLock("bench.py:1") for _ in range(3)] + [TrackedRLock("b:1")]
            add(f"request {ops} plain", _per_request(_handler(plain, ops), nreq))
            add(f"request {ops} tracked", _per_request(_handler(tracked, ops), nreq))
    captures = {"off": _capture_ms(0, False),
                "on, 10,000 live locks": _capture_ms(10_000, True),
                "on, 100,000 live locks": _capture_ms(100_000, True)}

    med = {k: statistics.median(v) for k, v in results.items()}
    print("| lock | plain ns/op | tracked ns/op | added ns | contended plain | contended "
          "tracked | create plain ns | create tracked ns |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("Lock", "RLock", "Condition"):
        p, t = med[f"op {kind} plain"], med[f"op {kind} tracked"]
        print(f"| {kind} | {p:.0f} | {t:.0f} | {t - p:.0f} | "
              f"{med[f'contended {kind} plain']:.0f} | {med[f'contended {kind} tracked']:.0f} | "
              f"{med[f'create {kind} plain']:.0f} | {med[f'create {kind} tracked']:.0f} |")
    print()
    print("| lock operations per request | plain µs/request | tracked µs/request | added µs |")
    print("|---:|---:|---:|---:|")
    for ops in (10, 100):
        p, t = med[f"request {ops} plain"], med[f"request {ops} tracked"]
        print(f"| {ops} | {p:.2f} | {t:.2f} | {t - p:.2f} |")
    print()
    print("| capture_threads, 20 threads | ms |")
    print("|---|---:|")
    for name, ms in captures.items():
        print(f"| tracking {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
