"""The read-side store contract (``bongsu.store.reads``), checked through ``Reads`` only so
any backend added to ``BACKENDS`` runs the same suite."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bongsu.errors import QueryTimeout, TooManyRows
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.kube import metric_names as m
from bongsu.kube.model import KINDS, SEVERITIES, CountPoint, Episode
from bongsu.store.reads import (
    EventSearch,
    GroupPoint,
    IngressFigures,
    LogSearch,
    MetricSearch,
    PodLink,
    Reads,
    SeverityCount,
    TraceSearch,
    reads_of,
)
from bongsu.store.rollup import bucket_of
from query import dataset
from query.dataset import HOUR_US, MINUTE_US, SPAN_US
from query.harness import BACKENDS, Loaded
from query.otlp import SERVER, SpanSpec, kvs, traces_request


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


# -- Kubernetes: episodes, pod links, traffic per cluster, metrics per attribute ---------

KUBE_T0 = dataset.anchor_us() - 24 * dataset.HOUR_US  # before the shop: no overlap


def kube_episodes() -> list[Episode]:
    """Episodes of two tenants, two clusters, three namespaces and every kind; the expected
    answers below are recomputed from this list."""
    out = []
    for i in range(60):
        first = KUBE_T0 + i * MINUTE_US
        out.append(Episode(
            id=f"{i:016x}", tenant="acme" if i % 4 == 0 else "default",
            cluster=("private", "public")[i % 2], namespace=("shop", "pay", "")[i % 3],
            object_kind="Node" if i % 3 == 2 else "Pod",
            object_name=f"node-{i % 2}" if i % 3 == 2 else f"cart-{i % 5}-p{i}",
            kind=KINDS[i % len(KINDS)], reason=("BackOff", "Failed", "Killing")[i % 3],
            severity=SEVERITIES[i % 3], summary=f"Summary {i} of CART-{i % 5}",
            message=f"message {i} OOMKilled" if i % 6 == 1 else f"message {i}",
            count=1 + i % 4, first_seen_us=first, last_seen_us=first + (i % 7) * 5 * MINUTE_US,
            component="kubelet", source=("event", "state")[i % 2],
            service="cart" if i % 5 == 0 else None, pod=f"cart-{i % 5}-p{i}" if i % 3 else None,
            container="cart" if i % 3 else None, node=f"node-{i % 2}", raw=f'{{"i": {i}}}',
        ))
    return out


Point = tuple[str, str, int, float, dict[str, str]]  # (instance, name, ts_us, value, attrs)
REPLICAS = "k8s.workload.replicas.ready"
# One route per (cluster, host, path): its requests/s, 4xx/s, 5xx/s, avg ms, p95 ms.
ROUTES = {
    ("private", "shop.example", "/"): (30.0, 1.0, 0.5, 12.0, 40.0),
    ("public", "shop.example", "/"): (70.0, 2.0, 0.0, 15.0, 55.0),
    ("public", "shop.example", "/api"): (5.0, 0.0, 0.25, 80.0, 300.0),
}
INGRESS_NAMES = (m.INGRESS_REQUESTS, m.INGRESS_4XX, m.INGRESS_5XX, m.INGRESS_LATENCY_AVG,
                 m.INGRESS_LATENCY_P95)


@dataclass
class Kube:
    episodes: list[Episode]
    traffic: list[SpanSpec]  # tenant "kube": service web in two clusters, api in one
    points: list[Point]  # replicas per workload and ingress figures per route


CLUSTER_OF = {"w-priv-1": "private", "w-pub-1": "public", "w-pub-2": "public",
              "a-pub-1": "public", "w-none": None}


@pytest.fixture(scope="module")
def kube(loaded: Loaded) -> Kube:
    episodes = kube_episodes()
    loaded.store.save_kube_episodes(episodes[:30])
    loaded.store.save_kube_episodes(episodes[30:])
    spans = []
    for minute in range(10):
        # 3 a minute in private, 7 in public (a 30/70 split), and 1 from an instance that
        # sent no cluster; every fifth of them an error.
        for k, instance in enumerate(["w-priv-1"] * 3 + ["w-pub-1", "w-pub-2"] * 3
                                     + ["w-pub-1", "w-none"]):
            n = minute * 100 + k
            spans.append(SpanSpec("web", instance, 7 << 64 | n, n + 1, 0, "GET /", SERVER,
                                  KUBE_T0 + minute * MINUTE_US + k * 5_000_000, 1000,
                                  status=2 if n % 5 == 0 else 0))
        spans.append(SpanSpec("api", "a-pub-1", 8 << 64 | minute, minute + 1, 0, "GET /",
                              SERVER, KUBE_T0 + minute * MINUTE_US, 1000))
    points = []
    for s in range(0, 10 * 60, 15):  # scraped every 15 s for 10 minutes
        ts = KUBE_T0 + s * 1_000_000
        for cluster, workload, replicas in (("private", "web", 3 + s // 300),
                                            ("public", "web", 7), ("public", "api", 2)):
            points.append(("kube-watcher", REPLICAS, ts, float(replicas), {
                "k8s.cluster.name": cluster, "k8s.namespace.name": "shop",
                "k8s.workload.name": workload}))
        for (cluster, host, path), figures in ROUTES.items():
            attrs = {m.CLUSTER: cluster, m.NAMESPACE: "shop", m.INGRESS: "shop", m.HOST: host,
                     m.PATH: path, m.K8S_SERVICE: "web", m.INGRESS_CONTROLLER: "ingress-nginx"}
            # The rates move between scrapes; the means over the window are the figures.
            wobble = 1.0 if s % 30 else -1.0
            for name, value in zip(INGRESS_NAMES, figures, strict=True):
                points.append((f"{cluster}/shop/shop/{host}{path}", name, ts,
                               value + wobble * value / 10, attrs))
    builder = BatchBuilder()
    resources = {i: ({"k8s.cluster.name": c} if c else {}) for i, c in CLUSTER_OF.items()}
    builder.add(Signal.TRACES, "kube", without_cluster(traces_request(spans, resources), "w-none"))
    builder.add(Signal.METRICS, "kube", gauge_request("web", points))
    assert loaded.store.load(builder.build(), loaded.store.loaded_lsn() + 1)
    return Kube(episodes, spans, points)


def without_cluster(body: bytes, instance: str) -> bytes:
    """The request with ``k8s.cluster.name`` dropped from one instance's resource."""
    req = ExportTraceServiceRequest.FromString(body)
    for rs in req.resource_spans:
        attrs = {a.key: a.value.string_value for a in rs.resource.attributes}
        if attrs["service.instance.id"] == instance:
            kept = [a for a in rs.resource.attributes if a.key != "k8s.cluster.name"]
            del rs.resource.attributes[:]
            rs.resource.attributes.extend(kept)
    return req.SerializeToString()


