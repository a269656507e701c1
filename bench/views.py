"""Database and web view benchmark: their five endpoints over a store of 5M spans, next to
the same aggregates straight from ``spans`` and from the view rollups in the same run.

Seeds (once, cached in ``bench/.data/``) a DuckDB store with a day of traffic shaped like
``bench/query.py``'s (5 services, entry -> callee -> database), but with what these views
group: database calls to two databases with 90 statement shapes, each sent with its own
literal values (every call a distinct raw text, as from an SDK that does not mask), and
HTTP server spans answered 200 / 201 / 302 / 404 / 500. Loaded through
``DuckDBStore.load`` like ingest batches (so the normaliser runs on every statement),
then compacted.

    .venv/bin/python bench/views.py [--spans 5000000] [--repeat 9] [--reseed]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.databases import databases_router
from bongsu.api.web_views import web_router
from bongsu.settings import Settings
from bongsu.store.batch import SPAN_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.duckdb.reads import sql as store_sql

sys.path.insert(0, str(Path(__file__).parent))
# bench/query.py: the same store shape and timing helpers.
from query import (
    _GENERATE,
    _SPANS,
    DATA,
    DAY_US,
    HOUR_US,
    SPANS_PER_TRACE,
    TENANT,
    _row,
    median_ms,
    serve,
)

# bench/query.py's spans with a status-code mix on the entry spans and statements with
# literal values on the database spans (payments calls mysql, the others postgresql).
_GENERATE_SPANS = """
CREATE OR REPLACE TABLE gen AS
SELECT * FROM (
  SELECT ts, h AS thi, lo AS tlo, hash(i * 8) AS sid, 0::UBIGINT AS pid, entry AS service,
         entry || '-' || inst_a AS instance, 'GET ' || endpoint AS name, 2 AS kind,
         d_entry AS dur, CASE WHEN err_a THEN 2 ELSE 0 END AS status, err_a AS is_error,
         'GET' AS method, endpoint AS route,
         CASE WHEN err_a THEN 500 WHEN h % 20 = 0 THEN 404 WHEN h % 50 = 1 THEN 302
              ELSE 200 END AS http,
         NULL AS dbs, NULL AS dbn, NULL AS stmt, NULL AS peer,
         'user-' || (h % 5000)::VARCHAR AS uid, NULL AS attrs
  FROM traces
  UNION ALL
  SELECT ts + 500, h, lo, hash(i * 8 + 1), hash(i * 8), entry, entry || '-' || inst_a,
         'POST ' || callee, 3, d_entry * 6 // 10, 0, err_b, 'POST', NULL, NULL,
         NULL, NULL, NULL, callee, NULL, NULL
  FROM traces
  UNION ALL
  SELECT ts + 800, h, lo, hash(i * 8 + 2), hash(i * 8 + 1), callee, callee || '-' || inst_b,
         'POST /' || callee, 2, d_entry * 5 // 10, CASE WHEN err_b THEN 2 ELSE 0 END, err_b,
         'POST', '/' || callee, CASE WHEN err_b THEN 500 ELSE 201 END, NULL, NULL, NULL,
         NULL, NULL, NULL
  FROM traces
  UNION ALL
  SELECT ts + 900, h, lo, hash(i * 8 + 3), hash(i * 8 + 2), callee, callee || '-' || inst_b,
         'SELECT ' || callee, 3, d_entry * ((h >> 40) % 30 + 1) // 100,
         CASE WHEN (h >> 20) % 200 = 0 THEN 2 ELSE 0 END, (h >> 20) % 200 = 0, NULL, NULL,
         NULL,
         CASE WHEN callee = 'payments' THEN 'mysql' ELSE 'postgresql' END,
         CASE WHEN callee = 'payments' THEN 'billing' ELSE 'shop' END,
         CASE (h >> 44) % 3
           WHEN 0 THEN 'SELECT * FROM ' || callee || '_' || ((h >> 40) % 30)::VARCHAR
                       || ' WHERE id = ' || ((h >> 8) % 100000)::VARCHAR
           WHEN 1 THEN 'select id, total from ' || callee || '_' || ((h >> 40) % 30)::VARCHAR
                       || ' where owner = ''u' || ((h >> 8) % 5000)::VARCHAR || ''''
           ELSE 'UPDATE ' || callee || '_' || ((h >> 40) % 30)::VARCHAR
                || ' SET n = n + 1 WHERE id IN (' || ((h >> 8) % 1000)::VARCHAR || ', '
                || ((h >> 16) % 1000)::VARCHAR || ')' END,
         CASE WHEN callee = 'payments' THEN 'db-2' ELSE 'db-1' END, NULL, NULL
  FROM traces
  UNION ALL
  SELECT ts + 100, h, lo, hash(i * 8 + 4), hash(i * 8), entry, entry || '-' || inst_a,
         CASE WHEN i % 2 = 0 THEN 'GET api.partner.com' ELSE 'render' END,
         CASE WHEN i % 2 = 0 THEN 3 ELSE 1 END, d_entry // 10, 0, false, NULL, NULL, NULL,
         NULL, NULL, NULL, CASE WHEN i % 2 = 0 THEN 'api.partner.com' END, NULL, NULL
  FROM traces
)
"""


def seed(path: Path, spans: int) -> DuckDBStore:
    """Create (or reuse) the benchmark store."""
    marker = path.with_suffix(f".{spans}.ok")
    if marker.exists():
        return DuckDBStore.open(path)
    for p in (path, path.with_suffix(".db.wal")):
        p.unlink(missing_ok=True)
    store = DuckDBStore.open(path)
    end = time.time_ns() // 1000 // HOUR_US * HOUR_US
    t0 = end - DAY_US
    gen = duckdb.connect()
    gen.execute("SELECT setseed(0.42)")
    started = time.monotonic()
    gen.execute(_GENERATE, {"t0": t0, "day": DAY_US, "n": spans // SPANS_PER_TRACE})
    gen.execute(_GENERATE_SPANS)
    for lsn, lo in enumerate(range(t0, end, HOUR_US), start=1):
        for k, sub in enumerate(range(lo, lo + HOUR_US, HOUR_US // 4)):
            params = {"tenant": TENANT, "lo": sub, "hi": sub + HOUR_US // 4}
            table = gen.sql(_SPANS, params=params).to_arrow_table()
            store.load(Batch(spans=pa.Table.from_arrays(table.columns, schema=SPAN_SCHEMA)),
                       lsn * 4 + k)
        print(f"  seeded hour {lsn:2d}/24 ({time.monotonic() - started:.0f} s)", flush=True)
    store.compact()
    store.checkpoint()
    marker.touch()
    return store


# -- the raw engine: the same aggregates straight from spans -------------------------------

_DB = ("db_system || ':' || coalesce(db_name, peer, db_system) || coalesce('@' || peer, '')")
# Literals masked in SQL (strings, then numbers): close to the normaliser for these shapes.
_MASKED = ("regexp_replace(regexp_replace(lower(db_statement), '''[^'']*''', '?', 'g'),"
           " '\\b[0-9]+\\b', '?', 'g')")
RAW_DATABASES = f"""
SELECT {_DB} AS db, count(*), count(*) FILTER (WHERE is_error), avg(duration_us),
       quantile_disc(duration_us, 0.95), max(duration_us), list(DISTINCT service)
FROM spans WHERE tenant = $tenant AND kind IN (3, 4) AND db_system IS NOT NULL
  AND ts_us >= $start AND ts_us < $end
GROUP BY db
"""
RAW_STATEMENTS = f"""
SELECT {_MASKED} AS text, count(*), count(*) FILTER (WHERE is_error), sum(duration_us),
       quantile_disc(duration_us, [0.5, 0.95]), max(duration_us),
       arg_max(trace_lo, duration_us)
FROM spans WHERE tenant = $tenant AND kind IN (3, 4) AND {_DB} = $db
  AND ts_us >= $start AND ts_us < $end
GROUP BY text ORDER BY sum(duration_us) DESC LIMIT 20
"""
RAW_STATEMENT = f"""
SELECT ts_us // $step * $step AS ts, count(*), sum(duration_us),
       quantile_disc(duration_us, 0.95), max(duration_us)
FROM spans WHERE tenant = $tenant AND kind IN (3, 4) AND {_DB} = $db
  AND {_MASKED} = $text AND ts_us >= $start AND ts_us < $end
GROUP BY ts ORDER BY ts
"""
RAW_ENDPOINTS = """
SELECT service, coalesce(http_method || ' ' || http_route, name) AS endpoint, count(*),
       count(*) FILTER (WHERE is_error), sum(duration_us),
       quantile_disc(duration_us, [0.5, 0.95])
FROM spans WHERE tenant = $tenant AND kind = 2 AND ts_us >= $start AND ts_us < $end
  AND (http_method IS NOT NULL OR http_route IS NOT NULL OR http_status IS NOT NULL)
GROUP BY ALL ORDER BY sum(duration_us) DESC LIMIT 20
"""
RAW_STATUSES = """
SELECT ts_us // $step * $step AS ts, http_status, count(*)
FROM spans WHERE tenant = $tenant AND kind = 2 AND ts_us >= $start AND ts_us < $end
  AND (http_method IS NOT NULL OR http_route IS NOT NULL OR http_status IS NOT NULL)
GROUP BY ALL ORDER BY ts
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    path = DATA / "views-bench.db"
    if args.reseed:
        for p in DATA.glob("views-bench.*"):
            p.unlink()
    print(f"seeding {args.spans:,} spans (cached in {path}) …", flush=True)
    started = time.monotonic()
    store = seed(path, args.spans)
    print(f"  ready in {time.monotonic() - started:.0f} s")
    end = store.run("SELECT max(ts_us) FROM spans")[0][0] // HOUR_US * HOUR_US + HOUR_US

    def rows(table: str) -> int:
        return int(store.run(f"SELECT count(*) FROM {table}")[0][0])

    print(f"store: {rows('spans'):,} spans, {rows('db_statements_1m'):,} db_statements_1m "
          f"rows, {rows('db_statements_1h'):,} db_statements_1h rows, "
          f"{rows('db_statement_text'):,} statement texts, {rows('web_1m'):,} web_1m rows, "
          f"{rows('web_1h'):,} web_1h rows")
    app = create_api(Settings(query_timeout_seconds=60), store,
                     header_tenants(lambda _h: TENANT),
                     routers=[databases_router(), web_router()])

    def run_sql(text: str, params: dict[str, Any]) -> Callable[[], Any]:
        return lambda: store.run(text, {"tenant": TENANT, **params}, 60)

    def both(*fns: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: [f() for f in fns]

    db = "postgresql:shop@db-1"
    results: list[tuple[str, str, float, float | None, float | None]] = []
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=120) as client:
            for label, span_us, step in (("1h", HOUR_US, 60), ("24h", DAY_US, 3600)):
                start = end - span_us
                w = {"start": start, "end": end}
                q = f"from={start // 1000}&to={end // 1000}"
                # The tables the API reads for this window (per hour over 6 h).
                dbt, webt = (("db_statements_1h", "web_1h") if span_us > 6 * HOUR_US
                             else ("db_statements_1m", "web_1m"))
                top = client.get(f"/api/v1/databases/{db}/statements?{q}&limit=1").json()
                fp, text = top["statements"][0]["fingerprint"], top["statements"][0]["text"]
                series = {**w, "db": db, "fingerprint": fp, "step": step * 1_000_000}
                cases: list[tuple[str, str, Callable[[], Any], Callable[[], Any]]] = [
                    ("databases", f"/api/v1/databases?{q}",
                     run_sql(RAW_DATABASES, w),
                     both(run_sql(store_sql("db_list").format(table=dbt), w),
                          run_sql(store_sql("db_callers").format(table=dbt), w),
                          run_sql(store_sql("db_connections"), w))),
                    ("statements (by total)", f"/api/v1/databases/{db}/statements?{q}",
                     run_sql(RAW_STATEMENTS, {**w, "db": db}),
                     run_sql(store_sql("db_statements").format(order="f.s DESC", table=dbt),
                             {**w, "db": db, "limit": 20})),
                    ("statement detail", f"/api/v1/databases/{db}/statements/{fp}?{q}"
                                         f"&step={step}",
                     run_sql(RAW_STATEMENT, {**w, "db": db, "text": text.lower(),
                                             "step": step * 1_000_000}),
                     both(run_sql(store_sql("db_statement_series").format(table=dbt), series),
                          run_sql(store_sql("db_slow_calls").format(table=dbt),
                                  {**w, "db": db, "fingerprint": fp, "limit": 10}))),
                    ("web endpoints (by total)", f"/api/v1/web/endpoints?{q}",
                     run_sql(RAW_ENDPOINTS, w),
                     run_sql(store_sql("web_endpoints").format(order="s DESC", table=webt),
                             {**w, "service": None, "limit": 20})),
                    ("web statuses", f"/api/v1/web/statuses?{q}&step={step}",
                     run_sql(RAW_STATUSES, {**w, "step": step * 1_000_000}),
                     run_sql(store_sql("web_statuses").format(table=webt),
                             {**w, "service": None, "step": step * 1_000_000})),
                ]
                for name, url_path, raw, rolled in cases:
                    response = client.get(url_path)
                    if response.status_code != 200:
                        print(f"{name}: {response.status_code} {response.text[:200]}")
                        return 1
                    api_ms = median_ms(lambda p=url_path: client.get(p), args.repeat)
                    results.append((label, name, api_ms, median_ms(raw, args.repeat),
                                    median_ms(rolled, args.repeat)))
                    print(_row(results[-1]), flush=True)
    print()
    print("| window | endpoint | API ms | raw SQL on spans ms | SQL on view rollups ms "
          "| API / best raw |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(_row(r))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
