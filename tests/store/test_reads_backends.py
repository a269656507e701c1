"""Every public ``Reads`` method gives the same rows on DuckDB and on ClickHouse (the real
engine behind the local endpoint) for one realistic data set: five simulated minutes of
the shop decoded through the ingest path and loaded in parts (partial rollup rows, edges
settled a load later and the last ones still live), plus Kubernetes episodes,
ingress figures, captures and check results saved through each store's write side.

Each read must return something on this data, so no comparison passes by both backends
answering nothing. Floats are compared to a relative 1e-9 (sums run in another order)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.query.test_reads_conformance import INGRESS_NAMES, gauge_request, kube_episodes
from tests.store.clickhouse_endpoint import clickhouse, clickhouse_url  # noqa: F401

from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.kube import metric_names as m
from bongsu.simulate import generate
from bongsu.store.clickhouse.client import ClickHouse
from bongsu.store.clickhouse.store import ClickHouseStore
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import (
    BucketSearch,
    EventSearch,
    LogSearch,
    MetricSearch,
    Reads,
    TraceSearch,
)
from bongsu.synthetics.model import CheckResult

SIGNALS = {"traces": Signal.TRACES, "metrics": Signal.METRICS, "logs": Signal.LOGS}
S = 1_000_000
MINUTE_US = 60 * S
HOUR_US = 60 * MINUTE_US
MINUTE_NS = 60_000_000_000


@dataclass
class Both:
    duck: Reads
    ch: Reads
    start: int  # the simulated window, epoch µs (minute-aligned)
    end: int
    kube_t0: int


def _load(stores: list[Any], start_ns: int) -> None:
    """The simulated minutes in three loads (in send order); the first load's unmatched
    calls settle after the second (the match window lags the loads, as in the server), so
    ClickHouse reads both settled and live edges."""
    exports = list(generate(seed=11, start_ns=start_ns, duration_s=290, rate=4))
    third = len(exports) // 3 + 1
    parts = [exports[k * third:(k + 1) * third] for k in range(3)]
    acme = list(generate(seed=5, start_ns=start_ns, duration_s=60, rate=1))
    first_loaded = 0
    for lsn, part in enumerate(parts, 1):
        builder = BatchBuilder()
        for e in part:
            builder.add(SIGNALS[e.kind], "default", e.body)
        if lsn == 1:
            for e in acme:  # another tenant with the same service names
                builder.add(SIGNALS[e.kind], "acme", e.body)
        batch = builder.build()
        for store in stores:
            assert store.load(batch, lsn)
        if lsn == 1:
            first_loaded = time.time_ns() // 1000 + 1
        if lsn == 2:
            for store in stores:
                store.expire_edges(first_loaded)


def _kube(stores: list[Any], t0: int) -> None:
    sample = kube_episodes()  # moved to start at t0
    shift = t0 - sample[0].first_seen_us
    episodes = [dataclasses.replace(e, first_seen_us=e.first_seen_us + shift,
                                    last_seen_us=e.last_seen_us + shift) for e in sample]
    points = []
    for s in range(0, 5 * 60, 15):
        ts = t0 + s * S
        for path, rate in (("/", 30.0), ("/api", 5.0)):
            attrs = {m.CLUSTER: "public", m.NAMESPACE: "shop", m.INGRESS: "shop",
                     m.HOST: "shop.example", m.PATH: path, m.K8S_SERVICE: "web"}
            for k, name in enumerate(INGRESS_NAMES):
                points.append((f"public/shop/{path}", name, ts, rate / (k + 1) + s % 7, attrs))
    builder = BatchBuilder()
    builder.add(Signal.METRICS, "default", gauge_request("web", points))
    batch = builder.build()
    checks = [CheckResult(tenant="default", check_id=c, ts_us=t0 + k * 30 * S,
                          status=("up", "down")[k % 3 == 2], state=("up", "down")[k % 3 == 2],
                          duration_ms=10.0 + k, status_code=(200, 503)[k % 3 == 2],
                          name=f"check {c}", target=f"GET http://{c}/")
              for c in ("home", "api") for k in range(8)]
    for store in stores:
        store.save_kube_episodes(episodes[:30])
        store.save_kube_episodes(episodes[30:])
        store.link_kube_episodes("default", "public", [("shop", "cart-1-p1", "cart")])
        assert store.load(batch, store.loaded_lsn() + 1)
        store.save_check_results(checks)
        for k in range(4):
            store.save_capture("default", f"cap-{k}", t0 + k * S, "orders", f"orders-{k % 2}",
                               ("thread_dump", "heap")[k % 2], "text", f"payload {k}",
                               f"summary {k}", None if k % 2 else "analysis", None)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, clickhouse_url: str  # noqa: F811
         ) -> Iterator[Both]:
    end_ns = (time.time_ns() // MINUTE_NS - 1) * MINUTE_NS
    start_ns = end_ns - 5 * MINUTE_NS
    duck = DuckDBStore.open(Path(tmp_path_factory.mktemp("duck")) / "t.duckdb")
    name = f"t_both_{time.time_ns() % 10**9}"
    ch = ClickHouseStore.open(ClickHouse.connect(clickhouse_url, name))
    kube_t0 = start_ns // 1000 - 60 * MINUTE_US
    try:
        _load([duck, ch], start_ns)
        _kube([duck, ch], kube_t0)
        yield Both(duck.reads(30, 100_000), ch.reads(30, 100_000), start_ns // 1000,
                   end_ns // 1000 + MINUTE_US, kube_t0)
    finally:
        duck.close()
        ch.close()


def same(a: Any, b: Any, where: str = "") -> None:
    """``a`` equals ``b``, floats to a relative 1e-9; says where they first differ."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (
            f"{where}: {len(a)} rows vs {len(b) if isinstance(b, (list, tuple)) else b!r}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9), (
            f"{where}: {a!r} vs {b!r}")
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def some(value: Any) -> bool:
    """Whether a read's answer holds something (a list with rows, a found record, True)."""
    if isinstance(value, tuple):  # (episode, counts)
        return all(some(v) for v in value)
    return bool(value)


