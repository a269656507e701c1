"""Metering rows in DuckDB (:mod:`bongsu.store.metering`'s contract)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from bongsu.store.duckdb.reads import sql
from bongsu.store.duckdb.store import DuckDBStore
from bongsu.store.metering import (
    HOUR_US,
    ContainerHour,
    GroupBy,
    GroupTotal,
    NodeHour,
    NodeTotal,
)

_KEYS: dict[GroupBy, str] = {
    "namespace": "namespace", "team": "team", "cluster": "cluster",
    "workload": "namespace || '/' || CASE WHEN workload = '' THEN pod ELSE workload END",
}
_CONTAINER_COLUMNS = [f.name for f in dataclasses.fields(ContainerHour)]
_NODE_COLUMNS = [f.name for f in dataclasses.fields(NodeHour)]


class DuckDBMetering:
    """Writes and reads metering rows of a :class:`DuckDBStore`."""

    def __init__(self, store: DuckDBStore, timeout_s: float, max_rows: int) -> None:
        self._store = store
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
        rows = _table(containers, _CONTAINER_COLUMNS)
        node_rows = _table(nodes, _NODE_COLUMNS)
        key = [tenant, cluster, hour_us]
        with self._store.write() as cur:
            try:
                cur.register("b_meter", rows)
                cur.register("b_meter_nodes", node_rows)
                for table in ("metering_containers", "metering_nodes"):
                    cur.execute(f"DELETE FROM {table} WHERE tenant = ? AND cluster = ?"
                                " AND hour_us = ?", key)
                cur.execute(f"INSERT INTO metering_containers SELECT ?, "
                            f"{', '.join(_CONTAINER_COLUMNS)} FROM b_meter", [tenant])
                cur.execute(f"INSERT INTO metering_nodes SELECT ?, "
                            f"{', '.join(_NODE_COLUMNS)} FROM b_meter_nodes", [tenant])
            finally:
                cur.unregister("b_meter")
                cur.unregister("b_meter_nodes")

    def metering_usage(self, tenant: str, cluster: str, hour_us: int
                       ) -> tuple[list[ContainerHour], int]:
        rows = self._run(sql("metering_usage"), {
            "tenant": tenant, "cluster": cluster, "start": hour_us, "end": hour_us + HOUR_US})
        out = [ContainerHour(cluster, hour_us, r[0], r[1], r[2], r[3], r[4], r[5], "",
                             int(r[6]), *(float(x) for x in r[7:13])) for r in rows]
        return out, int(rows[0][13]) if rows else 0

    def metering_hours(self, tenant: str, start_us: int, end_us: int, cluster: str | None
                       ) -> tuple[list[ContainerHour], list[NodeHour]]:
        params = {"tenant": tenant, "start": start_us, "end": end_us, "cluster": cluster}
        where = ("WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end"
                 " AND ($cluster IS NULL OR cluster = $cluster)")
        containers = self._run(f"SELECT {', '.join(_CONTAINER_COLUMNS)} FROM metering_containers"
                               f" {where} ORDER BY hour_us, cluster, namespace, pod, container",
                               params)
        nodes = self._run(f"SELECT {', '.join(_NODE_COLUMNS)} FROM metering_nodes {where}"
                          " ORDER BY hour_us, cluster, node", params)
        return [ContainerHour(*r) for r in containers], [NodeHour(*r) for r in nodes]

    def metering_totals(self, tenant: str, start_us: int, end_us: int, cluster: str | None,
                        group_by: GroupBy) -> tuple[list[GroupTotal], list[NodeTotal], int]:
        params = {"tenant": tenant, "start": start_us, "end": end_us, "cluster": cluster}
        groups = self._run(sql("metering_groups").format(key=_KEYS[group_by]), params)
        nodes = self._run(sql("metering_nodes"), params)
        where = ("WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end"
                 " AND ($cluster IS NULL OR cluster = $cluster)")
        hours = self._run(f"SELECT count(DISTINCT hour_us) FROM (SELECT hour_us FROM"
                          f" metering_containers {where} UNION ALL SELECT hour_us FROM"
                          f" metering_nodes {where})", params)
        return ([GroupTotal(r[0], r[1], int(r[2]), *(float(x) for x in r[3:9])) for r in groups],
                [NodeTotal(r[0], r[1], *(float(x) for x in r[2:8])) for r in nodes],
                int(hours[0][0]))

    def _run(self, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._store.run(statement, params, self._timeout_s, self._max_rows)


def _table(rows: Sequence[Any], columns: list[str]) -> pa.Table:
    return pa.Table.from_pylist([{c: getattr(r, c) for c in columns} for r in rows],
                                schema=_SCHEMAS[tuple(columns)])


def _schema(cls: type) -> pa.Schema:
    kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    return pa.schema([(f.name, kinds[str(f.type)]) for f in dataclasses.fields(cls)])


_SCHEMAS = {tuple(_CONTAINER_COLUMNS): _schema(ContainerHour),
            tuple(_NODE_COLUMNS): _schema(NodeHour)}
