"""SLA reads in ClickHouse (:mod:`bongsu.store.sla`'s contract, its ``sql/sla_*.sql``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bongsu.store.clickhouse.reads import sql
from bongsu.store.sla import SQLSlaReads

if TYPE_CHECKING:
    from bongsu.store.clickhouse.store import ClickHouseStore


class ClickHouseSlaReads(SQLSlaReads):
    """The SLA reads of a :class:`ClickHouseStore`, bounded by ``timeout_s`` and
    ``max_rows``."""

    def __init__(self, store: ClickHouseStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, sql, timeout_s, max_rows)
