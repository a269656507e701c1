"""A million distinct users through the store: the report's estimate is within its stated
error, and says it is an estimate."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa

from bongsu.store.batch import SPAN_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of
from bongsu.users.counts import users_report
from bongsu.users.rollup import DAY_US, MINUTE_US

DAY = int(time.time() * 1e6) // DAY_US * DAY_US - 3 * DAY_US
N = 1_000_000


def test_a_million_users_are_estimated_within_the_stated_error(tmp_path: Path) -> None:
    store = DuckDBStore.open(tmp_path / "t.duckdb")
    try:
        per_load = 100_000
        for load in range(N // per_load):
            ids = range(load * per_load, (load + 1) * per_load)
            store.load(Batch(spans=_spans(ids)), lsn=load + 1)
        store.compact()
        reads = reads_of(store, 30, 100_000)
        overall = users_report(reads, "default", None, DAY, DAY + DAY_US)
        web = users_report(reads, "default", "web", DAY, DAY + DAY_US)
    finally:
        store.close()
    for report, n in ((overall, N), (web, N // 2)):
        for count in (report.dau, report.wau, report.mau):
            assert not count.exact and count.error_bound is not None
            assert abs(count.users - n) <= 3 * count.error_bound * n, (count.users, n)
        # the day holds everyone: the one daily point is the DAU
        assert [p.count.users for p in report.daily] == [report.dau.users]
    assert overall.dau.error_bound == 1.04 / 128


def _spans(ids: range) -> pa.Table:
    n = len(ids)
    columns = {
        "tenant": pa.array(["default"] * n), "ts_us": pa.array(
            [DAY + (i % 1440) * MINUTE_US for i in ids], pa.int64()),
        "trace_hi": pa.array([1] * n, pa.uint64()), "trace_lo": pa.array(list(ids), pa.uint64()),
        "span_id": pa.array(list(ids), pa.uint64()), "parent_id": pa.array([0] * n, pa.uint64()),
        "service": pa.array(["web" if i % 2 else "api" for i in ids]),
        "instance": pa.array(["i-1"] * n), "name": pa.array(["GET /"] * n),
        "kind": pa.array([2] * n, pa.uint8()), "duration_us": pa.array([1000] * n, pa.int64()),
        "status": pa.array([0] * n, pa.uint8()), "is_error": pa.array([False] * n),
        "user_id": pa.array([f"user-{i}" for i in ids]),
    }
    return pa.table([columns.get(f.name, pa.nulls(n, f.type)) for f in SPAN_SCHEMA],
                    schema=SPAN_SCHEMA)
