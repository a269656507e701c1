"""The ClickHouse telemetry store: :class:`bongsu.store.base.TelemetryStore` on a ClickHouse
server (or cluster), for deployments that outgrow one DuckDB file.

ClickHouse has no multi-table transactions, so a load is *idempotent per ingest-log
position* instead of atomic: each of its inserts carries the token
``{log_id}:{lsn}:{table}`` and the position is written last, so a load cut short and
replayed stores nothing twice (``schema.py`` has the tables and how they differ from
DuckDB's). Rollups, database edges, user sketches and view rollups are derived from the
batch alone, by the same SQL the DuckDB store runs (an in-memory DuckDB,
:meth:`DuckDBStore.derived`), so both backends give the same figures.

Example::

    store = ClickHouseStore.open(ClickHouse.connect(url, "bongsu"), log_id="replica-0")
    store.load(batch, lsn=42)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bongsu.errors import StoreError
from bongsu.kube.model import Episode
from bongsu.store.batch import Batch
from bongsu.store.clickhouse import schema
from bongsu.store.clickhouse.client import ClickHouse
from bongsu.store.duckdb.store import KUBE_COLUMNS, DuckDBStore
from bongsu.synthetics.model import CheckResult

_KUBE_SCHEMA = pa.schema(
    [(c, pa.int64() if c in ("count", "first_seen_us", "last_seen_us") else pa.string())
     for c in KUBE_COLUMNS] + [("seq", pa.uint64())])
_KUBE_EPISODE = (
    "SELECT id, count, first_seen_us, last_seen_us, "
    + ", ".join((*schema.EPISODE_TEXT, *schema.EPISODE_LINKS))
    + " FROM kube_episodes WHERE tenant = {tenant:String} AND {where}")
_CHECK_SCHEMA = pa.schema([
    ("tenant", pa.string()), ("check_id", pa.string()), ("ts_us", pa.int64()),
    ("status", pa.string()), ("state", pa.string()), ("duration_ms", pa.float64()),
    ("status_code", pa.int32()), ("failed_condition", pa.string()), ("error", pa.string()),
    ("tls_days_left", pa.float64()), ("name", pa.string()), ("target", pa.string()),
])
# The tables a batch's own rows go to (the others are derived from them by the store).
_SENT = ("spans", "metric_points", "logs")
_CLIENT_KINDS = pa.array([3, 4], pa.uint8())
_SERVER_KINDS = pa.array([2, 5], pa.uint8())
# Settling a window of client halves: each one matched with its server halves is a call
# between services, one with none a call to the external host it named.
_SETTLE = """
INSERT INTO edges_1m
SELECT c.tenant, intDiv(c.ts_us, 60000000) * 60000000 AS minute, c.service, c.instance,
       if(s.matched = 1, s.service, coalesce(c.peer, 'unknown')) AS target,
       if(s.matched = 1, s.instance, coalesce(c.peer, 'unknown')) AS target_instance,
       if(s.matched = 1, 'service', 'external') AS target_kind, toInt64(count()),
       toInt64(countIf(c.is_error OR s.is_error)), toInt64(sum(c.duration_us))
FROM (SELECT * FROM edge_clients
      WHERE arrived_us > {lo:Int64} AND arrived_us <= {hi:Int64}) AS c
