"""Host metrics of every Kubernetes node, as the OpenTelemetry Collector's hostmetrics
receiver (a DaemonSet, one per node) would export them every 10 s: the receiver's default
metrics with their ``system.*`` names and attributes, on a resource naming the node
(``host.name`` = ``k8s.node.name``, no ``service.name``: the Collector sets none).

The figures follow the pods on the node: CPU is a base load plus the CPU its pods used in
the interval (``Metrics`` reports it), memory is a steady system share plus its pods' RSS
with a slow drift (page cache filling over ~an hour, then dropped), and disk and network
bytes follow the requests served there; counters (``system.cpu.time``,
``system.disk.io``, ``system.network.io``) are cumulative since the node booted.

Example::

    nodes = Hosts(system, rng, attrs, start_ns)
    exports = nodes.collect(now_ns, 10.0, metrics.take_node_load())
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from bongsu.simulate._attributes import AttributeCache, resource
from bongsu.simulate._batches import SCHEMA_URL, Export
from bongsu.simulate._instruments import MetricWriter
from bongsu.simulate._topology import System

GIB = 1 << 30
CPUS = 4
MEMORY_TOTAL = 16 * GIB
SYSTEM_MEMORY = 1.6 * GIB  # kubelet, container runtime, the Collector itself
DISK_TOTAL = 100 * GIB
CACHE_CYCLE_S = 3600  # the page cache grows for an hour, then is dropped
STATES = ("user", "system", "idle", "interrupt", "nice", "softirq", "steal", "wait")
# Share of busy time per state (user-heavy application load); idle takes the rest.
BUSY_SHARE = {"user": 0.72, "system": 0.18, "interrupt": 0.01, "nice": 0.01,
              "softirq": 0.03, "steal": 0.01, "wait": 0.04}
BYTES_READ_PER_REQUEST = 2_000
BYTES_WRITTEN_PER_REQUEST = 6_000  # access and application logs
BYTES_IN_PER_REQUEST = 1_800
BYTES_OUT_PER_REQUEST = 9_000
SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver"


@dataclass
class NodeLoad:
    """What the pods on one node did in an interval (``Metrics.take_node_load``)."""

    cpu_seconds: float = 0.0  # process CPU time used
    rss: float = 0.0  # latest RSS summed over the node's pods
    requests: int = 0


@dataclass
class _Node:
    name: str
    cluster: str
    boot_ns: int
    cpu: list[dict[str, float]] = field(default_factory=list)  # per CPU, per state
    disk: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "write": 0.0})
    net: dict[tuple[str, str], float] = field(default_factory=dict)  # (device, direction)
    load: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    fs_used: float = 0.0
    cache_phase: float = 0.0


class Hosts:
    """The Collector's host metrics for every node of the simulated clusters."""

    def __init__(self, system: System, rng: random.Random, attrs: AttributeCache,
                 start_ns: int) -> None:
        self._rng = rng
        self._attrs = attrs
        seen: dict[str, str] = {}
        for i in system.instances:
            seen.setdefault(i.node, i.site.name)
        self._nodes: list[_Node] = []
        for name, cluster in sorted(seen.items()):
            boot = start_ns - int(rng.uniform(2 * 86_400, 40 * 86_400) * 1e9)
            uptime = (start_ns - boot) / 1e9
            node = _Node(name, cluster, boot)
            for _ in range(CPUS):  # counters as accrued since boot at ~10 % busy
                busy = uptime * rng.uniform(0.08, 0.12)
                node.cpu.append({s: busy * BUSY_SHARE.get(s, 0.0) for s in STATES}
                                | {"idle": uptime - busy})
            node.disk = {"read": uptime * 40_000, "write": uptime * 120_000}
            node.net = {("eth0", "receive"): uptime * 50_000,
                        ("eth0", "transmit"): uptime * 80_000,
                        ("lo", "receive"): uptime * 4_000, ("lo", "transmit"): uptime * 4_000}
            node.fs_used = rng.uniform(0.3, 0.5) * DISK_TOTAL
            node.cache_phase = rng.uniform(0, CACHE_CYCLE_S)
            self._nodes.append(node)
        self._resources = [resource((
            ("host.name", n.name), ("k8s.node.name", n.name), ("k8s.cluster.name", n.cluster),
            ("os.type", "linux"), ("host.arch", "amd64"))) for n in self._nodes]

    @property
    def names(self) -> list[str]:
        return [n.name for n in self._nodes]

    def collect(self, now_ns: int, seconds: float, loads: Mapping[str, NodeLoad]
                ) -> list[Export]:
        """One export per node covering the last ``seconds``."""
        exports = []
        for node, res in zip(self._nodes, self._resources, strict=True):
            request = ExportMetricsServiceRequest()
            rm = request.resource_metrics.add(schema_url=SCHEMA_URL)
            rm.resource.CopyFrom(res)
            scope = rm.scope_metrics.add()
            scope.scope.name = SCOPE
            writer = MetricWriter(scope, self._attrs, node.boot_ns, now_ns)
            self._write(node, writer, now_ns, max(seconds, 1e-3),
                        loads.get(node.name, NodeLoad()))
            exports.append(Export("metrics", request.SerializeToString(), writer.points,
                                  now_ns))
        return exports

    def _write(self, node: _Node, writer: MetricWriter, now_ns: int, seconds: float,
               load: NodeLoad) -> None:
        rng = self._rng
        # Busy share of the node's CPUs: base system load plus what its pods used.
        busy = min(0.97, 0.04 + load.cpu_seconds / (seconds * CPUS) + rng.uniform(0, 0.02))
        for per_cpu in node.cpu:
            mine = min(1.0, max(0.0, busy + rng.gauss(0, 0.02)))
            for state in STATES:
                share = (1 - mine) if state == "idle" else mine * BUSY_SHARE[state]
                per_cpu[state] += share * seconds
        writer.sum("system.cpu.time", "s", [
            ((("cpu", f"cpu{k}"), ("state", s)), round(per_cpu[s], 3))
            for k, per_cpu in enumerate(node.cpu) for s in STATES], monotonic=True)
        runnable = busy * CPUS + rng.uniform(0, 0.3)
        for k, minutes in enumerate((1, 5, 15)):  # the kernel's exponential averages
            decay = math.exp(-seconds / (60 * minutes))
            node.load[k] = node.load[k] * decay + runnable * (1 - decay)
        for k, minutes in enumerate((1, 5, 15)):
            writer.gauge(f"system.cpu.load_average.{minutes}m", "{thread}",
                         (((), round(node.load[k], 3)),))
        t = (now_ns - node.boot_ns) / 1e9 + node.cache_phase
        used = SYSTEM_MEMORY + load.rss + rng.uniform(-20, 20) * (1 << 20)
        cached = (0.5 + 4.5 * (t % CACHE_CYCLE_S) / CACHE_CYCLE_S) * GIB
        buffered = 0.2 * GIB
        free = max(0.1 * GIB, MEMORY_TOTAL - used - cached - buffered)
        slab = 0.3 * GIB
        writer.sum("system.memory.usage", "By", [
            ((("state", "used"),), int(used)), ((("state", "free"),), int(free)),
            ((("state", "buffered"),), int(buffered)), ((("state", "cached"),), int(cached)),
            ((("state", "slab_reclaimable"),), int(slab * 0.7)),
            ((("state", "slab_unreclaimable"),), int(slab * 0.3))], monotonic=False)
        requests = load.requests
        node.disk["read"] += (30_000 * seconds + requests * BYTES_READ_PER_REQUEST
                              * rng.uniform(0.8, 1.2))
        written = 100_000 * seconds + requests * BYTES_WRITTEN_PER_REQUEST * rng.uniform(
            0.8, 1.2)
        node.disk["write"] += written
        writer.sum("system.disk.io", "By", [
            ((("device", "nvme0n1"), ("direction", d)), int(v))
            for d, v in node.disk.items()], monotonic=True)
        gains = {("eth0", "receive"): 20_000 * seconds + requests * BYTES_IN_PER_REQUEST,
                 ("eth0", "transmit"): 30_000 * seconds + requests * BYTES_OUT_PER_REQUEST,
                 ("lo", "receive"): 4_000 * seconds, ("lo", "transmit"): 4_000 * seconds}
        for key, gain in gains.items():
            node.net[key] += gain * rng.uniform(0.9, 1.1)
        writer.sum("system.network.io", "By", [
            ((("device", dev), ("direction", d)), int(v))
            for (dev, d), v in sorted(node.net.items())], monotonic=True)
        node.fs_used = min(DISK_TOTAL * 0.95, node.fs_used + written * 0.02)
        reserved = 0.05 * DISK_TOTAL
        writer.sum("system.filesystem.usage", "By", [
            ((("device", "/dev/nvme0n1p1"), ("mode", "rw"), ("mountpoint", "/"),
              ("type", "ext4"), ("state", s)), int(v))
            for s, v in (("used", node.fs_used),
                         ("free", DISK_TOTAL - node.fs_used - reserved),
                         ("reserved", reserved))], monotonic=False)