def gauge_request(service: str, points: list[Point]) -> bytes:
    """Gauge points with point attributes, as the Kubernetes writers' rows look."""
    req = ExportMetricsServiceRequest()
    for instance in sorted({p[0] for p in points}):
        rm = req.resource_metrics.add()
        rm.resource.attributes.extend(kvs({"service.name": service,
                                           "service.instance.id": instance}))
        scope = rm.scope_metrics.add()
        for name in sorted({p[1] for p in points if p[0] == instance}):
            metric = scope.metrics.add()
            metric.name = name
            for _, _, ts, value, attrs in (p for p in points if p[:2] == (instance, name)):
                dp = metric.gauge.data_points.add()
                dp.as_double, dp.time_unix_nano = value, ts * 1000
                dp.attributes.extend(kvs(attrs))
    return req.SerializeToString()


def expected_events(kube: Kube, tenant: str, search: EventSearch) -> list[str]:
    def keep(e: Episode) -> bool:
        if e.tenant != tenant or e.last_seen_us < search.start_us:
            return False
        if e.first_seen_us >= search.end_us:
            return False
        for name in ("cluster", "namespace", "kind", "reason", "severity", "service", "pod"):
            wanted = getattr(search, name)
            if wanted is not None and getattr(e, name) != wanted:
                return False
        if search.object is not None and not e.object_name.startswith(search.object):
            return False
        q = (search.q or "").lower()
        return q in e.summary.lower() or q in e.message.lower() or q in e.object_name.lower()

    found = sorted((e for e in kube.episodes if keep(e)), key=lambda e: (-e.last_seen_us, e.id))
    return [e.id for e in found][: search.limit]


