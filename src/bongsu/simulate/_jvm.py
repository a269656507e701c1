"""A G1 heap driven by request traffic, reported as OpenTelemetry JVM metrics.

Eden fills with each request's allocations; a full eden triggers a young collection that
keeps a few survivors and promotes some to the old generation, which a mixed collection
trims now and then. The result is the familiar heap sawtooth.

Example::

    jvm = JvmModel(rng)
    jvm.advance(requests=200, seconds=10, busy=1.5)
    jvm.write(writer)
"""

from __future__ import annotations

import random

from bongsu.simulate._instruments import Histogram, MetricWriter

MB = 1 << 20
EDEN_MAX = 300 * MB
OLD_MAX = 1024 * MB
GC_BUCKETS = (0.01, 0.1, 1.0, 10.0)  # the Java agent's advisory buckets for jvm.gc.duration
YOUNG = (("jvm.gc.name", "G1 Young Generation"), ("jvm.gc.action", "end of minor GC"))
MIXED = (("jvm.gc.name", "G1 Old Generation"), ("jvm.gc.action", "end of major GC"))


class JvmModel:
    """Heap pools, GC pauses, threads and CPU of one JVM."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.eden = rng.uniform(20, 200) * MB
        self.survivor = 12.0 * MB
        self.old = rng.uniform(180, 260) * MB
        self.metaspace = rng.uniform(118, 124) * MB
        self.code = rng.uniform(38, 44) * MB
        self.young_gc = Histogram(GC_BUCKETS)
        self.mixed_gc = Histogram(GC_BUCKETS)
        self.cpu = 0.05
        self.cpu_time = 0.0
        self.busy_threads = 0

    def advance(self, requests: int, seconds: float, busy: float) -> None:
        """Account ``requests`` served over ``seconds``; ``busy`` is mean requests in flight."""
        rng = self._rng
        self.eden += requests * rng.uniform(1.2, 1.8) * MB + seconds * 0.4 * MB
        while self.eden > EDEN_MAX:
            self.eden -= EDEN_MAX
            self.young_gc.record(rng.lognormvariate(-4.6, 0.5))  # median 10 ms
            self.survivor = rng.uniform(8, 24) * MB
            self.old += rng.uniform(2, 6) * MB
        if self.old > 0.7 * OLD_MAX:
            self.old = rng.uniform(180, 240) * MB
            self.mixed_gc.record(rng.lognormvariate(-2.3, 0.6))  # median 100 ms
        self.metaspace = min(self.metaspace + seconds * 0.001 * MB, 160 * MB)
        self.cpu = min(0.95, 0.03 + 0.25 * busy + rng.uniform(0, 0.03))
        self.cpu_time += self.cpu * seconds * 2  # two cores
        self.busy_threads = round(busy)

    def write(self, writer: MetricWriter) -> None:
        heap, non_heap = ("jvm.memory.type", "heap"), ("jvm.memory.type", "non_heap")
        pools = (
            ((heap, ("jvm.memory.pool.name", "G1 Eden Space")), int(self.eden)),
            ((heap, ("jvm.memory.pool.name", "G1 Survivor Space")), int(self.survivor)),
            ((heap, ("jvm.memory.pool.name", "G1 Old Gen")), int(self.old)),
            ((non_heap, ("jvm.memory.pool.name", "Metaspace")), int(self.metaspace)),
            ((non_heap, ("jvm.memory.pool.name", "CodeHeap 'non-profiled nmethods'")),
             int(self.code)),
            ((non_heap, ("jvm.memory.pool.name", "Compressed Class Space")), 14 * MB),
        )
        writer.sum("jvm.memory.used", "By", pools, monotonic=False)
        writer.sum("jvm.memory.committed", "By",
                   [(a, max(v, 16 * MB) + 8 * MB) for a, v in pools], monotonic=False)
        writer.sum("jvm.memory.limit", "By", (
            ((heap, ("jvm.memory.pool.name", "G1 Old Gen")), OLD_MAX),
            ((non_heap, ("jvm.memory.pool.name", "Compressed Class Space")), 1024 * MB),
            ((non_heap, ("jvm.memory.pool.name", "CodeHeap 'non-profiled nmethods'")),
             117 * MB),
        ), monotonic=False)
        gcs = [(YOUNG, self.young_gc)]
        if self.mixed_gc.count:
            gcs.append((MIXED, self.mixed_gc))
        writer.histogram("jvm.gc.duration", "s", gcs)
        writer.sum("jvm.thread.count", "{thread}", (
            ((("jvm.thread.daemon", True), ("jvm.thread.state", "runnable")),
             4 + self.busy_threads),
            ((("jvm.thread.daemon", True), ("jvm.thread.state", "waiting")), 18),
            ((("jvm.thread.daemon", True), ("jvm.thread.state", "timed_waiting")), 9),
            ((("jvm.thread.daemon", False), ("jvm.thread.state", "waiting")),
             200 - self.busy_threads),
        ), monotonic=False)
        writer.gauge("jvm.cpu.recent_utilization", "1", (((), round(self.cpu, 4)),))
        writer.sum("jvm.cpu.time", "s", (((), round(self.cpu_time, 3)),), monotonic=True)
        writer.sum("jvm.class.loaded", "{class}", (((), 14_382),), monotonic=True)
