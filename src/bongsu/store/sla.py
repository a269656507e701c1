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

Example::

    sla = sla_reads_of(store, timeout_s=30, max_rows=1_000_000)
    for row in sla.traffic_minutes("default", "shop", start_us, end_us, bucket_of(300_000)):
        print(row.ts_us, row.requests, row.good)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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


def sla_reads_of(store: Any, timeout_s: float, max_rows: int) -> SlaReads:
    """The :class:`SlaReads` of a telemetry store (or ``store`` itself if it is one)."""
    if hasattr(store, "traffic_minutes"):
        return store  # type: ignore[no-any-return]
    if hasattr(store, "sla_reads"):
        return store.sla_reads(timeout_s, max_rows)  # type: ignore[no-any-return]
    raise TypeError(f"no SLA reads for a store of type {type(store).__name__}")


__all__ = ["SlaReads", "StateChange", "TrafficMinute", "sla_reads_of"]
