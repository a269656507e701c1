"""The read-side store contract (``bongsu.store.reads``), checked through ``Reads`` only so
any backend added to ``BACKENDS`` runs the same suite."""

from __future__ import annotations

from typing import Any

import pytest

from bongsu.errors import TooManyRows
from bongsu.store.reads import LogSearch, MetricSearch, Reads, TraceSearch, reads_of
from bongsu.store.rollup import bucket_of
from query import dataset
from query.dataset import MINUTE_US, SPAN_US
from query.harness import Loaded


@pytest.fixture
def reads(loaded: Loaded) -> Reads:
    return reads_of(loaded.store, timeout_s=10, max_rows=10_000)


def snapshot(reads: Reads, tenant: str, t0: int) -> list[Any]:
    end = t0 + SPAN_US
    return [
        reads.services(tenant, t0, end, 10, end - 5 * MINUTE_US),
        reads.services(tenant, t0 - 60 * MINUTE_US, end, 60, end - 5 * MINUTE_US),
        reads.service_series(tenant, "frontend", t0, end, 10, 30_000_000),
        reads.service_series(tenant, "frontend", t0, end, 60, 120_000_000),
        reads.heatmap(tenant, "orders", t0, end, 10, 60_000_000),
        reads.instances(tenant, None, t0, end, end - 60_000_000),
        reads.edges(tenant, t0, end, "service"),
        reads.edges(tenant, t0, end, "instance"),
        reads.find_traces(tenant, TraceSearch(t0, end, 50, service="orders")),
        reads.logs(tenant, LogSearch(t0, end, 50)),
        reads.metric_names(tenant, t0, end),
        reads.metric_series(tenant, MetricSearch("process.memory.rss", t0, end, 60_000_000,
                                                 "avg")),
    ]


def test_an_unknown_tenant_sees_nothing(reads: Reads, loaded: Loaded) -> None:
    assert all(result == [] for result in snapshot(reads, "nobody", loaded.shop.t0))
    trace = loaded.shop.spans[0]
    assert reads.trace_spans("nobody", trace.trace_id >> 64, trace.trace_id & (2**64 - 1)) == []
    assert not reads.service_exists("nobody", "frontend")
    assert reads.service_exists("default", "frontend")


def test_compaction_never_changes_an_answer(reads: Reads, loaded: Loaded) -> None:
    before = snapshot(reads, "default", loaded.shop.t0)
    assert loaded.store.compact() > 0  # the shop was loaded in three parts
    assert snapshot(reads, "default", loaded.shop.t0) == before


def test_rollup_resolutions_agree(reads: Reads, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    fine = reads.service_series("default", "orders", t0, t0 + SPAN_US, 10, 60_000_000)
    coarse = reads.service_series("default", "orders", t0, t0 + SPAN_US, 60, 60_000_000)
    assert fine == coarse and fine


def test_percentiles_are_nearest_rank_buckets(reads: Reads, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    rows = reads.services("default", t0, t0 + SPAN_US, 10, t0)
    for row in rows:
        spans = dataset.transactions(loaded.shop.spans, t0, t0 + SPAN_US, row.service)
        durations = [s.duration_us for s in spans]
        for q, got in ((0.5, row.figures.p50_bucket), (0.95, row.figures.p95_bucket),
                       (0.99, row.figures.p99_bucket)):
            assert got == bucket_of(dataset.percentile_us(durations, q))


def test_windows_are_half_open(reads: Reads, loaded: Loaded) -> None:
    span = loaded.shop.spans[0]
    at = span.start_us
    hit = TraceSearch(at, at + 1, 10, service=span.service, name=span.name)
    miss = TraceSearch(at - 10, at, 10, service=span.service, name=span.name)
    assert [t.trace_lo for t in reads.find_traces("default", hit)] == [
        span.trace_id & (2**64 - 1)]
    assert reads.find_traces("default", miss) == []


def test_row_cap_is_a_typed_error(loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    capped = reads_of(loaded.store, timeout_s=10, max_rows=2)
    with pytest.raises(TooManyRows):
        capped.services("default", t0, t0 + SPAN_US, 10, t0)
    with pytest.raises(TooManyRows):
        capped.edges("default", t0, t0 + SPAN_US, "instance")
    assert len(capped.metric_names("default", t0, t0 + SPAN_US)) == 2  # at the cap is fine
