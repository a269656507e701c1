"""The store's user sketches (``bongsu.store.base``: loads append partial minute and day
sketches, compaction merges them, reads merge what is left), run against every backend
(``backends.py``: the ``backend`` and ``store`` fixtures).

The expected figures are recomputed here from the user ids sent, with Python sets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from bongsu.store.batch import SPAN_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import UserSketchRow, reads_of
from bongsu.users.counts import union
from bongsu.users.rollup import DAY_US, MINUTE_US
from bongsu.users.sketch import Sketch

# A day's start two days back, so the minutes below fall in one known UTC day.
DAY = int(time.time() * 1e6) // DAY_US * DAY_US - 2 * DAY_US


def spans(rows: list[tuple[str, int, str, str | None]], kind: int = 2) -> Batch:
    """(tenant, ts_us, service, user_id) rows as spans."""
    base = {"trace_hi": 1, "trace_lo": 1, "span_id": 1, "parent_id": 0, "instance": "i-1",
            "name": "GET /", "kind": kind, "duration_us": 1000, "status": 0, "is_error": False}
    return Batch(spans=pa.Table.from_pylist(
        [{**base, "tenant": t, "ts_us": ts, "service": s, "user_id": u, "span_id": n + 1}
         for n, (t, ts, s, u) in enumerate(rows)], schema=SPAN_SCHEMA))


def distinct(rows: list[UserSketchRow]) -> tuple[int, bool]:
    c = union(rows)
    return c.users, c.exact


def test_minute_and_day_sketches_count_the_users_sent(store: Any) -> None:
    m0, m1 = DAY + 10 * MINUTE_US, DAY + 11 * MINUTE_US
    store.load(spans([("default", m0 + 5, "shop", "alice"), ("default", m0 + 9, "shop", "bob"),
                      ("default", m1, "shop", "alice"), ("default", m1, "shop", None),
                      ("default", m1 + 1, "pay", "carol")]), lsn=1)
    store.load(spans([("default", m1 + 2, "shop", "dave")], kind=3), lsn=2)  # any span kind
    reads = reads_of(store, 10, 10_000)
    shop_min = reads.user_sketches("default", "minute", DAY, DAY + DAY_US, "shop")
    assert {(r.ts_us, *distinct([r2 for r2 in shop_min if r2.ts_us == r.ts_us]))
            for r in shop_min} == {(m0, 2, True), (m1, 2, True)}
    assert distinct(reads.user_sketches("default", "day", DAY, DAY + DAY_US, "shop")) == (3, True)
    everyone = reads.user_sketches("default", "day", DAY, DAY + DAY_US)
    assert {r.service for r in everyone} == {"shop", "pay"}
    assert distinct(everyone) == (4, True)
    assert all(DAY <= r.ts_us < DAY + DAY_US for r in everyone)


@pytest.fixture
def duckdb_store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A DuckDB store: its compaction merges partial rows (ClickHouse's reads return them
    as stored, ``Reads.user_sketches``)."""
    s = DuckDBStore.open(tmp_path / "telemetry.duckdb")
    yield s
    s.close()


def test_compaction_merges_partial_rows_and_changes_no_count(duckdb_store: DuckDBStore
                                                            ) -> None:
    store = duckdb_store
    m = DAY + 30 * MINUTE_US
    expected: set[str] = set()
    for lsn in range(1, 6):
        ids = [f"u{lsn * 3 + i}" for i in range(5)]
        expected.update(ids)
        store.load(spans([("default", m + i, "shop", u) for i, u in enumerate(ids)]), lsn=lsn)
    reads = reads_of(store, 10, 10_000)
    before_min = reads.user_sketches("default", "minute", m, m + MINUTE_US, "shop")
    before_day = reads.user_sketches("default", "day", DAY, DAY + DAY_US, "shop")
    assert len(before_min) == 5 and len(before_day) == 5  # one partial row per load
    store.compact()
    after_min = reads.user_sketches("default", "minute", m, m + MINUTE_US, "shop")
    after_day = reads.user_sketches("default", "day", DAY, DAY + DAY_US, "shop")
    assert len(after_min) == 1 and len(after_day) == 1
    assert distinct(before_min) == distinct(after_min) == distinct(after_day) == (
        len(expected), True)


