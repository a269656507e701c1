"""Metering rows in ClickHouse (:mod:`bongsu.store.metering`'s contract, its
``sql/metering_*.sql``). No transaction replaces an hour here: a save appends a new version
of it (rows stamped ``saved_us``, then the stamp in ``metering_saves``, so a save cut short
leaves the previous version in force), reads take the latest stamp's rows, and the older
versions are deleted after the write (``schema.py``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pyarrow as pa

from bongsu.store.clickhouse.reads import sql
from bongsu.store.metering import SQLMetering

if TYPE_CHECKING:
    from bongsu.store.clickhouse.store import ClickHouseStore

_HOUR = "tenant = {t:String} AND cluster = {c:String} AND hour_us = {h:Int64}"


class ClickHouseMetering(SQLMetering):
    """Writes and reads metering rows of a :class:`ClickHouseStore`."""

    def __init__(self, store: ClickHouseStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, sql, timeout_s, max_rows)
        self._ch = store.client

    def _replace(self, tenant: str, cluster: str, hour_us: int, containers: pa.Table,
                 nodes: pa.Table) -> None:
        key = {"t": tenant, "c": cluster, "h": hour_us}
        last = int(self._ch.run(f"SELECT max(saved_us) FROM metering_saves WHERE {_HOUR}",
                                key, self._timeout_s)[0][0] or 0)
        saved = max(time.time_ns() // 1000, last + 1)  # a later save always wins
        version = f"metering:{tenant}:{cluster}:{hour_us}:{saved}"
        for table, rows in (("metering_containers", containers), ("metering_nodes", nodes)):
            self._ch.insert(table, _stamped(rows, tenant, saved), f"{version}:{table}")
        self._ch.insert("metering_saves", pa.table({  # last: the version is in force now
            "tenant": [tenant], "cluster": [cluster], "hour_us": pa.array([hour_us], pa.int64()),
            "saved_us": pa.array([saved], pa.int64())}), version)
        if last:
            for table in ("metering_containers", "metering_nodes", "metering_saves"):
                self._ch.command(f"DELETE FROM {table} WHERE {_HOUR}"
                                 " AND saved_us < {s:Int64}", {**key, "s": saved})


def _stamped(rows: pa.Table, tenant: str, saved_us: int) -> pa.Table:
    """``rows`` with the tenant in front and the version's ``saved_us`` behind."""
    return rows.add_column(0, "tenant", pa.array([tenant] * rows.num_rows, pa.string())
                           ).append_column("saved_us",
                                           pa.array([saved_us] * rows.num_rows, pa.int64()))
