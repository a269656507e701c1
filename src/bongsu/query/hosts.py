"""The host view: per host, CPU, memory, load, disk and network from the OpenTelemetry
Collector's hostmetrics receiver (``system.*`` semantic conventions), the agent's process
metrics, and the instances and pods running on it.

A host is a pod's node (``k8s.node.name``: inside a container ``host.name`` is the pod's
own name) or else an instance's ``host.name``; the Collector's own origin on the node (the
series sending ``system.*``) is not counted as an instance.

How figures are made from the points:

- counters (``system.cpu.time``, ``system.disk.io``, ``system.network.io``,
  ``process.cpu.time``) become rates: (last - first) / elapsed between a series' first
  and last point in the window (per step: between its latest points of consecutive steps);
  a series that went down (a restart) counts nothing for that stretch;
- CPU utilisation is the non-idle share of all CPU time (``system.cpu.time`` rates summed
  over CPUs and states), else the mean of ``system.cpu.utilization`` per CPU summed over
  its non-idle states;
- memory: ``system.memory.usage`` state ``used`` over the sum of every state but the
  ``slab_*`` ones (they are part of ``used``), else ``system.memory.utilization`` ``used``;
- gauges (memory, load, filesystem) are the latest point; network leaves out ``lo``.

Example::

    body = hosts(reads, "default", window)
    {h["host"]: h["cpu_utilization"] for h in body["hosts"]}
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from bongsu.errors import NotFound, TooManyRows
from bongsu.query.names import instance_names
from bongsu.query.window import Window, default_step
from bongsu.store.reads import HostInstance, HostMetricStat, HostMetricStep, Reads

CPU_TIME = "system.cpu.time"
CPU_UTILIZATION = "system.cpu.utilization"
MEMORY_USAGE = "system.memory.usage"
MEMORY_UTILIZATION = "system.memory.utilization"
LOADS = {"load_1m": "system.cpu.load_average.1m", "load_5m": "system.cpu.load_average.5m",
         "load_15m": "system.cpu.load_average.15m"}
DISK_IO = "system.disk.io"
NETWORK_IO = "system.network.io"
FILESYSTEM_USAGE = "system.filesystem.usage"
PROCESS_CPU_TIME = "process.cpu.time"
PROCESS_MEMORY = "process.memory.usage"
SYSTEM_METRICS = (CPU_TIME, CPU_UTILIZATION, MEMORY_USAGE, MEMORY_UTILIZATION,
                  *LOADS.values(), DISK_IO, NETWORK_IO, FILESYSTEM_USAGE)
METRICS = (*SYSTEM_METRICS, PROCESS_CPU_TIME, PROCESS_MEMORY)
IDLE = "idle"
NOT_MEMORY = ("slab_reclaimable", "slab_unreclaimable")
_US = 1_000_000
# Attribute keys across semantic-convention versions (Collector releases renamed them).
_STATE = ("state", "cpu.mode", "system.cpu.state", "system.memory.state")
_CPU = ("cpu", "cpu.logical_number")
_DIRECTION = ("direction", "disk.io.direction", "network.io.direction")


def hosts(reads: Reads, tenant: str, window: Window) -> dict[str, Any]:
    """Every host seen in the window with its figures over the window."""
    stats = reads.host_metric_stats(tenant, window.start_us, window.end_us, METRICS)
    placed = reads.host_instances(tenant, window.start_us, window.end_us)
    by_host: dict[str, list[HostMetricStat]] = defaultdict(list)
    for s in stats:
        by_host[s.host].append(s)
    collectors = _collectors(stats)
    members: dict[str, list[HostInstance]] = defaultdict(list)
    for i in placed:
        members[i.host].append(i)
    out = []
    for host in sorted(set(members) | set(by_host)):
        mine = by_host.get(host, [])
        apps = [i for i in members.get(host, [])
                if (i.service, i.instance) not in collectors]
        figures = _host_figures(mine)
        figures["instances"] = len(apps)
        figures["pods"] = len({i.pod for i in apps if i.pod})
        seen = [i.last_seen_us for i in members.get(host, [])]
        figures["last_seen"] = max(seen) // 1000 if seen else None
        out.append({"host": host, **figures})
    return {"from": window.start_us // 1000, "to": window.end_us // 1000, "hosts": out}


def host(reads: Reads, tenant: str, name: str, window: Window, step_s: int | None,
         max_rows: int) -> dict[str, Any]:
    """One host's series per step and the instances on it; 404 for a host never seen."""
    step = step_s or default_step(window)
    w = window.aligned(step)
    step_us = step * _US
    slots = (w.end_us - w.start_us) // step_us
    if slots > max_rows:
        raise TooManyRows(f"step: {slots} points is over the {max_rows}-row limit; "
                          "use a larger step")
    placed = reads.host_instances(tenant, w.start_us, w.end_us, name)
    if not placed and not reads.host_exists(tenant, name):
        raise NotFound(f"host: {name!r} was never seen (or its instances are past retention)")
    # One step more before the window: the first step's rates need its predecessor.
    steps = reads.host_metric_steps(tenant, name, w.start_us - step_us, w.end_us, step_us,
                                    METRICS)
    stats = reads.host_metric_stats(tenant, w.start_us, w.end_us, METRICS, name)
    collectors = _collectors(stats)
    apps = [i for i in placed if (i.service, i.instance) not in collectors]
    names = instance_names(reads, tenant, (i.instance for i in apps))
    per_instance = _per_instance(stats)
    starts = range(w.start_us, w.end_us, step_us)
    return {
        "host": name, "step": step, "from": w.start_us // 1000, "to": w.end_us // 1000,
        "summary": _host_figures(stats),
        "points": _points(steps, starts),
        "filesystems": _filesystems(steps, starts),
        "instances": [
            {"service": i.service, "instance": i.instance, "instance_name": names[i.instance],
             "pod": i.pod, "cluster": i.cluster, "namespace": i.namespace,
             "last_seen": i.last_seen_us // 1000,
             **per_instance.get((i.service, i.instance),
                                {"process_cpu": None, "process_memory_bytes": None})}
            for i in apps
        ],
    }


