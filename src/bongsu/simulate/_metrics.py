"""Metrics each instance's SDK would export every 10 s, derived from its own spans.

Request counts and durations come from the server and database spans that ended in the
interval, so the metrics agree with the traces: CPU and in-flight requests follow load
(Little's law: busy time / interval), DB pool use follows query time. Memory is steady
except on the one leaking instance, whose RSS grows ~1 MiB per simulated minute until an
OOM kill at its container's 256 MiB limit restarts it at its base size (the first one
about five minutes in). Instances not
running (HPA pods while scaled in) export nothing; a new pod starts its sums afresh.

Example::

    metrics = Metrics(system, rng, attrs, resources, start_ns, Fleet(system))
    metrics.record(served, queried)      # from Batches.flush
    exports = metrics.collect(now_ns)    # one Export per instance
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from bongsu.simulate._attributes import AttributeCache
from bongsu.simulate._batches import SCHEMA_URL, Export, QueryStat, ServerStat
from bongsu.simulate._fleet import Fleet
from bongsu.simulate._hosts import NodeLoad
from bongsu.simulate._instruments import (
    HTTP_BUCKETS,
    ExponentialHistogram,
    Histogram,
    MetricWriter,
)
from bongsu.simulate._jvm import JvmModel
from bongsu.simulate._observer import Observer
from bongsu.simulate._topology import Instance, Query, System

INTERVAL_S = 10  # OTEL_METRIC_EXPORT_INTERVAL default is 60 s; dashboards want 10 s
MB = 1 << 20
LEAK_PER_S = MB / 60
LEAK_HEADROOM = 5 * MB  # below the limit when the simulation starts
OOM_LIMIT = 256 * MB  # the orders container's memory limit (simulate.kube.scenario)
BASE_RSS = {"python": (140, 220), "java": (560, 640), "go": (38, 60)}  # MiB


class _InstanceMetrics:
    """Cumulative state of one instance's instruments."""

    def __init__(self, instance: Instance, rng: random.Random, start_ns: int,
                 fresh: bool = False) -> None:
        self.instance = instance
        language = instance.service.language
        # Processes started a while before the simulation; cumulative sums start there.
        self.process_start_ns = start_ns if fresh else (
            start_ns - int(rng.uniform(600, 72 * 3600) * 1e9))
        low, high = BASE_RSS.get(language, BASE_RSS["python"])
        self.base_rss = rng.uniform(low, high) * MB
        self.leak_start_ns = start_ns
        if instance.leaks_memory and not fresh:
            # Leaking for a while already: the first OOM kill comes ~5 minutes in (a demo
            # shows one), the next ones every 36-116 minutes.
            grown = max(0.0, OOM_LIMIT - self.base_rss - LEAK_HEADROOM)
            self.leak_start_ns -= int(grown / LEAK_PER_S * 1e9)
        self.http: dict[tuple[str, str, int], Histogram] = {}
        self.db: dict[tuple[str, str], ExponentialHistogram] = {}
        self.pool = 20 if language == "java" else 10
        self.uses_postgres = any(isinstance(s, Query) and s.db.system == "postgresql"
                                 for e in instance.service.endpoints.values() for s in e.steps)
        self.jvm = JvmModel(rng) if language == "java" else None
        self.cpu_time = [0.0, 0.0]  # user, system
        self.gc = [0, 0, 0]  # CPython collections per generation
        self.requests = 0
        self.busy_ns = 0
        self.db_busy_ns = 0


