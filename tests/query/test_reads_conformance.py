"""The read-side store contract (``bongsu.store.reads``), checked through ``Reads`` only so
any backend added to ``BACKENDS`` runs the same suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bongsu.errors import TooManyRows
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.store.reads import LogSearch, MetricSearch, Reads, TraceSearch, reads_of
from bongsu.store.rollup import bucket_of
from query import dataset
from query.dataset import MINUTE_US, SPAN_US
from query.harness import BACKENDS, Loaded
from query.otlp import SERVER, SpanSpec, traces_request


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
        reads.services(tenant, t0, end, 10, end - 5 * MINUTE_US, instance="fe-1"),
        reads.service_series(tenant, "payments", t0, end, 10, 60_000_000, instance="pay-1"),
        reads.heatmap(tenant, "frontend", t0, end, 60, 60_000_000, instance="fe-2"),
        reads.transactions(tenant, "frontend", t0, end, 0, 2**62, False, 50, instance="fe-2"),
        reads.instance_labels(tenant, ["fe-1", "ord-1", "pay-2", "never-seen"]),
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


def test_instance_filters_partition_a_service(reads: Reads, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    end = t0 + SPAN_US
    for service, instances in (("frontend", ("fe-1", "fe-2")), ("payments", ("pay-1", "pay-2"))):
        whole = reads.service_series("default", service, t0, end, 60, 60_000_000)
        parts = [reads.service_series("default", service, t0, end, 60, 60_000_000, instance=i)
                 for i in instances]
        per_step = {p.ts_us: p.figures.transactions for p in whole}
        summed: dict[int, int] = {}
        for part in parts:
            assert part and part != whole
            for p in part:
                summed[p.ts_us] = summed.get(p.ts_us, 0) + p.figures.transactions
        assert summed == per_step
        rows = reads.services("default", t0, end, 60, end, instance=instances[0])
        assert [(r.service, r.instance_ids) for r in rows] == [(service, (instances[0],))]
        cells = reads.heatmap("default", service, t0, end, 60, 60_000_000, instance=instances[1])
        assert sum(c.count for c in cells) == sum(
            s.instance == instances[1] for s in dataset.transactions(
                loaded.shop.spans, t0, end, service))


def test_instance_labels(reads: Reads, loaded: Loaded) -> None:
    got = reads.instance_labels("default", ["fe-2", "ord-1", "pay-1", "pay-2", "never-seen"])
    assert [(x.instance, x.service, x.pod, x.host, x.pid) for x in got] == [
        ("fe-2", "frontend", "frontend-6b7f9-p8zt", "node-a", "7"),
        ("ord-1", "orders", None, "orders-vm", "4242"),
        ("pay-1", "payments", None, "pay-host", None),
        ("pay-2", "payments", None, None, None),
    ]
    assert reads.instance_labels("default", []) == []


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_new_resource_renames_the_instance(backend: str, tmp_path: Path) -> None:
    store = BACKENDS[backend](tmp_path / "t.db")
    try:
        t0 = dataset.anchor_us()
        for lsn, pod in enumerate(("shop-7d9f8-aaaaa", "shop-7d9f8-bbbbb"), start=1):
            span = SpanSpec("shop", "i-1", 1 << 100 | lsn, lsn, 0, "GET /", SERVER,
                            t0 + lsn * 1_000_000, 1000)
            builder = BatchBuilder()
            builder.add(Signal.TRACES, "default",
                        traces_request([span], {"i-1": {"k8s.pod.name": pod}}))
            assert store.load(builder.build(), lsn)
            reads = reads_of(store, timeout_s=10, max_rows=100)
            assert [x.pod for x in reads.instance_labels("default", ["i-1"])] == [pod]
    finally:
        store.close()