def test_kube_events_match_every_filter(reads: Reads, kube: Kube) -> None:
    whole = (KUBE_T0 - HOUR_US, KUBE_T0 + 3 * HOUR_US)
    one: tuple[tuple[str, Any], ...] = (
        ("cluster", "public"), ("namespace", "pay"), ("namespace", ""),
        ("kind", "oom_killed"), ("reason", "Failed"), ("severity", "critical"),
        ("object", "cart-3"), ("object", "node-"), ("object", "cart-3-p1"),
        ("service", "cart"), ("pod", "cart-2-p7"), ("q", "cart-4"), ("q", "oomkilled"),
        ("cluster", "nowhere"),
    )
    searches = [EventSearch(*whole, 100)] + [
        replace(EventSearch(*whole, 100), **{name: value}) for name, value in one
    ] + [
        EventSearch(*whole, 100, cluster="private", severity="warning", q="CART"),
        EventSearch(*whole, 7),
        EventSearch(KUBE_T0 + 20 * MINUTE_US, KUBE_T0 + 30 * MINUTE_US, 100),
    ]
    for search in searches:
        got = reads.kube_events("default", search)
        want = expected_events(kube, "default", search)
        assert [e.id for e in got] == want, search
        assert all(e.raw == "{}" for e in got)
        assert bool(want) == (search.cluster != "nowhere"), search  # no case is vacuous
    assert len(expected_events(kube, "default", searches[0])) == 45
    by_id = {e.id: e for e in kube.episodes}
    for e in reads.kube_events("default", EventSearch(*whole, 100)):
        assert replace(e, raw=by_id[e.id].raw) == by_id[e.id]


def test_kube_event_windows_are_overlaps(reads: Reads, kube: Kube) -> None:
    e = next(e for e in kube.episodes if e.tenant == "default"
             and e.last_seen_us > e.first_seen_us)
    ids = [(s, t) for s, t in ((e.last_seen_us, e.last_seen_us + 1),  # ends at the start
                               (e.first_seen_us, e.first_seen_us + 1),
                               (e.first_seen_us - 1, e.first_seen_us),  # starts at the end
                               (e.last_seen_us + 1, e.last_seen_us + 2))
           if e.id in [x.id for x in reads.kube_events("default", EventSearch(s, t, 100))]]
    assert ids == [(e.last_seen_us, e.last_seen_us + 1), (e.first_seen_us, e.first_seen_us + 1)]


def test_kube_event_detail_and_recent(reads: Reads, kube: Kube) -> None:
    e = kube.episodes[5]
    got = reads.kube_event("default", e.id)
    assert got is not None
    assert got[0] == e
    assert got[1] == [CountPoint(e.last_seen_us, e.count)]
    assert reads.kube_event("acme", e.id) is None
    assert reads.kube_event("default", "0" * 16 + "x") is None
    since = KUBE_T0 + 40 * MINUTE_US
    recent = reads.kube_recent_episodes("default", "public", since)
    want = sorted((x for x in kube.episodes if x.tenant == "default" and x.cluster == "public"
                   and x.last_seen_us >= since), key=lambda x: (-x.last_seen_us, x.id))
    assert [x.id for x in recent] == [x.id for x in want] and want
    assert all(x.raw == "{}" for x in recent)


