"""SLA reads in DuckDB (:mod:`bongsu.store.sla`'s contract, its ``sql/sla_*.sql``)."""

from __future__ import annotations

from bongsu.store.duckdb.reads import sql
from bongsu.store.duckdb.store import DuckDBStore
from bongsu.store.sla import SQLSlaReads


class DuckDBSlaReads(SQLSlaReads):
    """The SLA reads of a :class:`DuckDBStore`, bounded by ``timeout_s`` and ``max_rows``."""

    def __init__(self, store: DuckDBStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, sql, timeout_s, max_rows)
