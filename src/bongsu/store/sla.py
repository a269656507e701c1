"""The store's SLA side: a check's state changes, and a service's requests per minute with
how many of them were good.

Contract every backend keeps (``tests/store/test_sla_reads.py`` checks it):

- **Source.** The 1-minute transaction rollup (what the dashboards read), so the figures
  last as long as the rollups and agree with the dashboard's transaction counts.
- **Good** is a transaction that is not an error and whose duration bucket
  (:mod:`bongsu.store.rollup`) lies wholly below ``below_bucket``: the caller passes the
  bucket whose lower bound is at or below its latency threshold, so a request between that
  bound and the threshold (at most 2^(1/8) - 1 ≈ 9 % of the threshold) counts as slow.
- **Windows** are half-open ``[start_us, end_us)`` over the minute's start; rows come
  oldest first, one per minute with traffic (minutes without any are left out).
- **State changes** (:meth:`SlaReads.check_state_changes`) are the check results
  (``check_results``, :mod:`bongsu.store.reads`) whose ``state`` differs from the previous
  result's, preceded by the result in force at the window's start: the same timeline as
  every result, a few hundred rows a month instead of 260,000.
- **Tenancy and bounds** as every read: one tenant's rows, the backend's time limit and
  row cap (:class:`~bongsu.errors.QueryTimeout`, :class:`~bongsu.errors.TooManyRows`).

:class:`SQLSlaReads` is both backends' implementation: each gives its two statements in its
own dialect (``sla_check_changes.sql``, ``sla_traffic.sql``) and its store's ``run``.

Example::

    sla = sla_reads_of(store, timeout_s=30, max_rows=1_000_000)
    for row in sla.traffic_minutes("default", "shop", start_us, end_us, bucket_of(300_000)):
        print(row.ts_us, row.requests, row.good)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bongsu.store.runs import Runs


@dataclass(frozen=True, slots=True)
class TrafficMinute:
    ts_us: int  # the minute's start
    requests: int
    good: int  # neither an error nor as slow as the threshold bucket


@dataclass(frozen=True, slots=True)
class StateChange:
    ts_us: int
    state: str  # up | down | unknown: the check's state from here to the next change
    name: str  # the check's name as it was run


class SlaReads(Protocol):
    def check_state_changes(self, tenant: str, check_id: str, start_us: int, end_us: int
                            ) -> list[StateChange]:
        """The check's state changes in the window, after the one in force at its start."""
        ...

    def traffic_minutes(self, tenant: str, service: str, start_us: int, end_us: int,
                        below_bucket: int) -> list[TrafficMinute]:
        """The service's transactions per minute with traffic, and the good ones."""
        ...


class SQLSlaReads:
    """:class:`SlaReads` on a SQL store: ``sql(name)`` is the text of the backend's
    ``sla_<name>.sql``, bound by name (tenant, check_id, service, start, end, below)."""

    def __init__(self, store: Runs, sql: Callable[[str], str], timeout_s: float,
                 max_rows: int) -> None:
        self._store = store
        self._sql = sql
        self._timeout_s = timeout_s
        self._max_rows = max_rows

    def check_state_changes(self, tenant: str, check_id: str, start_us: int, end_us: int
                            ) -> list[StateChange]:
        rows = self._run("check_changes", {
            "tenant": tenant, "check_id": check_id, "start": start_us, "end": end_us})
        return [StateChange(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def traffic_minutes(self, tenant: str, service: str, start_us: int, end_us: int,
                        below_bucket: int) -> list[TrafficMinute]:
        rows = self._run("traffic", {
            "tenant": tenant, "service": service, "start": start_us, "end": end_us,
            "below": below_bucket})
        return [TrafficMinute(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    def _run(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._store.run(self._sql(f"sla_{name}"), params, self._timeout_s,
                               self._max_rows)


def sla_reads_of(store: Any, timeout_s: float, max_rows: int) -> SlaReads:
    """The :class:`SlaReads` of a telemetry store (or ``store`` itself if it is one)."""
    if hasattr(store, "traffic_minutes"):
        return store  # type: ignore[no-any-return]
    if hasattr(store, "sla_reads"):
        return store.sla_reads(timeout_s, max_rows)  # type: ignore[no-any-return]
    raise TypeError(f"no SLA reads for a store of type {type(store).__name__}")


__all__ = ["SQLSlaReads", "SlaReads", "StateChange", "TrafficMinute",
           "sla_reads_of"]