class Metrics:
    """Turns span statistics into per-instance metric exports."""

    def __init__(self, system: System, rng: random.Random, attrs: AttributeCache,
                 resources: Sequence[Resource], start_ns: int, fleet: Fleet,
                 observer: Observer | None = None) -> None:
        self._rng = rng
        self._attrs = attrs
        self._resources = resources
        self._fleet = fleet
        self._observer = observer
        self._instances = [_InstanceMetrics(i, rng, start_ns) for i in system.instances]
        self._node_load: dict[str, NodeLoad] = {}

    def take_node_load(self) -> dict[str, NodeLoad]:
        """What the pods of each node did since the last call (for ``_hosts``)."""
        taken, self._node_load = self._node_load, {}
        return taken

    def restart(self, slot: int, start_ns: int) -> None:
        """A new pod took over ``slot``: a new process, its sums from zero."""
        old = self._instances[slot]
        self._instances[slot] = _InstanceMetrics(old.instance, self._rng, start_ns, fresh=True)

    def record(self, served: Sequence[ServerStat], queried: Sequence[QueryStat]) -> None:
        states = self._instances
        http_key: tuple[str, str, int]
        for instance, method, route, status, duration_ns in served:
            state = states[instance]
            http_key = (method, route, status)
            hist = state.http.get(http_key)
            if hist is None:
                hist = state.http[http_key] = Histogram(HTTP_BUCKETS)
            hist.record(duration_ns / 1e9)
            state.requests += 1
            state.busy_ns += duration_ns
        for instance, system, operation, duration_ns in queried:
            state = states[instance]
            db_key = (system, operation)
            exp = state.db.get(db_key)
            if exp is None:
                exp = state.db[db_key] = ExponentialHistogram()
            exp.record(duration_ns / 1e9)
            if system == "postgresql":
                state.db_busy_ns += duration_ns

    def collect(self, now_ns: int, seconds: float = INTERVAL_S) -> list[Export]:
        """Every instance's metrics at ``now_ns``, covering the last ``seconds``."""
        exports = []
        for index, state in enumerate(self._instances):
            if not self._fleet.is_running(state.instance, now_ns - 1):
                continue
            request = ExportMetricsServiceRequest()
            resource_metrics = request.resource_metrics.add(schema_url=SCHEMA_URL)
            resource_metrics.resource.CopyFrom(self._resources[index])
            scope = resource_metrics.scope_metrics.add()
            scope.scope.name = "bongsu.simulate"
            writer = MetricWriter(scope, self._attrs, state.process_start_ns, now_ns)
            self._write(state, writer, now_ns, max(seconds, 1e-3))
            exports.append(Export("metrics", request.SerializeToString(), writer.points,
                                  now_ns))
        return exports

    def _write(self, state: _InstanceMetrics, writer: MetricWriter, now_ns: int,
               seconds: float) -> None:
        rng = self._rng
        busy = state.busy_ns / (seconds * 1e9)  # mean requests in flight
        language = state.instance.service.language
        writer.histogram("http.server.request.duration", "s", [
            ((("http.request.method", m), ("http.route", r), ("http.response.status_code", s),
              ("url.scheme", "http")), hist)
            for (m, r, s), hist in sorted(state.http.items())])
        if state.db:
            writer.exponential("db.client.operation.duration", "s", [
                ((("db.system", system), ("db.operation.name", op)), exp)
                for (system, op), exp in sorted(state.db.items())])
        writer.sum("http.server.active_requests", "{request}",
                   (((("url.scheme", "http"),), max(0, round(busy + rng.gauss(0, 0.3)))),),
                   monotonic=False)
        cpu = min(1.0, 0.02 + 0.3 * busy + rng.uniform(0, 0.02))
        state.cpu_time[0] += cpu * seconds * 0.8
        state.cpu_time[1] += cpu * seconds * 0.2
        writer.gauge("process.cpu.utilization", "1", (((), round(cpu, 4)),))
        writer.sum("process.cpu.time", "s", (
            ((("cpu.mode", "user"),), round(state.cpu_time[0], 3)),
            ((("cpu.mode", "system"),), round(state.cpu_time[1], 3))), monotonic=True)
        rss = self._rss(state, now_ns, busy)
        if self._observer is not None:
            self._observer.process(now_ns, state.instance, cpu, rss)
        node = self._node_load.setdefault(state.instance.node, NodeLoad())
        node.cpu_seconds += cpu * seconds
        node.rss += rss
        node.requests += state.requests
        writer.gauge("process.memory.usage", "By", (((), rss),))
        writer.gauge("process.memory.virtual", "By", (((), rss * 3 + 512 * MB),))
        if state.uses_postgres:
            used = min(state.pool, max(0, round(state.db_busy_ns / (seconds * 1e9)
                                                + rng.uniform(0, 1.2))))
            pool = ("pool.name", f"{state.instance.service.name}-db")
            writer.sum("db.client.connections.usage", "{connection}", (
                ((pool, ("state", "used")), used),
                ((pool, ("state", "idle")), state.pool - used)), monotonic=False)
        if language == "python":
            self._write_cpython(state, writer, rss, busy)
        if state.jvm is not None:
            state.jvm.advance(state.requests, seconds, busy)
            state.jvm.write(writer)
        state.requests = state.busy_ns = state.db_busy_ns = 0

    def _rss(self, state: _InstanceMetrics, now_ns: int, busy: float) -> int:
        rss = state.base_rss + busy * 4 * MB + self._rng.uniform(-1, 1) * MB
        if state.instance.leaks_memory:
            leaked = (now_ns - state.leak_start_ns) / 1e9 * LEAK_PER_S
            if rss + leaked >= OOM_LIMIT:  # OOMKilled; the container restarts
                state.leak_start_ns = now_ns
                leaked = 0
                if self._observer is not None:
                    self._observer.oom_killed(now_ns, state.instance)
            rss += leaked
        return int(rss)

    def _write_cpython(self, state: _InstanceMetrics, writer: MetricWriter, rss: int,
                       busy: float) -> None:
        gen0 = state.requests // 3 + 1
        state.gc[0] += gen0
        state.gc[1] += gen0 // 10
        state.gc[2] += 1 if self._rng.random() < 0.1 else 0
        writer.sum("process.runtime.cpython.gc_count", "{collection}", [
            ((("count", str(g)),), n) for g, n in enumerate(state.gc)], monotonic=True)
        writer.gauge("process.runtime.cpython.memory", "By", (
            ((("type", "rss"),), rss), ((("type", "vms"),), rss * 3 + 512 * MB)))
        writer.gauge("process.runtime.cpython.thread_count", "{thread}",
                     (((), 8 + round(busy)),))
