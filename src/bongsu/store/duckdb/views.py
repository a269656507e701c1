"""Rollups of the database and web views (migrations/0009), appended at load time in the
load's transaction, merged by compaction like ``rollup_1m``.

- ``db_statements_1m``: database client spans per minute x database x statement
  fingerprint x caller, with duration buckets, the slowest duration and its trace;
  ``db_statement_text`` holds each fingerprint's normalised text once. Statements are
  normalised in Python (:mod:`bongsu.store.statements`), once per distinct text of a batch.
- ``web_1m``: HTTP server spans per minute x service x endpoint x status code.
- ``db_statements_1h`` / ``web_1h`` (migrations/0010): the same per hour, for windows over
  6 hours; compaction merges the whole hours its minutes fall in.

Example::

    with store._transaction() as cur:
        insert(cur, batch.spans, bucket_sql)   # partial rows for the batch's minutes
        delete_orphan_texts(cur)               # after retention
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from bongsu.store.statements import fingerprint, mask_literals, tidy

# Compaction keys and merged figures per table (the column order of migration 0009).
COMPACT = {
    "db_statements_1m": "tenant, ts_us, db, db_system, db_name, address, fingerprint,"
                        " service, bucket",
    "web_1m": "tenant, ts_us, service, endpoint, status, bucket",
}
SUMMED = {
    "db_statements_1m": "sum(count), sum(errors), sum(sum_us), max(max_us),"
                        " arg_max(slow_trace, max_us)",
    "web_1m": "sum(count), sum(errors), sum(sum_us)",
}
HOURS = {"db_statements_1h": "db_statements_1m", "web_1h": "web_1m"}
TABLES = (*COMPACT, *HOURS)
MINUTE_US = 60_000_000
HOUR_US = 3_600_000_000

# The database id is the topology's database instance node (store/duckdb/edges.py).
DB_ID = ("s.db_system || ':' || coalesce(s.db_name, s.peer, s.db_system)"
         " || coalesce('@' || s.peer, '')")
_DB_SPANS = "s.kind IN (3, 4) AND s.db_system IS NOT NULL"
# The batch's minute rows are grouped once from the spans; the hour rows are merged from
# them (a load's minute rows are far fewer than its spans).
_STATEMENTS = f"""
CREATE OR REPLACE TEMP TABLE b_db_1m AS
SELECT s.tenant, s.ts_us // 60000000 * 60000000 AS ts_us, {DB_ID} AS db, s.db_system,
       s.db_name, s.peer AS address, m.fingerprint, s.service, {{bucket}} AS bucket,
       count(*) AS count, count(*) FILTER (WHERE s.is_error) AS errors,
       sum(s.duration_us) AS sum_us, max(s.duration_us) AS max_us,
       arg_max(lower(lpad(to_hex(s.trace_hi), 16, '0') || lpad(to_hex(s.trace_lo), 16, '0')),
               s.duration_us) AS slow_trace
FROM b_spans s JOIN b_statements m ON m.raw = coalesce(s.db_statement, s.name)
WHERE {_DB_SPANS}
GROUP BY ALL
"""
_WEB = """
CREATE OR REPLACE TEMP TABLE b_web_1m AS
SELECT tenant, ts_us // 60000000 * 60000000 AS ts_us, service,
       CASE WHEN http_route IS NOT NULL THEN coalesce(http_method || ' ', '') || http_route
            ELSE name END AS endpoint,
       http_status AS status, {bucket} AS bucket, count(*) AS count,
       count(*) FILTER (WHERE is_error) AS errors, sum(duration_us) AS sum_us
FROM b_spans
WHERE kind = 2
  AND (http_method IS NOT NULL OR http_route IS NOT NULL OR http_status IS NOT NULL)
GROUP BY ALL
"""
_TEXTS = """
INSERT INTO db_statement_text
SELECT n.tenant, n.fingerprint, any_value(m.text)
FROM (SELECT DISTINCT tenant, fingerprint FROM b_db_1m) n
JOIN b_statements m USING (fingerprint)
WHERE NOT EXISTS (SELECT 1 FROM db_statement_text t
                  WHERE t.tenant = n.tenant AND t.fingerprint = n.fingerprint)
