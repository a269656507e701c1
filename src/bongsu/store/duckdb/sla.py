"""SLA reads in DuckDB (:mod:`bongsu.store.sla`'s contract)."""

from __future__ import annotations

from bongsu.store.duckdb.reads import sql
from bongsu.store.duckdb.store import DuckDBStore
from bongsu.store.sla import StateChange, TrafficMinute


class DuckDBSlaReads:
    """The SLA reads of a :class:`DuckDBStore`, bounded by ``timeout_s`` and ``max_rows``."""

    def __init__(self, store: DuckDBStore, timeout_s: float, max_rows: int) -> None:
        self._store = store
        self._timeout_s = timeout_s
        self._max_rows = max_rows

    def check_state_changes(self, tenant: str, check_id: str, start_us: int, end_us: int
                            ) -> list[StateChange]:
        rows = self._store.run(sql("sla_check_changes"), {
            "tenant": tenant, "check_id": check_id, "start": start_us, "end": end_us},
            self._timeout_s, self._max_rows)
        return [StateChange(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def traffic_minutes(self, tenant: str, service: str, start_us: int, end_us: int,
                        below_bucket: int) -> list[TrafficMinute]:
        rows = self._store.run(sql("sla_traffic"), {
            "tenant": tenant, "service": service, "start": start_us, "end": end_us,
            "below": below_bucket}, self._timeout_s, self._max_rows)
        return [TrafficMinute(int(r[0]), int(r[1]), int(r[2])) for r in rows]