def test_kube_reads_are_tenant_scoped(reads: Reads, kube: Kube) -> None:
    whole = EventSearch(KUBE_T0 - HOUR_US, KUBE_T0 + 3 * HOUR_US, 100)
    assert [e.id for e in reads.kube_events("acme", whole)] == expected_events(
        kube, "acme", whole) != []
    t0, end = KUBE_T0, KUBE_T0 + 10 * MINUTE_US
    assert reads.kube_events("nobody", whole) == []
    assert reads.kube_recent_episodes("nobody", "public", 0) == []
    assert reads.pod_links("nobody", 0) == []
    assert reads.cluster_traffic("nobody", None, t0, end, 60_000_000) == []
    assert reads.metric_by_attribute("nobody", "k8s.workload.replicas.ready",
                                     "k8s.cluster.name", t0, end, 60_000_000, "sum") == []
    assert reads.cluster_traffic("default", None, t0, end, 60_000_000) == []


def test_pod_links_come_from_instance_resources(reads: Reads, loaded: Loaded) -> None:
    links = reads.pod_links("default", loaded.shop.t0)
    assert links == [
        PodLink("test-cluster", "shop", "frontend-6b7f9-p8zt", "frontend", "fe-2"),
        PodLink("test-cluster", "shop", "frontend-6b7f9-x2kq", "frontend", "fe-1"),
    ]
    assert reads.pod_links("default", loaded.shop.t0 + 2 * dataset.HOUR_US) == []


