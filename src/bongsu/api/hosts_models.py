"""Response bodies of the host view, the group dashboard and search (``/api/v1/hosts…``,
``/api/v1/groups…``, ``/api/v1/search``). Units as in :mod:`bongsu.api.models`: ``ts`` /
``from`` / ``to`` epoch milliseconds, ``*_bytes`` bytes, ``*_per_s`` per second,
utilisations and ``error_rate`` fractions 0-1.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bongsu.api.models import HeatmapCell, Model, TopologyEdge, TopologyNode


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


_FROM = "Window start, epoch ms"
_TO = "Window end (exclusive), epoch ms"
_CPU = ("Non-idle share of CPU time, fraction 0-1 (system.cpu.time rates by state, else "
        "system.cpu.utilization); null without host metrics")
_MEM = ("Memory in use over total, fraction 0-1 (system.memory.usage state used over "
        "every state but slab_*, else system.memory.utilization); null without host metrics")


class HostFigures(Model):
    cpu_utilization: float | None = _f(_CPU)
    memory_utilization: float | None = _f(_MEM)
    memory_used_bytes: float | None = _f("system.memory.usage state used (latest), bytes")
    memory_total_bytes: float | None = _f("Sum of system.memory.usage states but slab_* "
                                          "(latest), bytes")
    load_1m: float | None = _f("system.cpu.load_average.1m (latest), runnable threads")
    disk_bytes_per_s: float | None = _f("system.disk.io read + write over every device, "
                                        "bytes per second (counter rate)")
    network_bytes_per_s: float | None = _f("system.network.io receive + transmit over "
                                           "every device but lo, bytes per second")
    process_cpu: float | None = _f("process.cpu.time rate summed over the host's "
                                   "instances, CPU seconds per second (cores)")
    process_memory_bytes: float | None = _f("process.memory.usage (RSS, latest) summed "
                                            "over the host's instances, bytes")


class HostRow(HostFigures):
    host: str = _f("host.name of the node (a pod's k8s.node.name)")
    instances: int = _f("Instances seen on the host in the window (not the Collector), count")
    pods: int = _f("Distinct k8s.pod.name among them, count")
    last_seen: int | None = _f("Latest sighting of anything on the host, epoch ms")


class Hosts(Model):
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    hosts: list[HostRow] = _f("Every host seen in the window, by name")


class HostPoint(Model):
    ts: int = _f("Step start, epoch ms")
    cpu_utilization: float | None = _f(_CPU + " in the step")
    cpu_by_state: dict[str, float] = _f("CPU time share per state (user, system, idle, "
                                        "wait …) in the step, fractions 0-1 summing to 1")
    memory_used_bytes: float | None = _f("Memory in use (latest in the step), bytes")
    memory_total_bytes: float | None = _f("Memory total (latest in the step), bytes")
    memory_utilization: float | None = _f(_MEM + ", in the step")
    load_1m: float | None = _f("1-minute load average (latest in the step), threads")
    load_5m: float | None = _f("5-minute load average (latest in the step), threads")
    load_15m: float | None = _f("15-minute load average (latest in the step), threads")
    disk_read_bytes_per_s: float | None = _f("system.disk.io read, bytes per second")
    disk_write_bytes_per_s: float | None = _f("system.disk.io write, bytes per second")
    network_rx_bytes_per_s: float | None = _f("system.network.io receive (no lo), bytes "
                                              "per second")
    network_tx_bytes_per_s: float | None = _f("system.network.io transmit (no lo), bytes "
                                              "per second")


class FilesystemPoint(Model):
    ts: int = _f("Step start, epoch ms")
    used_bytes: float | None = _f("system.filesystem.usage state used (latest), bytes")
    total_bytes: float | None = _f("Sum of every state (used, free, reserved), bytes")


class Filesystem(Model):
    mountpoint: str = _f("Mount point")
    device: str | None = _f("Device")
    points: list[FilesystemPoint] = _f("One per step")


class HostInstanceRow(Model):
    service: str = _f("service.name")
    instance: str = _f("service.instance.id")
    instance_name: str = _f("Display name: the pod, else host:pid, else the id")
    pod: str | None = _f("k8s.pod.name")
    cluster: str | None = _f("k8s.cluster.name")
    namespace: str | None = _f("k8s.namespace.name")
    last_seen: int = _f("Latest sighting, epoch ms")
    process_cpu: float | None = _f("process.cpu.time rate over the window, CPU seconds "
                                   "per second (cores)")
    process_memory_bytes: float | None = _f("process.memory.usage (RSS, latest), bytes")


class HostDetail(Model):
    host: str = _f("The host")
    step: int = _f("Seconds per point")
    from_: int = _f(_FROM + " (aligned to the step)", alias="from")
    to: int = _f(_TO + " (aligned to the step)")
    summary: HostFigures = _f("Figures over the whole window, as in the host list")
    points: list[HostPoint] = _f("One per step")
    filesystems: list[Filesystem] = _f("Per mount point, by mount point")
    instances: list[HostInstanceRow] = _f("Instances seen on the host in the window")


class GroupTile(Model):
    service: str = _f("service.name")
    tps: float = _f("Transactions per second over the elapsed window")
    error_rate: float | None = _f("errors / transactions, fraction 0-1")
    avg_ms: float | None = _f("Mean transaction time, ms (exact)")
    p95_ms: float | None = _f("95th percentile, ms (nearest-rank bucket, within 4.4 %)")
    apdex: float | None = _f("APDEX 0-1 at the service's threshold")
    active_users: int = _f("Distinct enduser.id over the last 5 minutes, count")
    transactions: int = _f("Transactions in the window, count")
    errors: int = _f("Failed transactions, count")
    instances: int = _f("Instances serving, count")


class GroupPoint(Model):
    ts: int = _f("Step start, epoch ms")
    tps: float = _f("Transactions per second in the step")
    avg_ms: float | None = _f("Mean transaction time in the step, ms")
    error_rate: float | None = _f("errors / transactions in the step, fraction 0-1")
    transactions: int = _f("Transactions in the step, count")


class GroupSeries(Model):
    service: str = _f("service.name")
    points: list[GroupPoint] = _f("One per step")


class GroupTopology(Model):
    nodes: list[TopologyNode] = _f("The group's services and the databases / hosts they call")
    edges: list[TopologyEdge] = _f("Calls from a group service to a group service, "
                                   "database or external host")


class Group(Model):
    from_: int = _f(_FROM + " (aligned to the rollup)", alias="from")
    to: int = _f(_TO + " (aligned to the rollup)")
    step: int = _f("Seconds per series point")
    services: list[GroupTile] = _f("Tile figures per service, in the order asked (by name "
                                   "for a label)")
    series: list[GroupSeries] = _f("TPS / response time / error rate per service and step")
    topology: GroupTopology = _f("The map among the group's services (service level)")


class GroupServiceTotal(Model):
    service: str = _f("service.name")
    transactions: int = _f("Its transactions in the map, count")


class GroupHeatmap(Model):
    step: int = _f("Seconds per column")
    bounds_ms: list[float] = _f("Row bounds, ms: row i covers [bounds_ms[i], bounds_ms[i+1])")
    cells: list[HeatmapCell] = _f("Non-empty cells, each the sum of the group's services'")
    totals: list[GroupServiceTotal] = _f("Each service's share, in the order of the group")


class GroupLabels(Model):
    namespace: list[str] = _f("k8s.namespace.name values seen in the window")
    cluster: list[str] = _f("k8s.cluster.name values seen in the window")
    team: list[str] = _f("k8s.pod.labels.team (else team) resource values seen")


SearchKind = Literal["service", "instance", "pod", "endpoint", "trace", "host", "database",
                     "event"]


class SearchResult(Model):
    kind: SearchKind = _f("What was found")
    label: str = _f("Its name (trace id, service, pod …)")
    detail: str = _f("A line of context")
    route: str = _f("The console route that opens it (dashboard, trace, events, "
                    "databases, hosts, web)")
    params: dict[str, str] = _f("That route's parameters (service, instance, trace_id, "
                                "db, host, id, endpoint)")


class Search(Model):
    q: str = _f("The text searched for (trimmed)")
    results: list[SearchResult] = _f("Best first: exact, then prefix, then substring "
                                     "matches; a trace id first")
