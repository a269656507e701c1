"""The telemetry store interface. Only ``bongsu.store`` speaks SQL.

Contract every backend keeps (``tests/store/conformance.py`` checks it):

- **Durability on return.** When ``load`` returns, its rows survive ``kill -9``.
- **Atomicity.** A batch's rows, its rollups, its edges and the new ingest position become
  visible together or not at all.
- **Idempotence.** ``load(batch, lsn)`` with ``lsn`` not above ``loaded_lsn()`` changes
  nothing and returns False, so replaying the ingest log after a crash never doubles rows.
  ``lsn=None`` marks derived rows (late edges) that carry no log position.
- **Ordering.** Loads are applied in the order they are called, from one thread; readers
  see every load that returned before their query started, never part of one.
- **Tenancy.** Every row carries its tenant; every read takes a tenant and sees only it.
- **User sketches.** ``load`` also appends, in the same transaction, the batch's distinct
  ``user_id`` values per tenant, service and minute / UTC day as partial sketches
  (``bongsu.users.rollup.sketch_tables``); compaction merges them (a union: idempotent, so
  a replayed batch counts no one twice). Minute sketches are telemetry; day sketches
  outlive ``delete_before`` and ``delete_user_days_before`` is their own retention.
- **Compaction and retention** never change what a read returns, except that retention
  removes rows older than its cutoff.
- **Kubernetes episodes** are not telemetry: ``delete_before`` leaves them alone and
  ``delete_kube_events_before`` is their own retention. One row per (tenant, episode id).
- **Captures** are not telemetry either: ``delete_before`` leaves them alone (they outlive
  their instance) and ``delete_captures_before`` is their own retention.
- **Check results** are not telemetry either: ``delete_before`` leaves them alone and
  ``delete_check_results_before`` is their own retention. Rows are appended, never updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bongsu.kube.model import Episode
from bongsu.store.batch import Batch
from bongsu.synthetics.model import CheckResult


class TelemetryStore(Protocol):
    """Write side of a telemetry store; the read side is :class:`bongsu.store.reads.Reads`."""

    def loaded_lsn(self) -> int:
        """Ingest log position loaded so far (0 for a new store)."""
        ...

    def load(self, batch: Batch, lsn: int | None) -> bool:
        """Load ``batch`` atomically and durably; False when ``lsn`` was already loaded."""
        ...

    def compact(self, older_than_us: int | None = None) -> int:
        """Merge partial rollup and edge rows of minutes ended before ``older_than_us``."""
        ...

    def expire_edges(self, cutoff_us: int) -> None:
        """Client spans unmatched since before ``cutoff_us`` become calls to external hosts."""
        ...

    def delete_before(self, cutoff_us: int) -> int:
        """Delete telemetry older than ``cutoff_us``; returns the rows deleted."""
        ...

    def save_capture(
        self,
        tenant: str,
        capture_id: str,
        ts_us: int,
        service: str,
        instance: str,
        kind: str,
        fmt: str,
        payload: str,
        summary: str | None,
        analysis: str | None = None,
        analysis_version: str | None = None,
    ) -> None:
        """Store one diagnostic capture durably, whole (payload, summary and analysis in one
        write, visible together). Callers go through ``bongsu.diagnostics.captures.store_capture``,
        which computes the analysis."""
        ...

    def delete_captures_before(self, cutoff_us: int) -> int:
        """Delete captures taken before ``cutoff_us``; returns the captures deleted."""
        ...

    def delete_user_days_before(self, cutoff_us: int) -> int:
        """Delete day user sketches of days started before ``cutoff_us``; returns the rows."""
        ...

    def save_kube_episodes(self, episodes: Sequence[Episode]) -> None:
        """Store episodes atomically and durably, as one upsert by (tenant, id).

        A new id is inserted as given. A known one keeps the greatest ``last_seen_us`` and
        ``count`` and the least ``first_seen_us`` ever saved (an older sighting never moves
        them back); its text (kind, severity, summary, message, component, source, raw)
        is the one of the sighting with the latest ``last_seen_us``, and service, pod,
        container and node, once known, are never cleared. A count point
        (the row's resulting ``last_seen_us``, ``count``) is appended for each episode that
        is new or whose count rose. Saving the same episode again changes nothing; an id
        repeated in one call is applied in call order.
        """
        ...

    def link_kube_episodes(
        self, tenant: str, cluster: str, links: Sequence[tuple[str, str, str]]
    ) -> int:
        """Set the service of ``tenant``'s episodes of each ``(namespace, pod, service)`` in
        ``cluster`` that have none yet (a pod's telemetry named its service after its first
        events were stored); returns the episodes updated. A known service is never replaced.
        """
        ...

    def delete_kube_events_before(self, cutoff_us: int) -> int:
        """Delete episodes last seen before ``cutoff_us`` with their count points; returns
        the episodes deleted."""
        ...

    def save_check_results(self, results: Sequence[CheckResult]) -> None:
        """Append synthetic check results atomically and durably (all visible together)."""
        ...

    def delete_check_results_before(self, cutoff_us: int) -> int:
        """Delete check results older than ``cutoff_us``; returns the rows deleted."""
        ...

    def delete_check_results(self, tenant: str, check_id: str) -> int:
        """Delete every result of one check (it was deleted); returns the rows deleted."""
        ...

    def close(self) -> None:
        """Release the store; later calls fail."""
        ...