# Each read with realistic arguments: (reads, data) -> answer. Names that pick a value
# (a database, a trace, a host) read it from the DuckDB side first, then ask both.
Read = Callable[[Reads, Both], Any]


def _first_trace(r: Reads, d: Both) -> tuple[int, int]:
    t = d.duck.find_traces("default", TraceSearch(d.start, d.end, 5, service="orders"))[0]
    return t.trace_hi, t.trace_lo


def _db(d: Both) -> str:
    return sorted(x.db for x in d.duck.databases("default", d.start, d.end))[0]


def _fingerprint(d: Both) -> str:
    return d.duck.db_statements("default", _db(d), d.start, d.end, "total", 1)[0].fingerprint


def _host(d: Both) -> str:
    return d.duck.host_instances("default", d.start, d.end)[0].host


def _instance(d: Both, service: str = "frontend") -> str:
    return next(i.instance for i in d.duck.instances("default", service, d.start, d.end,
                                                      d.start) if i.transactions)


READS: dict[str, Read] = {
    "service_exists": lambda r, d: r.service_exists("default", "orders"),
    "services": lambda r, d: r.services("default", d.start, d.end, 10, d.end - 2 * MINUTE_US),
    "services_1m_instance": lambda r, d: r.services(
        "default", d.start, d.end, 60, d.start, _instance(d)),
    "service_series": lambda r, d: r.service_series(
        "default", "frontend", d.start, d.end, 10, MINUTE_US),
    "service_series_instance": lambda r, d: r.service_series(
        "default", "frontend", d.start, d.end, 60, 2 * MINUTE_US, _instance(d)),
    "heatmap": lambda r, d: r.heatmap("default", "frontend", d.start, d.end, 10, 30 * S),
    "transactions": lambda r, d: r.transactions(
        "default", "frontend", d.start, d.end, 0, 10**9, False, 50),
    "transactions_errors": lambda r, d: r.transactions(
        "default", "frontend", d.start, d.end, 1000, 10**9, True, 20, _instance(d)),
    "instance_labels": lambda r, d: r.instance_labels(
        "default", sorted(i.instance for i in d.duck.instances(
            "default", None, d.start, d.end, d.start))[:6]),
    "instances": lambda r, d: r.instances("default", None, d.start, d.end,
                                          d.end - 2 * MINUTE_US),
    "instances_service": lambda r, d: r.instances("default", "orders", d.start, d.end,
                                                  d.start),
    "edges_service": lambda r, d: r.edges("default", d.start, d.end, "service"),
    "edges_instance": lambda r, d: r.edges("default", d.start, d.end, "instance"),
    "find_traces": lambda r, d: r.find_traces("default", TraceSearch(d.start, d.end, 40)),
    "find_traces_filtered": lambda r, d: r.find_traces("default", TraceSearch(
        d.start, d.end, 40, service="frontend", min_us=1000, max_us=10**8,
        attributes=(("http.response.status_code", "200"), ("server.port", "8080")))),
    "find_traces_errors": lambda r, d: r.find_traces(
        "default", TraceSearch(d.start, d.end, 40, error=True)),
    "trace_spans": lambda r, d: r.trace_spans("default", *_first_trace(r, d)),
    "logs": lambda r, d: r.logs("default", LogSearch(d.start, d.end, 100)),
    "logs_filtered": lambda r, d: r.logs("default", LogSearch(
        d.start, d.end, 100, service="orders", min_severity=9, text="ORDER")),
    "logs_of_trace": lambda r, d: r.logs("default", LogSearch(
        d.start, d.end, 100, trace=next(
            (x.trace_hi, x.trace_lo) for x in d.duck.logs("default", LogSearch(
                d.start, d.end, 100)) if x.trace_hi or x.trace_lo))),
    "metric_names": lambda r, d: r.metric_names("default", d.start, d.end),
    "captures": lambda r, d: r.captures("default", None, None, None, 10),
    "captures_filtered": lambda r, d: r.captures(
        "default", "orders", "orders-0", "thread_dump", 10, d.kube_t0, d.kube_t0 + MINUTE_US),
    "capture": lambda r, d: r.capture("default", "cap-2"),
    "user_sketches_minute": lambda r, d: r.user_sketches("default", "minute", d.start, d.end),
    "user_sketches_every": lambda r, d: r.user_sketches(
        "default", "minute", d.start, d.end, "frontend", 2 * MINUTE_US, MINUTE_US),
    "user_sketches_day": lambda r, d: r.user_sketches(
        "default", "day", d.start - 86_400 * S, d.end),
    **{f"metric_series_{agg}": (lambda r, d, agg=agg: r.metric_series("default", MetricSearch(
        "process.memory.usage", d.start, d.end, MINUTE_US, agg)))
       for agg in ("avg", "min", "max", "sum", "last")},
    "metric_series_histogram": lambda r, d: r.metric_series("default", MetricSearch(
        "http.server.request.duration", d.start, d.end, MINUTE_US, "avg", service="frontend")),
    "metric_series_instance": lambda r, d: r.metric_series("default", MetricSearch(
        "process.cpu.utilization", d.start, d.end, 30 * S, "max", "frontend", _instance(d))),
    "kube_events": lambda r, d: r.kube_events("default", EventSearch(
        d.kube_t0, d.kube_t0 + 120 * MINUTE_US, 100)),
    "kube_events_filtered": lambda r, d: r.kube_events("default", EventSearch(
        d.kube_t0, d.kube_t0 + 120 * MINUTE_US, 100, cluster="public", object="cart",
        q="CART")),
    "kube_event": lambda r, d: r.kube_event("default", "0000000000000001"),
    "kube_recent_episodes": lambda r, d: r.kube_recent_episodes(
        "default", "public", d.kube_t0 + 10 * MINUTE_US),
    "kube_severity_counts": lambda r, d: r.kube_severity_counts(
        "default", d.kube_t0, d.kube_t0 + 120 * MINUTE_US),
    "ingress_traffic": lambda r, d: r.ingress_traffic(
        "default", d.kube_t0, d.kube_t0 + 10 * MINUTE_US, None, None),
    "ingress_traffic_cluster": lambda r, d: r.ingress_traffic(
        "default", d.kube_t0, d.kube_t0 + 10 * MINUTE_US, "public", "shop"),
    "pod_links": lambda r, d: r.pod_links("default", d.start),
    "cluster_traffic": lambda r, d: r.cluster_traffic("default", None, d.start, d.end,
                                                      MINUTE_US),
    "cluster_traffic_service": lambda r, d: r.cluster_traffic(
        "default", "frontend", d.start, d.end, 30 * S),
    **{f"metric_by_attribute_{agg}": (lambda r, d, agg=agg: r.metric_by_attribute(
        "default", "db.client.connections.usage", "pool.name", d.start, d.end, MINUTE_US,
        agg)) for agg in ("avg", "sum", "last")},
    "metric_by_attribute_filtered": lambda r, d: r.metric_by_attribute(
        "default", "system.cpu.time", "state", d.start, d.end, MINUTE_US, "max",
        filters={"cpu": "cpu0"}),
    **{f"metric_buckets_{group}": (lambda r, d, group=group: r.metric_buckets(
        "default", BucketSearch("process.memory.usage", d.start, d.end, MINUTE_US,
                                2 * MINUTE_US, "avg", 5, group_by=group)))
       for group in ("service", "instance", "service.name", None)},
    "metric_buckets_filtered": lambda r, d: r.metric_buckets("default", BucketSearch(
        "system.cpu.time", d.start, d.end, MINUTE_US, 5 * MINUTE_US, "last", 3,
        group_by="state", filters=(("cpu", "cpu1"),))),
    **{f"transaction_buckets_{group}": (lambda r, d, group=group: r.transaction_buckets(
        "default", BucketSearch("", d.start, d.end, MINUTE_US, 2 * MINUTE_US, "sum", 3,
                                group_by=group)))
       for group in ("service", "instance", None)},
    **{f"figures_by_{by}_{pct}": (lambda r, d, by=by, pct=pct: r.figures_by(
        "default", d.start, d.end, 10, by, pct, d.end - 2 * MINUTE_US,
        (d.start, d.end)))
       for by in ("service", "instance") for pct in (False, True)},
    "figures_by_plain": lambda r, d: r.figures_by("default", d.start, d.end, 60, "service"),
    "check_results": lambda r, d: r.check_results(
        "default", "home", d.kube_t0 + 60 * S, d.kube_t0 + 200 * S, 10),
    "latest_check_results": lambda r, d: r.latest_check_results("default", None),
    "latest_check_results_some": lambda r, d: r.latest_check_results("default", ["api"]),
    "databases": lambda r, d: r.databases("default", d.start, d.end),
    "database_callers": lambda r, d: r.database_callers("default", d.start, d.end),
    "database_exists": lambda r, d: r.database_exists("default", _db(d)),
    **{f"db_statements_{order}": (lambda r, d, order=order: r.db_statements(
        "default", _db(d), d.start, d.end, order, 20))
       for order in ("total", "calls", "p95", "errors")},
    "db_statement_text": lambda r, d: r.db_statement_text("default", _db(d), _fingerprint(d)),
    "db_statement_series": lambda r, d: r.db_statement_series(
        "default", _db(d), _fingerprint(d), d.start, d.end, MINUTE_US),
    "db_slow_calls": lambda r, d: r.db_slow_calls(
        "default", _db(d), _fingerprint(d), d.start, d.end, 10),
    "db_connections": lambda r, d: r.db_connections("default", d.start, d.end),
    **{f"web_endpoints_{order}": (lambda r, d, order=order: r.web_endpoints(
        "default", d.start, d.end, None, order, 20))
       for order in ("total", "calls", "p95", "errors")},
    "web_endpoints_service": lambda r, d: r.web_endpoints(  # hour rows: whole hours
        "default", d.start // HOUR_US * HOUR_US, d.end // HOUR_US * HOUR_US + HOUR_US,
        "frontend", "total", 5, 3600),
    "web_statuses": lambda r, d: r.web_statuses("default", d.start, d.end, MINUTE_US, None),
    "host_instances": lambda r, d: r.host_instances("default", d.start, d.end),
    "host_instances_host": lambda r, d: r.host_instances("default", d.start, d.end, _host(d)),
    "host_exists": lambda r, d: r.host_exists("default", _host(d)),
    "host_metric_stats": lambda r, d: r.host_metric_stats(
        "default", d.start, d.end, ["system.cpu.load_average.1m", "process.memory.usage"]),
    "host_metric_steps": lambda r, d: r.host_metric_steps(
        "default", _host(d), d.start, d.end, MINUTE_US,
        ["system.cpu.load_average.1m", "process.memory.usage"]),
    "group_labels": lambda r, d: r.group_labels("default", d.start, d.end),
    "search_names": lambda r, d: r.search_names("default", "or", d.start, 5),
    "search_names_exact": lambda r, d: r.search_names("default", "frontend", d.start, 5),
    "search_events": lambda r, d: r.search_events("default", "cart", d.kube_t0, 10),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_both_backends_answer_the_same(both: Both, name: str) -> None:
    ours, theirs = READS[name](both.ch, both), READS[name](both.duck, both)
    assert some(theirs), f"{name}: nothing on this data; the comparison would be vacuous"
    same(ours, theirs, name)


def test_every_read_of_the_contract_is_compared() -> None:
    public = {n for n in dir(Reads) if not n.startswith("_")} - {"ping"}
    covered = {n for n in public if any(k == n or k.startswith(n + "_") for k in READS)}
    assert public - covered == set()


def test_tenants_apart_on_both(both: Both) -> None:
    for reads in (both.duck, both.ch):
        acme = reads.services("acme", both.start, both.end, 10, both.start)
        assert acme and acme != reads.services("default", both.start, both.end, 10,
                                               both.start)
    same(both.ch.services("acme", both.start, both.end, 10, both.start),
         both.duck.services("acme", both.start, both.end, 10, both.start))
    both.ch.ping()
