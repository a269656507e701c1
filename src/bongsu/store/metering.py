"""The store's metering side: containers' hourly figures and the nodes' capacity.

Contract every backend keeps (``tests/metering/test_store.py`` checks it):

- **One hour, replaced whole.** :meth:`MeteringStore.save_metering_hour` replaces every
  row of ``(tenant, cluster, hour)`` atomically and durably: saving an hour again (the
  job recomputes the current hour every few minutes, and the previous one once more after
  it ends) leaves one row per container and node, never two.
- **Not telemetry.** ``delete_before`` leaves metering rows alone: a monthly statement
  outlives the raw points it was computed from.
- **Tenancy.** Every row carries its tenant; every read takes one and sees only it.
- **Windows** are half-open ``[start_us, end_us)`` over the rows' ``hour_us`` (the hour's
  start, epoch microseconds, a multiple of 3,600 s).
- **Units.** CPU in core-hours, memory in GiB-hours (2**30 bytes x hours);
  ``allocated = max(request, usage)`` per container and minute, summed.
- **Totals** (:meth:`MeteringReads.metering_totals`) are the sums of the stored rows
  :meth:`MeteringReads.metering_hours` returns, grouped in the store.
- **Usage from points.** :meth:`MeteringReads.metering_usage` reads the
  ``k8s.container.*`` request and usage points of one cluster and hour (means per minute,
  gaps filled from the nearest minute of the same container; see the backend's SQL).

:class:`SQLMetering` is both backends' implementation of the checks, the parameters and the
rows: each gives its ``metering_*.sql`` in its own dialect and how it replaces an hour.

Example::

    meter = metering_of(store, timeout_s=30, max_rows=1_000_000)
    usage, minutes = meter.metering_usage("default", "private", hour_us)
    meter.save_metering_hour("default", "private", hour_us, rows, nodes)
    containers, nodes = meter.metering_hours("default", start_us, end_us, None)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pyarrow as pa

from bongsu.store.runs import Runs

HOUR_US = 3_600_000_000
GroupBy = Literal["namespace", "workload", "team", "cluster"]
GROUP_BYS: tuple[GroupBy, ...] = ("namespace", "workload", "team", "cluster")
# A group's key as SQL both dialects read alike.
_KEYS: dict[GroupBy, str] = {
    "namespace": "namespace", "team": "team", "cluster": "cluster",
    "workload": "namespace || '/' || CASE WHEN workload = '' THEN pod ELSE workload END",
}


@dataclass(frozen=True, slots=True)
class ContainerHour:
    """One container's figures over one hour (core-hours and GiB-hours)."""

    cluster: str
    hour_us: int
    namespace: str
    pod: str
    container: str
    node: str
    workload_kind: str
    workload: str
    team: str  # the pod's team label ("" when it has none or is gone)
    minutes: int  # minutes of the hour the container was seen in
    cpu_request: float
    cpu_usage: float
    cpu_allocated: float
    memory_request: float
    memory_usage: float
    memory_allocated: float


@dataclass(frozen=True, slots=True)
class NodeHour:
    """One node's capacity over the minutes of one hour its cluster was sampled."""

    cluster: str
    hour_us: int
    node: str
    minutes: int
    cpu_capacity: float  # core-hours
    memory_capacity: float  # GiB-hours


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """One group's container hours summed over a window, within one cluster."""

    cluster: str
    key: str  # the namespace, "namespace/workload" (else the pod), the team, the cluster
    containers: int  # distinct (namespace, pod, container)
    cpu_request: float
    cpu_usage: float
    cpu_allocated: float
    memory_request: float
    memory_usage: float
    memory_allocated: float


@dataclass(frozen=True, slots=True)
class NodeTotal:
    """One node over a window: per hour ``idle = max(capacity - allocated, 0)`` and
    ``capacity = max(capacity, allocated)``, summed, so allocated + idle = capacity."""

    cluster: str
    node: str
    cpu_capacity: float
    memory_capacity: float
    cpu_allocated: float
    memory_allocated: float
    cpu_idle: float
    memory_idle: float


class MeteringStore(Protocol):
    def save_metering_hour(self, tenant: str, cluster: str, hour_us: int,
                           containers: Sequence[ContainerHour],
                           nodes: Sequence[NodeHour]) -> None:
        """Replace ``(tenant, cluster, hour_us)``'s rows with these, atomically (each row's
        own cluster and hour must be those: ValueError otherwise)."""
        ...


class MeteringReads(Protocol):
    def metering_usage(self, tenant: str, cluster: str, hour_us: int
                       ) -> tuple[list[ContainerHour], int]:
        """Containers' figures of one hour from the points (``team`` empty), and the
        minutes of that hour the cluster has any container point in."""
        ...

    def metering_hours(self, tenant: str, start_us: int, end_us: int, cluster: str | None
                       ) -> tuple[list[ContainerHour], list[NodeHour]]:
        """Stored rows of the hours in the window (None: every cluster)."""
        ...

    def metering_totals(self, tenant: str, start_us: int, end_us: int, cluster: str | None,
                        group_by: GroupBy) -> tuple[list[GroupTotal], list[NodeTotal], int]:
        """The window's stored rows summed per (cluster, group) and per node (container
        allocation joined to its node hour by hour), and the hours with rows; what a
        month's statement reads, a few rows per group rather than one per container-hour."""
        ...