LEFT JOIN (
    SELECT tenant, trace_lo, parent_id, service, instance, is_error, toUInt8(1) AS matched
    FROM edge_servers
    WHERE (tenant, trace_lo, parent_id) IN (
        SELECT tenant, trace_lo, span_id FROM edge_clients
        WHERE arrived_us > {lo:Int64} AND arrived_us <= {hi:Int64})
) AS s ON s.tenant = c.tenant AND s.trace_lo = c.trace_lo AND s.parent_id = c.span_id
GROUP BY c.tenant, minute, c.service, c.instance, target, target_instance, target_kind
"""


class ClickHouseStore:
    """:class:`bongsu.store.base.TelemetryStore` on ClickHouse; ``log_id`` names the ingest
    log whose positions it loads (each replica has its own)."""

    def __init__(self, ch: ClickHouse, log_id: str = "default", apdex_t_ms: float = 500.0,
                 apdex_overrides: Mapping[str, float] | None = None) -> None:
        self._ch = ch
        self._log_id = log_id
        self._lock = threading.Lock()
        self._derive = DuckDBStore.open(":memory:", apdex_t_ms, apdex_overrides, threads=1)
        self._position = int(self._scalar(
            "SELECT max(lsn) FROM ingest_position WHERE log_id = {log:String}") or 0)
        self._seq = time.time_ns()
        self._edges_checked = False

    @classmethod
    def open(cls, ch: ClickHouse, log_id: str = "default", apdex_t_ms: float = 500.0,
             apdex_overrides: Mapping[str, float] | None = None,
             retention_days: float | None = None,
             user_retention_days: float | None = None) -> ClickHouseStore:
        """Create the tables that are missing and open; the telemetry tables' ``TTL`` is
        ``retention_days``, the day sketches' ``user_retention_days`` (set again when it
        changed since the tables were created)."""
        engines = dict(ch.run("SELECT name, engine_full FROM system.tables"
                              " WHERE database = currentDatabase()", timeout_s=60))
        schema.create(ch.command, retention_days, user_retention_days, engines)
        return cls(ch, log_id, apdex_t_ms, apdex_overrides)

    @property
    def log_id(self) -> str:
        """The ingest log whose positions this store records."""
        return self._log_id

    def _scalar(self, sql: str, **params: Any) -> Any:
        rows = self._ch.run(sql, {"log": self._log_id, **params}, timeout_s=60)
        return rows[0][0] if rows else None

    def _next_seq(self) -> int:
        self._seq = max(self._seq + 1, time.time_ns())
        return self._seq

    # -- loads --------------------------------------------------------------------------

    def loaded_lsn(self) -> int:
        with self._lock:
            return self._position

    def load(self, batch: Batch, lsn: int | None) -> bool:
        with self._lock:
            if lsn is not None and lsn <= self._position:
                return False
            tables = self._rows_of(batch)
            for table in _SENT:  # all before any insert: a refused load adds nothing
                _check_required(table, tables[table])
            for table, rows in tables.items():
                token = None if lsn is None else f"{self._log_id}:{lsn}:{table}"
                self._ch.insert(table, rows, token)
            if lsn is not None:  # last: a load cut short is replayed, deduplicated
                self._ch.insert("ingest_position", pa.table({
                    "log_id": pa.array([self._log_id]), "lsn": pa.array([lsn], pa.int64()),
                }))  # no token: a repeated row is harmless (max), a deduplicated one is not
                self._position = lsn
            return True

    def _rows_of(self, batch: Batch) -> dict[str, pa.Table]:
        """Every table's rows for one batch, in insert order (spans before what reads
        join to them)."""
        rows: dict[str, pa.Table] = {
            "spans": batch.spans, "metric_points": batch.metrics, "logs": batch.logs,
        }
        now = int(time.time() * 1e6)
        spans = batch.spans
        if spans.num_rows:
            no_db = pc.is_null(spans.column("db_system"))
            clients = spans.filter(pc.and_(pc.is_in(spans.column("kind"), _CLIENT_KINDS), no_db))
            rows["edge_clients"] = _with(clients.select(
                ["tenant", "trace_lo", "span_id", "ts_us", "service", "instance",
                 "duration_us", "is_error", "peer"]), "arrived_us", now)
            servers = spans.filter(pc.and_(pc.is_in(spans.column("kind"), _SERVER_KINDS),
                                           pc.not_equal(spans.column("parent_id"),
                                                        pa.scalar(0, pa.uint64()))))
            rows["edge_servers"] = _with(servers.select(
                ["tenant", "trace_lo", "parent_id", "service", "instance", "is_error"]),
                "arrived_us", now)
        if spans.num_rows or batch.edges.num_rows:
            rows |= self._derive.derived(batch)
        if batch.resources.num_rows:
            rows["instances"] = _instances(batch.resources, self._next_seq())
        return rows

    def compact(self, older_than_us: int | None = None) -> int:
        """Nothing to merge by hand: reads sum partial rows and ClickHouse merges parts
        in the background (Summing / Replacing engines fold them)."""
        return 0

    def expire_edges(self, cutoff_us: int) -> None:
        """Settle the client halves that arrived up to ``cutoff_us`` (``schema.py``)."""
        with self._lock:
            ends = [int(r[0]) for r in self._ch.run(
                "SELECT settled_us FROM edge_settled WHERE log_id = {log:String}"
                " ORDER BY settled_us DESC LIMIT 2", {"log": self._log_id}, timeout_s=60)]
            last = ends[0] if ends else 0
            if not self._edges_checked and ends:
                # The last window may have been recorded and not inserted (a crash between
                # the two): insert it again; its token makes that a no-op if it was.
                self._settle(ends[1] if len(ends) > 1 else 0, last)
            self._edges_checked = True
            if cutoff_us <= last:
                return
            self._ch.insert("edge_settled", pa.table({
                "log_id": pa.array([self._log_id]),
                "settled_us": pa.array([cutoff_us], pa.int64())}),
                f"{self._log_id}:settled:{cutoff_us}")
            self._settle(last, cutoff_us)

    def _settle(self, lo: int, hi: int) -> None:
        self._ch.command(_SETTLE, {"lo": lo, "hi": hi},
                         {"insert_deduplicate": 1,
                          "insert_deduplication_token": f"{self._log_id}:edges:{lo}:{hi}"})

    # -- retention ----------------------------------------------------------------------

    def _delete(self, table: str, where: str, params: Mapping[str, Any]) -> int:
        """Lightweight DELETE of ``where``; returns the rows it removed."""
        count = int(self._ch.run(f"SELECT count() FROM {table} WHERE {where}", params,
                                 timeout_s=300)[0][0])
        if count:
            self._ch.command(f"DELETE FROM {table} WHERE {where}", params)
        return count

    def delete_before(self, cutoff_us: int) -> int:
        p = {"c": cutoff_us}
        with self._lock:
            deleted = sum(self._delete(t, "ts_us < {c:Int64}", p)
                          for t in schema.TELEMETRY_TABLES)
            self._delete("db_statement_text", "(tenant, fingerprint) NOT IN"
                         " (SELECT tenant, fingerprint FROM db_statements_1m)", p)
            self._delete("instances", "last_seen_us < {c:Int64}", p)
            for table in ("edge_clients", "edge_servers"):
                self._delete(table, "arrived_us < {c:Int64}", p)
        return deleted

    def delete_user_days_before(self, cutoff_us: int) -> int:
        return self._delete("users_1d", "ts_us < {c:Int64}", {"c": cutoff_us})

    # -- captures and checks --------------------------------------------------------------

    def save_capture(self, tenant: str, capture_id: str, ts_us: int, service: str,
                     instance: str, kind: str, fmt: str, payload: str, summary: str | None,
                     analysis: str | None = None, analysis_version: str | None = None) -> None:
        row = {"tenant": tenant, "ts_us": ts_us, "id": capture_id, "service": service,
               "instance": instance, "kind": kind, "format": fmt, "payload": payload,
               "summary": summary, "analysis": analysis, "analysis_version": analysis_version}
        rows = pa.Table.from_pylist([row])
        _check_required("captures", rows)
        self._ch.insert("captures", rows, f"capture:{tenant}:{capture_id}")

    def delete_captures_before(self, cutoff_us: int) -> int:
        return self._delete("captures", "ts_us < {c:Int64}", {"c": cutoff_us})

    def save_check_results(self, results: Sequence[CheckResult]) -> None:
        if results:
            rows = pa.Table.from_pylist(
                [{c: getattr(r, c) for c in CheckResult.__slots__} for r in results],
                schema=_CHECK_SCHEMA)
            _check_required("check_results", rows)
            self._ch.insert("check_results", rows)

    def delete_check_results_before(self, cutoff_us: int) -> int:
        return self._delete("check_results", "ts_us < {c:Int64}", {"c": cutoff_us})

    def delete_check_results(self, tenant: str, check_id: str) -> int:
        return self._delete("check_results", "tenant = {t:String} AND check_id = {i:String}",
                            {"t": tenant, "i": check_id})

    # -- Kubernetes episodes ------------------------------------------------------------

    def _episodes(self, tenant: str, where: str, **params: Any) -> dict[str, dict[str, Any]]:
        """The stored episodes of ``tenant`` that match ``where``, aggregated (schema.py)."""
        names = ("id", "count", "first_seen_us", "last_seen_us", *schema.EPISODE_TEXT,
                 *schema.EPISODE_LINKS)
        rows = self._ch.run(_KUBE_EPISODE.replace("{where}", where),
                            {"tenant": tenant, **params}, timeout_s=60)
        return {r[0]: dict(zip(names, r, strict=True)) for r in rows}

    def save_kube_episodes(self, episodes: Sequence[Episode]) -> None:
        if not episodes:
            return
        with self._lock:
            known: dict[tuple[str, str], tuple[int, int]] = {}
            for tenant in {e.tenant for e in episodes}:
                ids = [e.id for e in episodes if e.tenant == tenant]
                for i, ep in self._episodes(tenant, "id IN {ids:Array(String)}", ids=ids).items():
                    known[(tenant, i)] = (ep["last_seen_us"], ep["count"])
            points = []
            for e in episodes:  # in call order, as the contract says
                seen = known.get((e.tenant, e.id))
                if seen is None or e.count > seen[1]:
                    points.append({"tenant": e.tenant, "id": e.id,
                                   "ts_us": max(e.last_seen_us, seen[0] if seen else 0),
                                   "count": max(e.count, seen[1] if seen else 0)})
                known[(e.tenant, e.id)] = (max(e.last_seen_us, seen[0] if seen else 0),
                                           max(e.count, seen[1] if seen else 0))
            sightings = pa.Table.from_pylist(
                [{**{c: getattr(e, c) for c in KUBE_COLUMNS}, "seq": self._next_seq()}
                 for e in episodes], schema=_KUBE_SCHEMA)
            _check_required("kube_events", sightings)
            if points:
                self._ch.insert("kube_event_counts", pa.Table.from_pylist(points, pa.schema([
                    ("tenant", pa.string()), ("id", pa.string()), ("ts_us", pa.int64()),
                    ("count", pa.int64())])))
            self._ch.insert("kube_events", sightings)

    def link_kube_episodes(self, tenant: str, cluster: str,
                           links: Sequence[tuple[str, str, str]]) -> int:
        if not links:
            return 0
        by_pod = {(n, p): s for n, p, s in links}
        with self._lock:
            eps = self._episodes(tenant, "cluster = {cluster:String}", cluster=cluster)
            rows = []
            for ep in eps.values():
                service = by_pod.get((ep["namespace"], ep["pod"]))
                if ep["service"] is None and service is not None:
                    # A row that only adds the service: last_seen 0 never wins the text.
                    rows.append({**{c: ep[c] for c in KUBE_COLUMNS if c in ep},
                                 "tenant": tenant, "count": 0, "last_seen_us": 0,
                                 "service": service, "seq": self._next_seq()})
            if rows:
                self._ch.insert("kube_events", pa.Table.from_pylist(rows, schema=_KUBE_SCHEMA))
            return len(rows)

    def delete_kube_events_before(self, cutoff_us: int) -> int:
        with self._lock:
            old = self._ch.run(
                "SELECT tenant, id FROM kube_events GROUP BY tenant, id"
                " HAVING max(last_seen_us) < {c:Int64}", {"c": cutoff_us}, timeout_s=300)
            if not old:
                return 0
            where = "(tenant, id) IN {old:Array(Tuple(String, String))}"
            for table in ("kube_event_counts", "kube_events"):
                self._ch.command(f"DELETE FROM {table} WHERE {where}",
                                 {"old": [tuple(r) for r in old]})
            return len(old)

    # -- read side --------------------------------------------------------------------------

    def run(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None,
            timeout_s: float = 10.0, max_rows: int | None = None) -> list[tuple[Any, ...]]:
        """One read query with a time limit and a row cap (:meth:`ClickHouse.run`)."""
        return self._ch.run(sql, params, timeout_s, max_rows)

    @property
    def client(self) -> ClickHouse:
        """The connection, for the store's modules beside this one (``metering``)."""
        return self._ch

    def settled_us(self) -> int:
        """Where the live edges start: client halves that arrived after it (schema.py)."""
        return int(self._scalar(
            "SELECT max(settled_us) FROM edge_settled WHERE log_id = {log:String}") or 0)

    def reads(self, timeout_s: float, max_rows: int) -> Any:
        """The read side (:class:`bongsu.store.reads.Reads`) with these limits."""
        from bongsu.store.clickhouse.reads import ClickHouseReads

        return ClickHouseReads(self, timeout_s=timeout_s, max_rows=max_rows)

    def sla_reads(self, timeout_s: float, max_rows: int) -> Any:
        """The SLA reads (:class:`bongsu.store.sla.SlaReads`) with these limits."""
        from bongsu.store.clickhouse.sla import ClickHouseSlaReads

        return ClickHouseSlaReads(self, timeout_s=timeout_s, max_rows=max_rows)

    def metering(self, timeout_s: float, max_rows: int) -> Any:
        """The metering side (:class:`bongsu.store.metering.Metering`) with these limits."""
        from bongsu.store.clickhouse.metering import ClickHouseMetering

        return ClickHouseMetering(self, timeout_s=timeout_s, max_rows=max_rows)

    def close(self) -> None:
        self._derive.close()
        self._ch.close()


