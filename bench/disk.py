"""Disk per stored span: simulated OTLP traffic decoded and loaded into a fresh store.

Prints bytes per span of the whole DuckDB file (spans, rollups, edges, instances) after a
checkpoint, next to the OTLP protobuf bytes per span that were sent and next to the raw
engine holding the same spans with every attribute as JSON text (the naive layout).

    python bench/disk.py [--spans 2000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.simulate import generate
from bongsu.store.duckdb import DuckDBStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore.open(Path(tmp) / "bongsu.duckdb")
        builder = BatchBuilder()
        wire = spans = lsn = 0
        start = time.time_ns() - 6 * 3_600 * 10**9
        t0 = time.perf_counter()
        for export in generate(seed=11, start_ns=start, duration_s=6 * 3_600, rate=200):
            if export.kind != "traces":
                continue
            wire += len(export.body)
            spans += builder.add(Signal.TRACES, "default", export.body)
            if builder.items >= 50_000:
                lsn += 1
                store.load(builder.build(), lsn)
            if spans >= args.spans:
                break
        store.load(builder.build(), lsn + 1)
        store.expire_edges(2**62)
        store.compact()
        store.checkpoint()
        elapsed = time.perf_counter() - t0
        size = (Path(tmp) / "bongsu.duckdb").stat().st_size
        store.close()

        # The raw engine, naive layout: hex ids, ISO timestamps, attributes as JSON text.
        raw_path = Path(tmp) / "raw.duckdb"
        raw = duckdb.connect(str(raw_path))
        raw.execute(f"ATTACH '{Path(tmp) / 'bongsu.duckdb'}' AS b (READ_ONLY)")
        raw.execute(
            """CREATE TABLE spans AS SELECT tenant,
                 make_timestamp(ts_us) AS start, lpad(lower(hex(trace_hi)), 16, '0')
                 || lpad(lower(hex(trace_lo)), 16, '0') AS trace_id,
                 lpad(lower(hex(span_id)), 16, '0') AS span_id,
                 lpad(lower(hex(parent_id)), 16, '0') AS parent_span_id, service, instance,
                 name, kind, duration_us * 1000 AS duration_ns, status,
                 to_json({'http.request.method': http_method, 'http.route': http_route,
                          'http.response.status_code': http_status, 'db.system': db_system,
                          'db.name': db_name, 'db.statement': db_statement,
                          'server.address': peer, 'enduser.id': user_id})::VARCHAR
                   || coalesce(attributes, '') AS attributes
               FROM b.spans"""
        )
        raw.execute("DETACH b")
        raw.execute("CHECKPOINT")
        raw.close()
        raw_size = raw_path.stat().st_size
    print(f"{spans:,} spans loaded in {elapsed:.0f} s")
    print(f"OTLP protobuf on the wire: {wire / spans:6.1f} B/span")
    print(f"Bongsu store (whole file): {size / spans:6.1f} B/span")
    print(f"raw engine, naive layout:  {raw_size / spans:6.1f} B/span"
          f"  (Bongsu = {size / raw_size:.2f}x)")


if __name__ == "__main__":
    main()
