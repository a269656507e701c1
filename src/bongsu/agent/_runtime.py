"""Runtime metrics of the process: CPU, memory, GC, threads, requests, DB connections.

Collected on the sender thread every ``metrics_interval`` seconds; names follow the
OpenTelemetry semantic conventions where they exist (``process.*``, ``cpython.gc.*``,
``http.server.active_requests``, ``db.client.connection.count``).

Example::

    gc_timer = GcTimer()
    metrics = collect_runtime(gc_timer, active=3, db={("sqlite", "idle"): 1})
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from typing import Any

from bongsu.agent._otlp import Metric

__all__ = ["GcTimer", "collect_runtime", "rss_bytes"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class GcTimer:
    """Total time spent in garbage collection, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.total += time.perf_counter() - self._started
            self._started = 0.0


def rss_bytes() -> tuple[int, int]:
    """Resident and virtual memory of this process, in bytes."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            size, resident = f.read().split()[:2]
        return int(resident) * _PAGE, int(size) * _PAGE
    except (OSError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 0


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def collect_runtime(
    gc_timer: GcTimer, active: int, db: dict[tuple[str, str], int]
) -> list[Metric]:
    """One sample of every runtime metric."""
    times = os.times()
    rss, vms = rss_bytes()
    metrics = [
        Metric("process.cpu.time", "sum", "s", "CPU time of all threads.",
               [({"cpu.mode": "user"}, times.user), ({"cpu.mode": "system"}, times.system)]),
        Metric("process.memory.usage", "sum", "By", "Resident set size.", [({}, rss)],
               monotonic=False),
        Metric("process.memory.virtual", "sum", "By", "Virtual memory size.", [({}, vms)],
               monotonic=False),
        Metric("process.thread.count", "sum", "{thread}", "Threads.",
               [({}, threading.active_count())], monotonic=False),
        Metric("process.open_file_descriptor.count", "sum", "{file_descriptor}",
               "Open file descriptors.", [({}, _open_fds())], monotonic=False),
        Metric("cpython.gc.collections", "sum", "{collection}", "GC runs per generation.",
               [({"cpython.gc.generation": i}, s["collections"])
                for i, s in enumerate(gc.get_stats())]),
        Metric("cpython.gc.collected_objects", "sum", "{object}", "Objects collected.",
               [({"cpython.gc.generation": i}, s["collected"])
                for i, s in enumerate(gc.get_stats())]),
        Metric("cpython.gc.uncollectable_objects", "sum", "{object}", "Uncollectable objects.",
               [({"cpython.gc.generation": i}, s["uncollectable"])
                for i, s in enumerate(gc.get_stats())]),
        Metric("bongsu.python.gc.duration", "sum", "s", "Time spent in garbage collection.",
               [({}, gc_timer.total)]),
        Metric("bongsu.python.gc.tracked_objects", "gauge", "{object}",
               "Objects waiting in each GC generation.",
               [({"cpython.gc.generation": i}, n) for i, n in enumerate(gc.get_count())]),
        Metric("bongsu.python.heap.allocated_blocks", "gauge", "{block}",
               "Memory blocks held by the Python allocator (a heap-size figure).",
               [({}, sys.getallocatedblocks())]),
        Metric("http.server.active_requests", "sum", "{request}", "In-flight server requests.",
               [({}, active)], monotonic=False),
    ]
    if db:
        metrics.append(Metric(
            "db.client.connection.count", "sum", "{connection}", "Open DB connections by state.",
            [({"db.system": system, "db.client.connection.state": state}, n)
             for (system, state), n in sorted(db.items())], monotonic=False))
    return metrics