def test_cluster_traffic_splits_a_service(reads: Reads, kube: Kube) -> None:
    t0, end = KUBE_T0, KUBE_T0 + 10 * MINUTE_US
    for service, step in (("web", 60_000_000), ("web", 30_000_000), (None, 120_000_000)):
        want: dict[tuple[int, str | None], list[int]] = {}
        for s in kube.traffic:
            if service is None or s.service == service:
                cell = want.setdefault(
                    ((s.start_us // step) * step, CLUSTER_OF[s.instance]), [0, 0])
                cell[0] += 1
                cell[1] += s.status == 2
        got = reads.cluster_traffic("kube", service, t0, end, step)
        assert {(p.ts_us, p.cluster): [p.transactions, p.errors] for p in got} == want
        assert [(p.ts_us, p.cluster or "~") for p in got] == sorted(
            (p.ts_us, p.cluster or "~") for p in got)  # by step, None last
    minute = reads.cluster_traffic("kube", "web", t0, t0 + MINUTE_US, 60_000_000)
    assert [(p.cluster, p.transactions) for p in minute] == [
        ("private", 3), ("public", 7), (None, 1)]


def test_metric_by_attribute_counts_each_series_once_a_step(reads: Reads, kube: Kube) -> None:
    t0, end = KUBE_T0, KUBE_T0 + 10 * MINUTE_US
    name, step = REPLICAS, 60_000_000

    def latest(ts: int, cluster: str, workload: str) -> float:
        return [v for _, n, t, v, a in kube.points if n == name and t // step * step == ts
                and a["k8s.cluster.name"] == cluster and a["k8s.workload.name"] == workload][-1]

    got = reads.metric_by_attribute("kube", name, "k8s.cluster.name", t0, end, step, "sum")
    want = []
    for ts in range(t0, end, step):
        want += [GroupPoint(ts, "private", latest(ts, "private", "web")),
                 GroupPoint(ts, "public", latest(ts, "public", "web") + latest(ts, "public",
                                                                                 "api"))]
    assert got == want
    assert {p.value for p in got if p.group == "private"} == {3.0, 4.0}  # scaled out
    by_workload = reads.metric_by_attribute(
        "kube", name, "k8s.workload.name", t0, end, step, "max",
        filters={"k8s.cluster.name": "public", "k8s.namespace.name": "shop"})
    assert {(p.group, p.value) for p in by_workload} == {("api", 2.0), ("web", 7.0)}
    absent = reads.metric_by_attribute("kube", name, "k8s.node.name", t0, t0 + step, step,
                                       "avg", service="web")
    assert absent == [GroupPoint(t0, None, (3.0 + 7.0 + 2.0) / 3)]
    assert reads.metric_by_attribute("kube", name, "k8s.cluster.name", t0, end, step, "sum",
                                     service="other") == []


def test_kube_severity_counts(reads: Reads, kube: Kube) -> None:
    start, end = KUBE_T0 + 10 * MINUTE_US, KUBE_T0 + 40 * MINUTE_US
    want: dict[tuple[str, str], int] = {}
    for e in kube.episodes:
        if e.tenant == "default" and e.last_seen_us >= start and e.first_seen_us < end:
            want[(e.cluster, e.severity)] = want.get((e.cluster, e.severity), 0) + 1
    got = reads.kube_severity_counts("default", start, end)
    assert got == [SeverityCount(c, s, n) for (c, s), n in sorted(want.items())]  # type: ignore[arg-type]
    assert len(got) == 6
    assert reads.kube_severity_counts("nobody", start, end) == []


def test_ingress_traffic_per_route(reads: Reads, kube: Kube) -> None:
    t0, end = KUBE_T0, KUBE_T0 + 10 * MINUTE_US

    def mean(cluster: str, host: str, path: str, name: str) -> float:
        values = [v for _, n, _, v, a in kube.points if n == name and (
            a.get(m.CLUSTER), a.get(m.HOST), a.get(m.PATH)) == (cluster, host, path)]
        return sum(values) / len(values)

    want = [IngressFigures(c, "shop", "shop", h, p, "web", "web",
                           *(mean(c, h, p, n) for n in INGRESS_NAMES))
            for c, h, p in sorted(ROUTES)]
    got = reads.ingress_traffic("kube", t0, end, None, None)
    assert [replace(g, **{f: round(getattr(g, f), 9) for f in FIGURES}) for g in got] == [
        replace(w, **{f: round(getattr(w, f), 9) for f in FIGURES}) for w in want]
    assert got[0].requests_per_s == pytest.approx(30.0, rel=0.1)  # the means are the figures
    assert [g.path for g in reads.ingress_traffic("kube", t0, end, "public", "shop")] == [
        "/", "/api"]
    assert reads.ingress_traffic("kube", t0, end, "public", "other") == []
    assert reads.ingress_traffic("kube", end, end + MINUTE_US, None, None) == []
    assert reads.ingress_traffic("default", t0, end, None, None) == []


FIGURES = ("requests_per_s", "errors_4xx_per_s", "errors_5xx_per_s", "latency_avg_ms",
           "latency_p95_ms")


def test_kube_reads_have_the_row_cap(loaded: Loaded, kube: Kube) -> None:
    capped = reads_of(loaded.store, timeout_s=10, max_rows=2)
    whole = EventSearch(KUBE_T0 - HOUR_US, KUBE_T0 + 3 * HOUR_US, 100)
    with pytest.raises(TooManyRows):
        capped.kube_events("default", whole)
    with pytest.raises(TooManyRows):
        capped.kube_recent_episodes("default", "public", 0)
    with pytest.raises(TooManyRows):
        capped.cluster_traffic("kube", "web", KUBE_T0, KUBE_T0 + 10 * MINUTE_US, 60_000_000)
    assert len(capped.kube_events("default", replace(whole, limit=2))) == 2


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_kube_reads_have_the_time_limit(backend: str, tmp_path: Path) -> None:
    store = BACKENDS[backend](tmp_path / "t.db")
    try:
        base = kube_episodes()[1]
        store.save_kube_episodes([replace(base, id=f"{i:016x}", message=f"m {i} " * 40)
                                  for i in range(100_000)])
        slow = reads_of(store, timeout_s=0.001, max_rows=10)
        with pytest.raises(QueryTimeout):
            slow.kube_events("default", EventSearch(0, 2**62, 10, q="never there"))
    finally:
        store.close()