def _check_required(table: str, rows: pa.Table) -> None:
    """Refuse a null where the column is not Nullable, as DuckDB's NOT NULL does
    (ClickHouse would store the type's default instead: '' for a missing service). Arrays
    are never Nullable in ClickHouse: a missing one is stored empty."""
    for column in schema.by_name(table).columns:
        if column.name in rows.column_names and rows.column(column.name).null_count \
                and not column.type.startswith(("Nullable(", "LowCardinality(Nullable(",
                                                "Array(")):
            raise StoreError(f"{table}.{column.name}: a row has no value and one is required")


def _with(table: pa.Table, name: str, value: int) -> pa.Table:
    return table.append_column(name, pa.array([value] * table.num_rows, pa.int64()))


def _instances(resources: pa.Table, seq: int) -> pa.Table:
    """One row per (tenant, service, instance) of the batch: first and last seen, and the
    last row's attributes (the load's latest, as DuckDB keeps them)."""
    keys = ["tenant", "service", "instance"]
    grouped = resources.group_by(keys, use_threads=False).aggregate([
        ("cluster", "last"), ("namespace", "last"), ("host", "last"), ("first_us", "min"),
        ("last_us", "max"), ("resource", "last")])
    return pa.table({
        **{k: grouped.column(k) for k in keys},
        "cluster": grouped.column("cluster_last"),
        "namespace": grouped.column("namespace_last"), "host": grouped.column("host_last"),
        "first_seen_us": grouped.column("first_us_min"),
        "last_seen_us": grouped.column("last_us_max"),
        "resource": grouped.column("resource_last"),
        "seq": pa.array([seq] * grouped.num_rows, pa.uint64()),
    })
