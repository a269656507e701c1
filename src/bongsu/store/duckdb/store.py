"""The embedded telemetry store: one DuckDB file owned by one process.

Example::

    store = DuckDBStore.open(Path("bongsu-data/telemetry.duckdb"))
    store.load(batch, lsn=42)
    rows = store.run("SELECT count(*) FROM spans WHERE tenant = ?", ["default"])
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from bongsu.errors import InvalidQuery, QueryTimeout, StoreError, TooManyRows
from bongsu.kube.model import Episode
from bongsu.store.batch import Batch
from bongsu.store.duckdb import edges, users, views
from bongsu.store.duckdb.migrations import migrate
from bongsu.store.rollup import BUCKETS_PER_OCTAVE
from bongsu.synthetics.model import CheckResult

_TRANSACTION_KINDS = "(2, 5)"  # SERVER, CONSUMER
_BUCKET_SQL = f"CAST(floor(log2(greatest(duration_us, 1)) * {BUCKETS_PER_OCTAVE}) AS SMALLINT)"

_ROLLUP_INSERT = """
INSERT INTO {table}
SELECT s.tenant, s.ts_us // {width} * {width}, s.service, s.instance, s.name, {bucket},
       count(*), count(*) FILTER (WHERE s.is_error), sum(s.duration_us),
       count(*) FILTER (WHERE NOT s.is_error AND s.duration_us <= t.t_us),
       count(*) FILTER (WHERE NOT s.is_error AND s.duration_us > t.t_us
                              AND s.duration_us <= 4 * t.t_us)
FROM b_spans s
JOIN (SELECT DISTINCT service,
             coalesce(o.t_us, CAST(? AS BIGINT)) AS t_us
      FROM b_spans LEFT JOIN b_apdex o USING (service)) t USING (service)
WHERE s.kind IN {kinds}
GROUP BY ALL
"""

# One row per (tenant, service, instance), kept by the single writer without a key (see
# migrations/0003): known instances are updated, then the new ones inserted.
_BATCH_INSTANCES = """
SELECT tenant, service, instance, any_value(cluster) AS cluster,
       any_value(namespace) AS namespace, any_value(host) AS host,
       min(first_us) AS first_seen_us, max(last_us) AS last_seen_us,
       any_value(resource) AS resource
