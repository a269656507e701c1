"""Metering rows in DuckDB (:mod:`bongsu.store.metering`'s contract, its
``sql/metering_*.sql``): an hour is replaced by a DELETE and an INSERT in one transaction."""

from __future__ import annotations

import dataclasses

import pyarrow as pa

from bongsu.store.duckdb.reads import sql
from bongsu.store.duckdb.store import DuckDBStore
from bongsu.store.metering import ContainerHour, NodeHour, SQLMetering

_COLUMNS = {"metering_containers": [f.name for f in dataclasses.fields(ContainerHour)],
            "metering_nodes": [f.name for f in dataclasses.fields(NodeHour)]}


class DuckDBMetering(SQLMetering):
    """Writes and reads metering rows of a :class:`DuckDBStore`."""

    def __init__(self, store: DuckDBStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, sql, timeout_s, max_rows)
        self._duck = store

    def _replace(self, tenant: str, cluster: str, hour_us: int, containers: pa.Table,
                 nodes: pa.Table) -> None:
        rows = {"metering_containers": containers, "metering_nodes": nodes}
        with self._duck.write() as cur:
            try:
                for table, columns in _COLUMNS.items():
                    cur.register(f"b_{table}", rows[table])
                    cur.execute(f"DELETE FROM {table} WHERE tenant = ? AND cluster = ?"
                                " AND hour_us = ?", [tenant, cluster, hour_us])
                    cur.execute(f"INSERT INTO {table} SELECT ?, {', '.join(columns)}"
                                f" FROM b_{table}", [tenant])
            finally:
                for table in _COLUMNS:
                    cur.unregister(f"b_{table}")
