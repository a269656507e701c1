"""The SLA reads (``bongsu.store.sla``), checked through the protocols only, on DuckDB and
on ClickHouse (the local endpoint): per minute with traffic, the transactions and the good
ones (not errors, in a bucket wholly below the threshold's) equal what the shop's spans
give, with rollup rows loaded in parts; half-open windows; tenancy; the row cap; a check's
state changes are the results saved where the state changes, after the one in force."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from tests.store.backends import BACKENDS, open_backend

from bongsu.errors import TooManyRows
from bongsu.store.rollup import bucket_of
from bongsu.store.sla import StateChange, TrafficMinute, sla_reads_of
from bongsu.synthetics.model import CheckResult
from query.dataset import APDEX_T_MS, MINUTE_US, SPAN_US, anchor_us, build_shop, transactions
from query.harness import load

US = 1_000_000


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Any, Any, int]]:
    with open_backend(request, request.param, tmp_path_factory.mktemp("sla"),
                      apdex_overrides=APDEX_T_MS) as store:
        yield from _loaded(store)


def _loaded(store: Any) -> Iterator[tuple[Any, Any, int]]:
    t0 = anchor_us()
    shop = build_shop(t0, seed=3)
    lsn = load(store, "default", shop, chunks=3, lsn=0)  # partial rollup rows
    load(store, "acme", build_shop(t0, seed=4, traces=40), chunks=1, lsn=lsn)
    yield store, shop, t0


def expected(spans: list[Any], service: str, start: int, end: int, below: int
             ) -> list[TrafficMinute]:
    requests: Counter[int] = Counter()
    good: Counter[int] = Counter()
    for s in transactions(spans, start, end, service):
        minute = s.start_us // MINUTE_US * MINUTE_US
        if not start <= minute < end:
            continue
        requests[minute] += 1
        good[minute] += not s.is_error and bucket_of(s.duration_us) < below
    return [TrafficMinute(m, requests[m], good[m]) for m in sorted(requests)]


@pytest.mark.parametrize("threshold_ms", [5.0, 40.0, 250.0])
def test_minutes_and_good_requests_equal_the_spans(loaded: tuple[Any, Any, int],
                                                   threshold_ms: float) -> None:
    store, shop, t0 = loaded
    reads = sla_reads_of(store, timeout_s=10, max_rows=100_000)
    below = bucket_of(threshold_ms * 1000)
    start, end = t0 // MINUTE_US * MINUTE_US, t0 + SPAN_US + MINUTE_US
    for service in ("frontend", "orders", "payments"):
        got = reads.traffic_minutes("default", service, start, end, below)
        assert got == expected(shop.spans, service, start, end, below), service
        assert sum(m.requests for m in got) > 0
    # Some requests good, some not, at the middle threshold: the read tells them apart.
    got = reads.traffic_minutes("default", "frontend", start, end, bucket_of(40_000))
    assert 0 < sum(m.good for m in got) < sum(m.requests for m in got)


def test_windows_are_half_open_and_tenants_apart(loaded: tuple[Any, Any, int]) -> None:
    store, _, t0 = loaded
    reads = sla_reads_of(store, timeout_s=10, max_rows=100_000)
    below = bucket_of(100_000)
    start = t0 // MINUTE_US * MINUTE_US
    whole = reads.traffic_minutes("default", "orders", start, start + SPAN_US + MINUTE_US,
                                  below)
    second = whole[1].ts_us
    cut = reads.traffic_minutes("default", "orders", second, whole[-1].ts_us, below)
    assert cut == whole[1:-1]
    acme = reads.traffic_minutes("acme", "orders", start, start + SPAN_US + MINUTE_US, below)
    assert sum(m.requests for m in acme) < sum(m.requests for m in whole)
    assert reads.traffic_minutes("nobody", "orders", start, start + SPAN_US, below) == []


def test_row_cap(loaded: tuple[Any, Any, int]) -> None:
    store, _, t0 = loaded
    reads = sla_reads_of(store, timeout_s=10, max_rows=2)
    with pytest.raises(TooManyRows):
        reads.traffic_minutes("default", "orders", t0 - MINUTE_US, t0 + SPAN_US, 200)


def test_state_changes_are_the_results_whose_state_changes(
        loaded: tuple[Any, Any, int]) -> None:
    store, _, t0 = loaded
    states = ["up", "up", "down", "down", "unknown", "up", "up", "down", "up", "up"]
    rows = [CheckResult(tenant, "c1", t0 + i * 10 * US, s, s, name=f"web {i}")
            for tenant in ("default", "acme") for i, s in enumerate(states)]
    store.save_check_results(rows)
    sla = sla_reads_of(store, timeout_s=10, max_rows=1000)
    for start, end in [(t0, t0 + 100 * US), (t0 + 25 * US, t0 + 75 * US),
                       (t0 + 30 * US, t0 + 31 * US), (t0 - 50 * US, t0)]:
        assert sla.check_state_changes("default", "c1", start, end) == changes(
            [r for r in rows if r.tenant == "default"], start, end), (start, end)
    # In force at the start: the down result 5 s before it, then only the changes.
    got = sla.check_state_changes("default", "c1", t0 + 35 * US, t0 + 100 * US)
    assert [(c.ts_us - t0) // US for c in got] == [30, 40, 50, 70, 80]
    assert sla.check_state_changes("nobody", "c1", t0, t0 + 100 * US) == []


def changes(results: Sequence[CheckResult], start: int, end: int) -> list[StateChange]:
    """The results of ``[start, end)`` after the one in force at ``start``, each kept where
    its state differs from the one before it."""
    ordered = sorted(results, key=lambda r: r.ts_us)
    window = [r for r in ordered if r.ts_us < start][-1:] + [
        r for r in ordered if start <= r.ts_us < end]
    return [StateChange(r.ts_us, r.state, r.name) for i, r in enumerate(window)
            if i == 0 or r.state != window[i - 1].state]
