"""``Reads.metric_buckets`` (the read behind the data trend and OOM classification), run
against every backend: each series counts once a step by its latest point, ``agg``
combines a group's series, buckets give min / mean / max of the step values, groups are
capped in order (None last), filters and tenancy hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from bongsu.store.batch import METRIC_SCHEMA, Batch
from bongsu.store.reads import BucketRow, BucketSearch, reads_of

S = 1_000_000
STEP = 60 * S
T0 = 1_780_000_000 * S // (3600 * S) * (3600 * S)


@pytest.fixture
def reads(store: Any) -> Iterator[Any]:
    """The reads of every backend (``backends.py``) holding the points below."""
    rows = []
    for k in range(10):  # ten minutes
        ts = T0 + k * STEP
        for inst, value in (("a-1", 100.0 + k), ("a-2", 10.0)):
            # two points a minute per series: only the latest counts
            rows.append(("default", ts, "a", inst, value - 50, {"pool": "x"}))
            rows.append(("default", ts + 30 * S, "a", inst, value, {"pool": "x"}))
        rows.append(("default", ts, "b", "b-1", 7.0, {}))  # no pool attribute
        rows.append(("other", ts, "a", "a-1", 1e9, {"pool": "x"}))
    n = len(rows)
    store.load(Batch(metrics=pa.Table.from_pydict({
        "tenant": [r[0] for r in rows], "ts_us": [r[1] for r in rows],
        "service": [r[2] for r in rows], "instance": [r[3] for r in rows],
        "name": ["m"] * n, "kind": ["gauge"] * n, "unit": ["1"] * n,
        "value": [r[4] for r in rows], "count": [None] * n, "sum": [None] * n,
        "min": [None] * n, "max": [None] * n, "bounds": [None] * n,
        "bucket_counts": [None] * n,
        "attributes": [json.dumps(r[5]) for r in rows]}, schema=METRIC_SCHEMA)), None)
    yield reads_of(store, timeout_s=10, max_rows=10_000)


def search(**kw: Any) -> BucketSearch:
    base: dict[str, Any] = dict(name="m", start_us=T0, end_us=T0 + 10 * STEP, step_us=STEP,
                                bucket_us=5 * STEP, agg="avg", max_groups=10)
    return BucketSearch(**{**base, **kw})


def test_latest_point_per_series_and_step_then_bucket_figures(reads: Any) -> None:
    got = reads.metric_buckets("default", search(group_by="instance", service="a"))
    assert got == [
        BucketRow(T0, "a-1", 100.0, 102.0, 104.0, 5),
        BucketRow(T0 + 5 * STEP, "a-1", 105.0, 107.0, 109.0, 5),
        BucketRow(T0, "a-2", 10.0, 10.0, 10.0, 5),
        BucketRow(T0 + 5 * STEP, "a-2", 10.0, 10.0, 10.0, 5),
    ]


def test_agg_combines_a_groups_series_within_a_step(reads: Any) -> None:
    summed = reads.metric_buckets("default", search(agg="sum", service="a",
                                                    bucket_us=10 * STEP))
    assert summed == [BucketRow(T0, None, 110.0, 114.5, 119.0, 10)]
    top = reads.metric_buckets("default", search(agg="max", group_by="service",
                                                 bucket_us=10 * STEP))
    assert [(r.group, r.min, r.max) for r in top] == [("a", 100.0, 109.0), ("b", 7.0, 7.0)]


def test_attribute_groups_none_last_and_capped(reads: Any) -> None:
    got = reads.metric_buckets("default", search(group_by="pool", bucket_us=10 * STEP,
                                                 agg="min"))
    assert [(r.group, r.min) for r in got] == [("x", 10.0), (None, 7.0)]
    capped = reads.metric_buckets("default", search(group_by="instance", max_groups=2,
                                                    bucket_us=10 * STEP))
    assert [r.group for r in capped] == ["a-1", "a-2"]


def test_filters_instance_window_and_tenancy(reads: Any) -> None:
    only = reads.metric_buckets("default", search(filters=(("pool", "x"),), instance="a-2",
                                                  bucket_us=10 * STEP))
    assert [(r.group, r.avg, r.steps) for r in only] == [(None, 10.0, 10)]
    assert reads.metric_buckets("default", search(filters=(("pool", "y"),))) == []
    late = reads.metric_buckets("default", search(instance="a-1", start_us=T0 + 8 * STEP,
                                                  bucket_us=10 * STEP))
    assert [(r.min, r.max, r.steps) for r in late] == [(108.0, 109.0, 2)]
    other = reads.metric_buckets("other", search(bucket_us=10 * STEP))
    assert [(r.avg, r.steps) for r in other] == [(1e9, 10)]
    assert reads.metric_buckets("nobody", search()) == []


def test_transaction_buckets_are_transactions_per_second_of_each_step(store: Any) -> None:
    from alerts.telemetry import load_spans
    from query.otlp import SERVER, SpanSpec

    spans = []
    for minute, inst, n in ((0, "a-1", 3), (1, "a-1", 6), (0, "a-2", 12), (3, "a-2", 1)):
        for i in range(n):
            sid = minute * 1000 + i + (1 if inst == "a-1" else 500)
            spans.append(SpanSpec("a", inst, sid, sid, 0, "GET /", SERVER,
                                  T0 + minute * STEP + i * S, 1000))
    load_spans(store, spans)
    reads = reads_of(store, timeout_s=10, max_rows=10_000)
    def per_minute(rows: list[BucketRow]) -> list[tuple[Any, ...]]:
        """Transactions a minute (the rows' per-second rates x 60), to 9 digits."""
        return [(r.ts_us, r.group, round(r.min * 60, 9), round(r.avg * 60, 9),
                 round(r.max * 60, 9), r.steps) for r in rows]

    by_inst = reads.transaction_buckets("default", search(group_by="instance",
                                                          bucket_us=2 * STEP))
    assert per_minute(by_inst) == [
        (T0, "a-1", 3, 4.5, 6, 2), (T0, "a-2", 12, 12, 12, 1),
        (T0 + 2 * STEP, "a-2", 1, 1, 1, 1),
    ]
    total = reads.transaction_buckets("default", search(bucket_us=10 * STEP))
    assert per_minute(total) == [(T0, None, 1, round(22 / 3, 9), 15, 3)]  # 15, 6, 1
    assert reads.transaction_buckets("other", search()) == []
    assert [r.group for r in reads.transaction_buckets(
        "default", search(group_by="instance", max_groups=1))] == ["a-1"]