FROM b_resources GROUP BY tenant, service, instance
"""
_INSTANCE_UPSERT = (
    f"""UPDATE instances SET
        last_seen_us = greatest(instances.last_seen_us, n.last_seen_us),
        first_seen_us = least(instances.first_seen_us, n.first_seen_us),
        cluster = n.cluster, namespace = n.namespace, host = n.host, resource = n.resource
    FROM ({_BATCH_INSTANCES}) n
    WHERE instances.tenant = n.tenant AND instances.service = n.service
      AND instances.instance = n.instance""",
    f"""INSERT INTO instances
    SELECT n.* FROM ({_BATCH_INSTANCES}) n
    ANTI JOIN instances i
      ON i.tenant = n.tenant AND i.service = n.service AND i.instance = n.instance""",
)

# Episodes: one row per (tenant, id), kept by the single writer like instances. The count
# timeline is appended first, against the row as it was; then the row is updated (the
# latest sighting's text wins, last_seen and count never go back) and new ones inserted.
KUBE_COLUMNS = (
    "tenant", "id", "cluster", "namespace", "object_kind", "object_name", "kind", "reason",
    "severity", "summary", "message", "count", "first_seen_us", "last_seen_us", "component",
    "source", "service", "pod", "container", "node", "raw",
)
_KUBE_SCHEMA = pa.schema(
    [(c, pa.int64() if c in ("count", "first_seen_us", "last_seen_us") else pa.string())
     for c in KUBE_COLUMNS]
)
_KUBE_LATEST = ("kind", "severity", "summary", "message", "component", "source", "raw")
_KUBE_LINKS = ("service", "pod", "container", "node")
_NEWER = "n.last_seen_us >= kube_events.last_seen_us"
_KUBE_UPSERT = (
    """INSERT INTO kube_event_counts
    SELECT n.tenant, n.id, greatest(n.last_seen_us, coalesce(e.last_seen_us, n.last_seen_us)),
           greatest(n.count, coalesce(e.count, n.count))
    FROM b_kube n LEFT JOIN kube_events e ON e.tenant = n.tenant AND e.id = n.id
    WHERE e.id IS NULL OR n.count > e.count""",
    "UPDATE kube_events SET count = greatest(kube_events.count, n.count),"
    " first_seen_us = least(kube_events.first_seen_us, n.first_seen_us),"
    " last_seen_us = greatest(kube_events.last_seen_us, n.last_seen_us), "
    + ", ".join(f"{c} = CASE WHEN {_NEWER} THEN n.{c} ELSE kube_events.{c} END"
                for c in _KUBE_LATEST) + ", "
    + ", ".join(f"{c} = CASE WHEN {_NEWER} THEN coalesce(n.{c}, kube_events.{c})"
                f" ELSE coalesce(kube_events.{c}, n.{c}) END" for c in _KUBE_LINKS)
    + " FROM b_kube n WHERE kube_events.tenant = n.tenant AND kube_events.id = n.id",
    """INSERT INTO kube_events
    SELECT n.* FROM b_kube n ANTI JOIN kube_events e ON e.tenant = n.tenant AND e.id = n.id""",
)

# Compaction rewrites a closed time range of partial rows as one row per key.
_COMPACT = {
    "rollup_10s": "tenant, ts_us, service, instance, name, bucket",
    "rollup_1m": "tenant, ts_us, service, instance, name, bucket",
    "edges_1m": "tenant, ts_us, source, source_instance, target, target_instance, target_kind",
    **views.COMPACT,
}
_SUMMED = {
    "rollup_10s": "sum(count), sum(errors), sum(sum_us), sum(satisfied), sum(tolerating)",
    "rollup_1m": "sum(count), sum(errors), sum(sum_us), sum(satisfied), sum(tolerating)",
    "edges_1m": "sum(calls), sum(errors), sum(sum_us)",
    **views.SUMMED,
}
_TELEMETRY_TABLES = (
    "spans", "rollup_10s", "rollup_1m", "edges_1m", "metric_points", "logs", "users_1m",
    *views.TABLES,
)  # captures and day user sketches have their own retention
_MINUTE_US = 60_000_000
_DERIVED_TABLES = (
    "rollup_10s", "rollup_1m", "edges_1m", "users_1m", "users_1d", "db_statement_text",
    *views.TABLES,
)
_CHECK_SCHEMA = pa.schema([
    ("tenant", pa.string()), ("check_id", pa.string()), ("ts_us", pa.int64()),
    ("status", pa.string()), ("state", pa.string()), ("duration_ms", pa.float64()),
    ("status_code", pa.int32()), ("failed_condition", pa.string()), ("error", pa.string()),
    ("tls_days_left", pa.float64()), ("name", pa.string()), ("target", pa.string()),
])  # the columns of migration 0007, in order


class DuckDBStore:
    """:class:`bongsu.store.base.TelemetryStore` on an embedded DuckDB file."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        apdex_t_ms: float = 500.0,
        apdex_overrides: Mapping[str, float] | None = None,
    ) -> None:
        self._con = con
        self._writer = con.cursor()
        self._write_lock = threading.Lock()
        self._apdex_t_us = int(apdex_t_ms * 1000)
        overrides = apdex_overrides or {}
        self._apdex = pa.table(
            {
                "service": pa.array(list(overrides), pa.string()),
                "t_us": pa.array([int(v * 1000) for v in overrides.values()], pa.int64()),
            }
        )
        self._dirty_minutes: set[int] = set()

    @classmethod
    def open(
        cls,
        path: Path | str,
        apdex_t_ms: float = 500.0,
        apdex_overrides: Mapping[str, float] | None = None,
        threads: int | None = None,
    ) -> DuckDBStore:
        """Open (creating and migrating) the store at ``path``; ``:memory:`` for tests."""
        config: dict[str, Any] = {"checkpoint_threshold": "256MB"}
        if threads:
            config["threads"] = threads
        try:
            con = duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        migrate(con)
        return cls(con, apdex_t_ms, apdex_overrides)

    # -- write side ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer cursor inside one transaction; the caller holds the write lock."""
        cur = self._writer
        cur.begin()
        try:
            yield cur
            cur.commit()
        except BaseException:
            # A failed COMMIT (ENOSPC on the WAL) has already rolled back; the second
            # rollback's "no transaction is active" must not replace the real cause.
            with contextlib.suppress(duckdb.TransactionException):
                cur.rollback()
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer cursor in one transaction under the write lock, for the store's
        modules beside this one (``metering``)."""
        with self._write_lock, self._transaction() as cur:
            yield cur

    def _position(self) -> int:
        return int(self._writer.execute("SELECT lsn FROM ingest_position").fetchall()[0][0])

    def loaded_lsn(self) -> int:
        with self._write_lock:
            return self._position()

    def load(self, batch: Batch, lsn: int | None) -> bool:
        with self._write_lock:
            # One writer: the position cannot move between this check and the commit.
            if lsn is not None and lsn <= self._position():
                return False
            try:
                with self._transaction() as cur:
                    self._insert(cur, batch)
                    if lsn is not None:
                        cur.execute("UPDATE ingest_position SET lsn = ?", [lsn])
            finally:
                for name in ("b_spans", "b_edges", "b_resources", "b_metrics", "b_logs"):
                    self._writer.unregister(name)
            self._mark_dirty(batch)
            return True

    def _insert(self, cur: duckdb.DuckDBPyConnection, batch: Batch) -> None:
        if batch.spans.num_rows:
            cur.register("b_spans", batch.spans)
            cur.execute("INSERT INTO spans SELECT * FROM b_spans")
            self._insert_span_rollups(cur, batch)
            edges.match(cur, int(time.time() * 1e6))
        self._insert_batch_edges(cur, batch)
        if batch.resources.num_rows:
            cur.register("b_resources", batch.resources)
            for statement in _INSTANCE_UPSERT:
                cur.execute(statement)
        if batch.metrics.num_rows:
            cur.register("b_metrics", batch.metrics)
            cur.execute("INSERT INTO metric_points SELECT * FROM b_metrics")
        if batch.logs.num_rows:
            cur.register("b_logs", batch.logs)
            cur.execute("INSERT INTO logs SELECT * FROM b_logs")

    def _insert_span_rollups(self, cur: duckdb.DuckDBPyConnection, batch: Batch) -> None:
        """The rollups of the spans registered as ``b_spans``: transactions, database
        edges, user sketches, view rollups."""
        cur.register("b_apdex", self._apdex)
        for table, width in (("rollup_10s", 10_000_000), ("rollup_1m", _MINUTE_US)):
            sql = _ROLLUP_INSERT.format(
                table=table, width=width, bucket=_BUCKET_SQL, kinds=_TRANSACTION_KINDS
            )
            cur.execute(sql, [self._apdex_t_us])
        edges.insert_database_edges(cur)
        users.insert(cur, batch.spans)
        views.insert(cur, batch.spans, _BUCKET_SQL)

    def _insert_batch_edges(self, cur: duckdb.DuckDBPyConnection, batch: Batch) -> None:
        if batch.edges.num_rows:
            cur.register("b_edges", batch.edges)
            cur.execute(
                "INSERT INTO edges_1m SELECT tenant, ts_us // 60000000 * 60000000, source,"
                " source_instance, target, target_instance, target_kind, sum(calls),"
                " sum(errors), sum(sum_us) FROM b_edges GROUP BY ALL"
            )

    def derived(self, batch: Batch) -> dict[str, pa.Table]:
        """The rows a load of ``batch`` adds to the tables derived from the batch alone
        (rollups, database and batch edges, user sketches, view rollups, statement texts),
        computed in a transaction that is rolled back: another backend stores these rows,
        so its figures are DuckDB's. Span-matched edges are not among them."""
        with self._write_lock:
            cur = self._writer
            cur.begin()
            try:
                if batch.spans.num_rows:
                    cur.register("b_spans", batch.spans)
                    self._insert_span_rollups(cur, batch)
                self._insert_batch_edges(cur, batch)
                return {t: cur.sql(f"SELECT * FROM {t}").to_arrow_table()
                        for t in _DERIVED_TABLES}
            finally:
                cur.rollback()
                for name in ("b_spans", "b_edges", "b_apdex"):
                    cur.unregister(name)

    def reads(self, timeout_s: float, max_rows: int) -> Any:
        """The read side (:class:`bongsu.store.reads.Reads`) with these limits."""
        from bongsu.store.duckdb.reads import DuckDBReads

        return DuckDBReads(self, timeout_s=timeout_s, max_rows=max_rows)

    def metering(self, timeout_s: float, max_rows: int) -> Any:
        """The metering side (:class:`bongsu.store.metering.Metering`) with these limits."""
        from bongsu.store.duckdb.metering import DuckDBMetering

        return DuckDBMetering(self, timeout_s=timeout_s, max_rows=max_rows)

    def sla_reads(self, timeout_s: float, max_rows: int) -> Any:
        """The SLA reads (:class:`bongsu.store.sla.SlaReads`) with these limits."""
        from bongsu.store.duckdb.sla import DuckDBSlaReads

        return DuckDBSlaReads(self, timeout_s=timeout_s, max_rows=max_rows)

    def _mark_dirty(self, batch: Batch) -> None:
        for table in (batch.spans, batch.edges):
            if table.num_rows:
                ts = table.column("ts_us")
                first = pc.min(ts).as_py() // _MINUTE_US
                last = pc.max(ts).as_py() // _MINUTE_US
                # A batch spans a few minutes in practice; a backfill may span hours.
                self._dirty_minutes.update(range(first, last + 1))

    def expire_edges(self, cutoff_us: int) -> None:
        """Client spans still unmatched since before ``cutoff_us`` become external calls."""
        with self._write_lock, self._transaction() as cur:
            # Expired calls land in the minutes of their client spans: merge them later.
            self._dirty_minutes.update(edges.expire(cur, cutoff_us))

    def compact(self, older_than_us: int | None = None) -> int:
        """Merge partial rows of dirty minutes that ended before ``older_than_us``."""
        cutoff = older_than_us if older_than_us is not None else 2**62
        with self._write_lock:
            ready = sorted(m for m in self._dirty_minutes if (m + 1) * _MINUTE_US <= cutoff)
            removed = 0
            for start, end in _ranges(ready):
                removed += self._compact_range(start * _MINUTE_US, end * _MINUTE_US)
            self._dirty_minutes.difference_update(ready)
            return removed

    def _compact_range(self, start_us: int, end_us: int) -> int:
        removed = 0
        with self._transaction() as cur:
            for table, keys in _COMPACT.items():
                where = f"ts_us >= {start_us} AND ts_us < {end_us}"
                before = cur.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()
                cur.execute(
                    f"CREATE OR REPLACE TEMP TABLE compacted AS SELECT {keys}, {_SUMMED[table]}"
                    f" FROM {table} WHERE {where} GROUP BY {keys}"
                )
                cur.execute(f"DELETE FROM {table} WHERE {where}")
                cur.execute(f"INSERT INTO {table} SELECT * FROM compacted")
                after = cur.execute("SELECT count(*) FROM compacted").fetchall()
                removed += before[0][0] - after[0][0]
            cur.execute("DROP TABLE compacted")
            removed += users.compact(cur, start_us, end_us)
            removed += views.compact_hours(cur, start_us, end_us)
        return int(removed)

    def delete_before(self, cutoff_us: int) -> int:
        deleted = 0
        with self._write_lock, self._transaction() as cur:
            for table in _TELEMETRY_TABLES:
                rows = cur.execute(f"DELETE FROM {table} WHERE ts_us < ?", [cutoff_us])
                deleted += rows.fetchall()[0][0]
            views.delete_orphan_texts(cur)
            cur.execute("DELETE FROM instances WHERE last_seen_us < ?", [cutoff_us])
        return int(deleted)

    def delete_user_days_before(self, cutoff_us: int) -> int:
        with self._write_lock, self._transaction() as cur:
            return users.delete_days_before(cur, cutoff_us)

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
        with self._write_lock:
            self._writer.execute(
                "INSERT INTO captures (tenant, ts_us, id, service, instance, kind, format,"
                " payload, summary, analysis, analysis_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [tenant, ts_us, capture_id, service, instance, kind, fmt, payload, summary,
                 analysis, analysis_version],
            )

    def delete_captures_before(self, cutoff_us: int) -> int:
        with self._write_lock:
            rows = self._writer.execute("DELETE FROM captures WHERE ts_us < ?", [cutoff_us])
            return int(rows.fetchall()[0][0])

    def save_kube_episodes(self, episodes: Sequence[Episode]) -> None:
        if not episodes:
            return
        with self._write_lock:
            try:
                with self._transaction() as cur:
                    for part in _rounds(episodes):
                        cur.register("b_kube", pa.Table.from_pylist(
                            [{c: getattr(e, c) for c in KUBE_COLUMNS}
                             for e in part], schema=_KUBE_SCHEMA))
                        for statement in _KUBE_UPSERT:
                            cur.execute(statement)
            finally:
                self._writer.unregister("b_kube")

    def link_kube_episodes(
        self, tenant: str, cluster: str, links: Sequence[tuple[str, str, str]]
    ) -> int:
        if not links:
            return 0
        table = pa.table({
            "namespace": pa.array([n for n, _, _ in links], pa.string()),
            "pod": pa.array([p for _, p, _ in links], pa.string()),
            "service": pa.array([s for _, _, s in links], pa.string()),
        })
        with self._write_lock:
            try:
                with self._transaction() as cur:
                    cur.register("b_links", table)
                    rows = cur.execute(
                        "UPDATE kube_events SET service = l.service FROM b_links l"
                        " WHERE kube_events.tenant = ? AND kube_events.cluster = ?"
                        " AND kube_events.service IS NULL AND kube_events.namespace = l.namespace"
                        " AND kube_events.pod = l.pod", [tenant, cluster])
                    return int(rows.fetchall()[0][0])
            finally:
                self._writer.unregister("b_links")

    def delete_kube_events_before(self, cutoff_us: int) -> int:
        with self._write_lock, self._transaction() as cur:
            cur.execute(
                "DELETE FROM kube_event_counts c USING kube_events e WHERE c.tenant = e.tenant"
                " AND c.id = e.id AND e.last_seen_us < ?", [cutoff_us])
            rows = cur.execute("DELETE FROM kube_events WHERE last_seen_us < ?", [cutoff_us])
            return int(rows.fetchall()[0][0])

    def save_check_results(self, results: Sequence[CheckResult]) -> None:
        if not results:
            return
        # As an Arrow table: executemany inserts row by row (200 rows: 635 ms; this ~10 ms).
        table = pa.Table.from_pylist(
            [{c: getattr(r, c) for c in CheckResult.__slots__} for r in results],
            schema=_CHECK_SCHEMA)
        with self._write_lock:
            try:
                with self._transaction() as cur:
                    cur.register("b_checks", table)
                    cur.execute("INSERT INTO check_results SELECT * FROM b_checks")
            finally:
                self._writer.unregister("b_checks")

    def delete_check_results_before(self, cutoff_us: int) -> int:
        with self._write_lock:
            rows = self._writer.execute("DELETE FROM check_results WHERE ts_us < ?",
                                        [cutoff_us])
            return int(rows.fetchall()[0][0])

    def delete_check_results(self, tenant: str, check_id: str) -> int:
        with self._write_lock:
            rows = self._writer.execute(
                "DELETE FROM check_results WHERE tenant = ? AND check_id = ?",
                [tenant, check_id])
            return int(rows.fetchall()[0][0])

    def checkpoint(self) -> None:
        with self._write_lock:
            self._writer.execute("CHECKPOINT")

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
            self._con.close()

    # -- read side ------------------------------------------------------------------------

    def run(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        timeout_s: float = 10.0,
        max_rows: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run one read query with a time limit and a row cap (typed errors past either)."""
        cur = self._con.cursor()
        timer = threading.Timer(timeout_s, cur.interrupt)
        timer.start()
        started = time.monotonic()
        try:
            result = cur.execute(sql, params)
            rows = result.fetchmany(max_rows + 1) if max_rows is not None else result.fetchall()
        except duckdb.InterruptException as exc:
            raise QueryTimeout(f"query ran past its {timeout_s:g} s time limit") from exc
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            # A parameter the engine cannot hold (the API bounds them; this is the backstop).
            raise InvalidQuery(f"a parameter is out of range: {exc}") from exc
        except duckdb.Error as exc:
            if time.monotonic() - started >= timeout_s:
                raise QueryTimeout(f"query ran past its {timeout_s:g} s time limit") from exc
            raise
        finally:
            timer.cancel()
            cur.close()
        # The interrupt is a timer thread: on a loaded machine it can fire after a query
        # that ran past the limit has already finished. The limit holds either way.
        if time.monotonic() - started > timeout_s:
            raise QueryTimeout(f"query ran past its {timeout_s:g} s time limit")
        if max_rows is not None and len(rows) > max_rows:
            raise TooManyRows(f"the result has more than {max_rows} rows; narrow the query")
        return rows


def _rounds(episodes: Sequence[Episode]) -> list[list[Episode]]:
    """Episodes split so no (tenant, id) repeats within a part, in call order: saving the
    parts one after another is the same as saving each episode in turn."""
    parts: list[list[Episode]] = []
    seen: dict[tuple[str, str], int] = {}
    for e in episodes:
        k = seen.get((e.tenant, e.id), 0)
        seen[(e.tenant, e.id)] = k + 1
        if k == len(parts):
            parts.append([])
        parts[k].append(e)
    return parts


def _ranges(minutes: list[int]) -> list[tuple[int, int]]:
    """Contiguous [start, end) ranges of sorted minute numbers."""
    ranges: list[tuple[int, int]] = []
    for m in minutes:
        if ranges and ranges[-1][1] == m:
            ranges[-1] = (ranges[-1][0], m + 1)
        else:
            ranges.append((m, m + 1))
    return ranges
