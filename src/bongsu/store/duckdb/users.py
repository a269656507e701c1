"""User sketches in DuckDB: appended at load time, merged at compaction (``users_1m``,
``users_1d``; migrations/0008). The sketches themselves are :mod:`bongsu.users.sketch`;
DuckDB only keeps their bytes, so every backend computes the same ones.

Example::

    with store._transaction() as cur:
        insert(cur, batch.spans)        # partial rows for the batch's minutes and days
        compact(cur, start_us, end_us)  # one row per key for those minutes (and their days)
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from bongsu.users.rollup import DAY_US, merge_blobs, sketch_tables

TABLES = ("users_1m", "users_1d")


def insert(cur: duckdb.DuckDBPyConnection, spans: pa.Table) -> None:
    """Append the spans' partial minute and day sketches."""
    for table, rows in zip(TABLES, sketch_tables(spans), strict=True):
        if rows.num_rows:
            cur.register("b_users", rows)
            try:
                cur.execute(f"INSERT INTO {table} SELECT * FROM b_users")
            finally:
                cur.unregister("b_users")


def compact(cur: duckdb.DuckDBPyConnection, start_us: int, end_us: int) -> int:
    """Merge the partial rows of the minutes in ``[start_us, end_us)`` and of the days they
    fall in; returns the rows removed."""
    day_start = start_us // DAY_US * DAY_US
    day_end = -(-end_us // DAY_US) * DAY_US
    removed = 0
    for table, lo, hi in (("users_1m", start_us, end_us), ("users_1d", day_start, day_end)):
        where = f"ts_us >= {lo} AND ts_us < {hi}"
        groups = cur.execute(
            f"SELECT tenant, ts_us, service, list(sketch) FROM {table} WHERE {where}"
            " GROUP BY tenant, ts_us, service HAVING count(*) > 1").fetchall()
        if not groups:
            continue
        merged = pa.table({
            "tenant": pa.array([g[0] for g in groups], pa.string()),
            "ts_us": pa.array([g[1] for g in groups], pa.int64()),
            "service": pa.array([g[2] for g in groups], pa.string()),
            "sketch": pa.array([merge_blobs(g[3]) for g in groups], pa.binary()),
        })
        cur.register("b_merged", merged)
        try:
            cur.execute(f"DELETE FROM {table} t USING b_merged m WHERE t.tenant = m.tenant"
                        " AND t.ts_us = m.ts_us AND t.service = m.service")
            cur.execute(f"INSERT INTO {table} SELECT * FROM b_merged")
        finally:
            cur.unregister("b_merged")
        removed += sum(len(g[3]) for g in groups) - len(groups)
    return removed


def delete_days_before(cur: duckdb.DuckDBPyConnection, cutoff_us: int) -> int:
    """Delete day sketches of days that started before ``cutoff_us``."""
    rows = cur.execute("DELETE FROM users_1d WHERE ts_us < ?", [cutoff_us])
    return int(rows.fetchall()[0][0])