GROUP BY n.tenant, n.fingerprint
"""
_ORPHANS = """
DELETE FROM db_statement_text t
WHERE NOT EXISTS (SELECT 1 FROM db_statements_1m r
                  WHERE r.tenant = t.tenant AND r.fingerprint = t.fingerprint)
"""


@lru_cache(maxsize=8192)
def _normalised(masked: str) -> tuple[str, str]:
    """Fingerprint and text of a statement with its literals masked: those repeat even
    when every raw text is new (an SDK that sends values), so half the work is cached."""
    text = tidy(masked)
    return fingerprint(text), text


def statements_of(spans: pa.Table) -> pa.Table:
    """raw, fingerprint, text of each distinct statement of the batch's database spans (the
    span name stands in for a missing statement)."""
    kind = spans.column("kind")
    is_db = pc.and_(pc.is_in(kind, pa.array([3, 4], pa.uint8())),
                    pc.is_valid(spans.column("db_system")))
    db = spans.filter(is_db)
    raws = pc.unique(pc.coalesce(db.column("db_statement"), db.column("name"))).to_pylist()
    pairs = [_normalised(mask_literals(r)) for r in raws]
    return pa.table({
        "raw": pa.array(raws, pa.string()),
        "fingerprint": pa.array([p[0] for p in pairs], pa.string()),
        "text": pa.array([p[1] for p in pairs], pa.string()),
    })


def insert(cur: duckdb.DuckDBPyConnection, spans: pa.Table, bucket_sql: str) -> None:
    """Append the partial rows of the spans registered as ``b_spans``."""
    statements = statements_of(spans)
    if statements.num_rows:
        cur.register("b_statements", statements)
        try:
            cur.execute(_STATEMENTS.format(bucket=bucket_sql))
            cur.execute(_TEXTS)
            _append(cur, "b_db_1m", "db_statements_1m")
        finally:
            cur.unregister("b_statements")
    cur.execute(_WEB.format(bucket=bucket_sql))
    _append(cur, "b_web_1m", "web_1m")


def _append(cur: duckdb.DuckDBPyConnection, batch_rows: str, minute_table: str) -> None:
    """The batch's minute rows into ``minute_table`` and, merged per hour, into its hour
    table; then the scratch table is dropped."""
    hour_table = next(h for h, m in HOURS.items() if m == minute_table)
    keys = COMPACT[minute_table].replace("ts_us", f"ts_us // {HOUR_US} * {HOUR_US}")
    cur.execute(f"INSERT INTO {minute_table} SELECT * FROM {batch_rows}")
    cur.execute(f"INSERT INTO {hour_table} SELECT {keys}, {SUMMED[minute_table]}"
                f" FROM {batch_rows} GROUP BY ALL")
    cur.execute(f"DROP TABLE {batch_rows}")


def compact_hours(cur: duckdb.DuckDBPyConnection, start_us: int, end_us: int) -> int:
    """Merge the partial rows of the hours that ``[start_us, end_us)`` falls in; returns
    the rows removed."""
    lo, hi = start_us // HOUR_US * HOUR_US, -(-end_us // HOUR_US) * HOUR_US
    removed = 0
    for table, minute_table in HOURS.items():
        where = f"ts_us >= {lo} AND ts_us < {hi}"
        before = cur.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0]
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE compacted_hours AS SELECT {COMPACT[minute_table]},"
            f" {SUMMED[minute_table]} FROM {table} WHERE {where}"
            f" GROUP BY {COMPACT[minute_table]}")
        after = cur.execute("SELECT count(*) FROM compacted_hours").fetchall()[0][0]
        if after < before:
            cur.execute(f"DELETE FROM {table} WHERE {where}")
            cur.execute(f"INSERT INTO {table} SELECT * FROM compacted_hours")
            removed += before - after
        cur.execute("DROP TABLE compacted_hours")
    return int(removed)


def delete_orphan_texts(cur: duckdb.DuckDBPyConnection) -> None:
    """Drop statement texts that no rollup row names any more (after retention)."""
    cur.execute(_ORPHANS)