class Metering(MeteringStore, MeteringReads, Protocol):
    """Both sides, as the metering job and the API use them."""


class SQLMetering:
    """:class:`Metering` on a SQL store: ``sql(name)`` is the text of the backend's
    ``metering_<name>.sql``, bound by name (tenant, cluster, start, end; ``{key}`` the group's
    SQL); :meth:`_replace` is the backend's write of one hour."""

    def __init__(self, store: Runs, sql: Callable[[str], str], timeout_s: float,
                 max_rows: int) -> None:
        self._store = store
        self._sql = sql
        self._timeout_s = timeout_s
        self._max_rows = max_rows

    def save_metering_hour(self, tenant: str, cluster: str, hour_us: int,
                           containers: Sequence[ContainerHour],
                           nodes: Sequence[NodeHour]) -> None:
        if hour_us % HOUR_US:
            raise ValueError(f"hour_us: {hour_us} is not the start of an hour")
        keys = {(r.cluster, r.hour_us) for r in containers} | {
            (n.cluster, n.hour_us) for n in nodes}
        for other, at in keys - {(cluster, hour_us)}:
            raise ValueError(f"a row of {other} at {at} saved as {cluster} at {hour_us}")
        self._replace(tenant, cluster, hour_us, rows_table(containers, ContainerHour),
                      rows_table(nodes, NodeHour))

    def _replace(self, tenant: str, cluster: str, hour_us: int, containers: pa.Table,
                 nodes: pa.Table) -> None:
        """Replace the hour's rows with these (columns as the dataclasses, no tenant)."""
        raise NotImplementedError

    def metering_usage(self, tenant: str, cluster: str, hour_us: int
                       ) -> tuple[list[ContainerHour], int]:
        rows = self._run("usage", {
            "tenant": tenant, "cluster": cluster, "start": hour_us, "end": hour_us + HOUR_US})
        out = [ContainerHour(cluster, hour_us, r[0], r[1], r[2], r[3], r[4], r[5], "",
                             int(r[6]), *(float(x) for x in r[7:13])) for r in rows]
        return out, int(rows[0][13]) if rows else 0

    def metering_hours(self, tenant: str, start_us: int, end_us: int, cluster: str | None
                       ) -> tuple[list[ContainerHour], list[NodeHour]]:
        params = {"tenant": tenant, "start": start_us, "end": end_us, "cluster": cluster}
        containers = self._run("container_hours", params)
        nodes = self._run("node_hours", params)
        return ([ContainerHour(*r[:10], *(float(x) for x in r[10:])) for r in containers],
                [NodeHour(r[0], int(r[1]), r[2], int(r[3]), float(r[4]), float(r[5]))
                 for r in nodes])

    def metering_totals(self, tenant: str, start_us: int, end_us: int, cluster: str | None,
                        group_by: GroupBy) -> tuple[list[GroupTotal], list[NodeTotal], int]:
        params = {"tenant": tenant, "start": start_us, "end": end_us, "cluster": cluster}
        groups = self._run("groups", params, key=_KEYS[group_by])
        nodes = self._run("nodes", params)
        hours = self._run("hour_count", params)
        return ([GroupTotal(r[0], r[1], int(r[2]), *(float(x) for x in r[3:9])) for r in groups],
                [NodeTotal(r[0], r[1], *(float(x) for x in r[2:8])) for r in nodes],
                int(hours[0][0]))

    def _run(self, name: str, params: Mapping[str, Any], **fragments: str
             ) -> list[tuple[Any, ...]]:
        statement = self._sql(f"metering_{name}")
        if fragments:
            statement = statement.format(**fragments)
        return self._store.run(statement, params, self._timeout_s, self._max_rows)


def rows_table(rows: Sequence[Any], cls: type) -> pa.Table:
    """``rows`` (instances of the dataclass ``cls``) as an Arrow table of its fields."""
    return pa.Table.from_pylist([dataclasses.asdict(r) for r in rows], schema=_schema(cls))


def _schema(cls: type) -> pa.Schema:
    kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    return pa.schema([(f.name, kinds[str(f.type)]) for f in dataclasses.fields(cls)])


def metering_of(store: Any, timeout_s: float, max_rows: int) -> Metering:
    """The metering side of a telemetry store (its ``metering`` method), or ``store``
    itself if it is one."""
    if hasattr(store, "metering_hours"):
        return store  # type: ignore[no-any-return]
    if hasattr(store, "metering"):
        return store.metering(timeout_s, max_rows)  # type: ignore[no-any-return]
    raise TypeError(f"no metering side for a store of type {type(store).__name__}")