def _attrs(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    value = json.loads(raw)
    return value if isinstance(value, dict) else {}


def _pick(attrs: dict[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        if key in attrs and attrs[key] is not None:
            return str(attrs[key])
    return None


def _collectors(stats: Iterable[HostMetricStat]) -> set[tuple[str, str]]:
    """The origins that sent host metrics: the Collector on the node, not an app."""
    return {(s.service, s.instance) for s in stats if s.name.startswith("system.")}


def _rate(s: HostMetricStat) -> float | None:
    """A counter series' mean rate per second over the window (None: one point, reset)."""
    if s.points < 2 or s.first is None or s.last is None or s.last_us <= s.first_us:
        return None
    if s.last < s.first:
        return None
    return (s.last - s.first) / ((s.last_us - s.first_us) / _US)


def _sum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _host_figures(stats: list[HostMetricStat]) -> dict[str, Any]:
    by_name: dict[str, list[HostMetricStat]] = defaultdict(list)
    for s in stats:
        by_name[s.name].append(s)
    cpu = _cpu_from_time({_series_key(s): _rate(s) for s in by_name[CPU_TIME]})
    if cpu is None and by_name[CPU_UTILIZATION]:
        cpu = _cpu_from_utilization(
            {_series_key(s): s.avg for s in by_name[CPU_UTILIZATION]})
    used, total = _memory({_series_key(s): s.last for s in by_name[MEMORY_USAGE]})
    util = used / total if used is not None and total else None
    if util is None:
        util = _memory_utilization({_series_key(s): s.last
                                    for s in by_name[MEMORY_UTILIZATION]})
    loads = {k: _sum(s.last for s in by_name[m]) for k, m in LOADS.items()}
    network = [s for s in by_name[NETWORK_IO] if _attrs(s.attributes).get("device") != "lo"]
    return {
        "cpu_utilization": cpu,
        "memory_utilization": util,
        "memory_used_bytes": used,
        "memory_total_bytes": total,
        "load_1m": loads["load_1m"],
        "disk_bytes_per_s": _sum(_rate(s) for s in by_name[DISK_IO]),
        "network_bytes_per_s": _sum(_rate(s) for s in network),
        "process_cpu": _sum(_rate(s) for s in by_name[PROCESS_CPU_TIME]),
        "process_memory_bytes": _sum(s.last for s in by_name[PROCESS_MEMORY]),
    }


SeriesKey = tuple[str, str, str | None]  # service, instance, attributes JSON


def _series_key(s: HostMetricStat | HostMetricStep) -> SeriesKey:
    return (s.service, s.instance, s.attributes)


def _cpu_states(rates: dict[SeriesKey, float | None]) -> dict[str, float] | None:
    """CPU time per state as a share of all CPU time (None without any rate)."""
    per_state: dict[str, float] = defaultdict(float)
    for key, rate in rates.items():
        if rate is not None:
            per_state[_pick(_attrs(key[2]), _STATE) or "unknown"] += rate
    total = sum(per_state.values())
    if not per_state or total <= 0:
        return None
    return {state: v / total for state, v in sorted(per_state.items())}


def _cpu_from_time(rates: dict[SeriesKey, float | None]) -> float | None:
    shares = _cpu_states(rates)
    return None if shares is None else sum(v for k, v in shares.items() if k != IDLE)


def _cpu_from_utilization(values: dict[SeriesKey, float | None]) -> float | None:
    """Non-idle utilisation summed per CPU, averaged over the CPUs."""
    busy: dict[str, float] = defaultdict(float)
    for key, v in values.items():
        a = _attrs(key[2])
        cpu = f"{key[0]}\0{key[1]}\0{_pick(a, _CPU)}"
        busy.setdefault(cpu, 0.0)
        if v is not None and _pick(a, _STATE) != IDLE:
            busy[cpu] += v
    return sum(busy.values()) / len(busy) if busy else None


def _memory(values: dict[SeriesKey, float | None]) -> tuple[float | None, float | None]:
    """(used, total) bytes from ``system.memory.usage`` by state."""
    used = total = None
    for key, v in values.items():
        if v is None:
            continue
        state = _pick(_attrs(key[2]), _STATE)
        if state in NOT_MEMORY:
            continue
        total = (total or 0.0) + v
        if state == "used":
            used = (used or 0.0) + v
    return used, total


def _memory_utilization(values: dict[SeriesKey, float | None]) -> float | None:
    used = [v for key, v in values.items()
            if v is not None and _pick(_attrs(key[2]), _STATE) == "used"]
    return sum(used) if used else None


def _per_instance(stats: list[HostMetricStat]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each instance's process CPU (cores: CPU seconds per second) and memory (RSS)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for s in stats:
        if s.name not in (PROCESS_CPU_TIME, PROCESS_MEMORY):
            continue
        entry = out.setdefault((s.service, s.instance),
                               {"process_cpu": None, "process_memory_bytes": None})
        field, value = (("process_cpu", _rate(s)) if s.name == PROCESS_CPU_TIME
                        else ("process_memory_bytes", s.last))
        if value is not None:
            entry[field] = (entry[field] or 0.0) + value
    return out


def _step_rates(steps: list[HostMetricStep], name: str
                ) -> dict[SeriesKey, dict[int, float]]:
    """Per series of a counter, its rate per step: from its latest point in the previous
    step that has one to its latest point in this step."""
    out: dict[SeriesKey, dict[int, float]] = defaultdict(dict)
    prev: dict[SeriesKey, HostMetricStep] = {}
    for p in steps:  # ordered by series then step
        if p.name != name:
            continue
        key = _series_key(p)
        before = prev.get(key)
        if (before is not None and p.value is not None and before.value is not None
                and p.point_us > before.point_us and p.value >= before.value):
            out[key][p.ts_us] = (p.value - before.value) / ((p.point_us - before.point_us)
                                                            / _US)
        prev[key] = p
    return out


def _step_values(steps: list[HostMetricStep], name: str
                 ) -> dict[SeriesKey, dict[int, float | None]]:
    out: dict[SeriesKey, dict[int, float | None]] = defaultdict(dict)
    for p in steps:
        if p.name == name:
            out[_series_key(p)][p.ts_us] = p.value
    return out


def _at(series: dict[SeriesKey, dict[int, Any]], ts: int) -> dict[SeriesKey, Any]:
    return {k: v[ts] for k, v in series.items() if ts in v}


def _by_direction(rates: dict[SeriesKey, dict[int, float]], ts: int, direction: str,
                  skip_lo: bool = False) -> float | None:
    values = []
    for key, per_step in rates.items():
        a = _attrs(key[2])
        if skip_lo and a.get("device") == "lo":
            continue
        if _pick(a, _DIRECTION) == direction and ts in per_step:
            values.append(per_step[ts])
    return sum(values) if values else None


def _points(steps: list[HostMetricStep], starts: range) -> list[dict[str, Any]]:
    cpu_time = _step_rates(steps, CPU_TIME)
    cpu_util = _step_values(steps, CPU_UTILIZATION)
    memory = _step_values(steps, MEMORY_USAGE)
    memory_util = _step_values(steps, MEMORY_UTILIZATION)
    loads = {k: _step_values(steps, m) for k, m in LOADS.items()}
    disk = _step_rates(steps, DISK_IO)
    network = _step_rates(steps, NETWORK_IO)
    points = []
    for ts in starts:
        shares = _cpu_states(_at(cpu_time, ts))
        if shares is not None:
            cpu: float | None = sum(v for k, v in shares.items() if k != IDLE)
        else:
            now = _at(cpu_util, ts)
            cpu = _cpu_from_utilization(now) if now else None
        used, total = _memory(_at(memory, ts))
        util = used / total if used is not None and total else (
            _memory_utilization(_at(memory_util, ts)))
        points.append({
            "ts": ts // 1000,
            "cpu_utilization": cpu,
            "cpu_by_state": shares or {},
            "memory_used_bytes": used,
            "memory_total_bytes": total,
            "memory_utilization": util,
            **{k: _sum(_at(series, ts).values()) for k, series in loads.items()},
            "disk_read_bytes_per_s": _by_direction(disk, ts, "read"),
            "disk_write_bytes_per_s": _by_direction(disk, ts, "write"),
            "network_rx_bytes_per_s": _by_direction(network, ts, "receive", skip_lo=True),
            "network_tx_bytes_per_s": _by_direction(network, ts, "transmit", skip_lo=True),
        })
    return points


def _filesystems(steps: list[HostMetricStep], starts: range) -> list[dict[str, Any]]:
    """Used and total bytes per mountpoint and step (total: every state's sum)."""
    values = _step_values(steps, FILESYSTEM_USAGE)
    mounts: dict[tuple[str, str | None], dict[int, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: {"used": 0.0, "total": 0.0}))
    for key, per_step in values.items():
        a = _attrs(key[2])
        mount = (str(a.get("mountpoint", a.get("system.filesystem.mountpoint", ""))),
                 _pick(a, ("device", "system.device")))
        state = _pick(a, (*_STATE, "system.filesystem.state"))
        for ts, v in per_step.items():
            if v is None:
                continue
            slot = mounts[mount][ts]
            slot["total"] += v
            if state == "used":
                slot["used"] += v
    return [
        {"mountpoint": mount, "device": device, "points": [
            {"ts": ts // 1000,
             "used_bytes": per[ts]["used"] if ts in per else None,
             "total_bytes": per[ts]["total"] if ts in per else None}
            for ts in starts]}
        for (mount, device), per in sorted(mounts.items(), key=lambda m: m[0][0])
    ]