def test_minute_sketches_merged_into_a_day_equal_the_day_sketch(store: Any) -> None:
    # 20,000 users over 60 minutes, each minute's users partly seen before: past the exact
    # limit, so the day and its merged minutes are HyperLogLog registers, byte for byte equal.
    rows, lsn = [], 0
    for minute in range(60):
        ts = DAY + (100 + minute) * MINUTE_US
        rows += [("default", ts + i, "shop", f"user-{(minute * 300 + i) % 20_000}")
                 for i in range(400)]
        if len(rows) >= 4000:
            lsn += 1
            store.load(spans(rows), lsn=lsn)
            rows = []
    store.compact()
    reads = reads_of(store, 10, 10_000)
    minutes = reads.user_sketches("default", "minute", DAY, DAY + DAY_US, "shop")
    days = reads.user_sketches("default", "day", DAY, DAY + DAY_US, "shop")
    merged, day = Sketch(), Sketch()
    for r in minutes:
        merged.merge(Sketch.from_bytes(r.sketch))
    for r in days:  # one compacted row on DuckDB, the partial rows on ClickHouse
        day.merge(Sketch.from_bytes(r.sketch))
    if isinstance(store, DuckDBStore):
        assert len(days) == 1 and len(minutes) == 60
    assert {r.ts_us for r in minutes} == {DAY + (100 + k) * MINUTE_US for k in range(60)}
    assert not merged.exact
    assert merged.to_bytes() == day.to_bytes()
    assert day.count() == merged.count()


def test_a_count_past_the_exact_limit_is_the_same_estimate_before_and_after_compaction(
        store: Any) -> None:
    # 6 loads of 1,000 users: each partial row is exact, their union (6,000) is not, and
    # the union of the partial rows is the compacted row, register for register.
    for lsn in range(1, 7):
        store.load(spans([("default", DAY + 3 * MINUTE_US + i, "shop", f"u{lsn}-{i}")
                          for i in range(1000)]), lsn=lsn)
    reads = reads_of(store, 10, 10_000)
    partial = reads.user_sketches("default", "day", DAY, DAY + DAY_US)
    assert len(partial) == 6 and all(Sketch.from_bytes(r.sketch).exact for r in partial)
    before = union(partial)
    store.compact()
    after = union(reads.user_sketches("default", "day", DAY, DAY + DAY_US))
    assert before == after and not after.exact
    assert abs(after.users - 6000) <= 3 * after.error_bound * 6000  # type: ignore[operator]


def test_a_replayed_load_counts_no_one_twice(store: Any) -> None:
    batch = spans([("default", DAY + 1, "shop", f"u{i}") for i in range(10)])
    assert store.load(batch, lsn=1)
    assert not store.load(batch, lsn=1)
    store.load(batch, lsn=2)  # the same users again under a new position (a client retry)
    reads = reads_of(store, 10, 10_000)
    assert distinct(reads.user_sketches("default", "day", DAY, DAY + DAY_US)) == (10, True)


def test_tenants_never_share_sketches(store: Any) -> None:
    store.load(spans([("a", DAY + 1, "shop", "x"), ("b", DAY + 1, "shop", "y"),
                      ("b", DAY + 2, "shop", "z")]), lsn=1)
    reads = reads_of(store, 10, 10_000)
    assert distinct(reads.user_sketches("a", "day", DAY, DAY + DAY_US)) == (1, True)
    assert distinct(reads.user_sketches("b", "minute", DAY, DAY + DAY_US)) == (2, True)
    assert reads.user_sketches("c", "day", DAY, DAY + DAY_US) == []


def test_points_read_only_the_minutes_their_windows_need(store: Any) -> None:
    rows = [("default", DAY + m * MINUTE_US, "shop", f"u{m}") for m in range(60)]
    store.load(spans(rows), lsn=1)
    reads = reads_of(store, 10, 10_000)
    end = DAY + 60 * MINUTE_US
    got = reads.user_sketches("default", "minute", DAY, end, "shop",
                              every_us=15 * MINUTE_US, within_us=5 * MINUTE_US)
    # points at 60, 45, 30, 15 minutes: the 5 minutes before each
    assert [(r.ts_us - DAY) // MINUTE_US for r in got] == [
        10, 11, 12, 13, 14, 25, 26, 27, 28, 29, 40, 41, 42, 43, 44, 55, 56, 57, 58, 59]


def test_day_sketches_outlive_telemetry_retention_and_have_their_own(store: Any) -> None:
    store.load(spans([("default", DAY + 1, "shop", "x"),
                      ("default", DAY + DAY_US + 1, "shop", "y")]), lsn=1)
    reads = reads_of(store, 10, 10_000)
    store.delete_before(DAY + 2 * DAY_US)
    assert reads.user_sketches("default", "minute", DAY, DAY + 2 * DAY_US) == []
    assert distinct(reads.user_sketches("default", "day", DAY, DAY + 2 * DAY_US)) == (2, True)
    assert store.delete_user_days_before(DAY + DAY_US) == 1
    assert distinct(reads.user_sketches("default", "day", DAY, DAY + 2 * DAY_US)) == (1, True)


def test_sketches_survive_reopening(backend: Callable[[Path], Any], tmp_path: Path) -> None:
    s = backend(tmp_path)
    s.load(spans([("default", DAY + 1, "shop", "x")]), lsn=1)
    s.close()
    s = backend(tmp_path)
    try:
        reads = reads_of(s, 10, 10_000)
        assert distinct(reads.user_sketches("default", "day", DAY, DAY + DAY_US)) == (1, True)
    finally:
        s.close()
