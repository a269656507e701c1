"""The Kubernetes API (``bongsu.api.kube``) through a real server on loopback.

Episodes, spans and metric points go in through the store (spans and points as OTLP,
through the ingest batch builder); the live state comes from a small static
:class:`KubeView` (the watcher hub is tested end to end by ``test_hub*``). Every expected
answer is recomputed here from what was saved.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.kube import kube_router
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.kube import metric_names as m
from bongsu.kube.model import (
    KINDS,
    SEVERITIES,
    ClusterStatus,
    ContainerState,
    Episode,
    HpaState,
    IngressRoute,
    NodeState,
    PodState,
    Termination,
    WatcherHealth,
    WorkloadState,
)
from bongsu.settings import Settings
from query.harness import BACKENDS, resolve_tenant, serve
from query.otlp import SERVER, SpanSpec, kvs, traces_request

MINUTE_US = 60_000_000
NOW_US = time.time_ns() // 1000
T0 = NOW_US // 3_600_000_000 * 3_600_000_000 - 2 * 3_600_000_000  # an hour boundary, 2 h ago
ACME = {"Authorization": "Bearer acme-key"}
EVENT_FIELDS = {"id", "cluster", "namespace", "object_kind", "object_name", "kind", "reason",
                "severity", "summary", "message", "count", "first_seen", "last_seen",
                "component", "source", "service", "pod", "container", "node"}


def make_episodes() -> list[Episode]:
    """Two tenants, two clusters, every kind; the last eight seen within the last hour."""
    out = []
    for i in range(48):
        first = T0 + i * MINUTE_US
        last = NOW_US - (47 - i) * MINUTE_US if i >= 40 else first + (i % 5) * MINUTE_US
        out.append(Episode(
            id=f"{i + 1:016x}", tenant="acme" if i % 6 == 0 else "default",
            cluster=("private", "public")[i % 2], namespace=("shop", "pay", "")[i % 3],
            object_kind="Node" if i % 3 == 2 else "Pod",
            object_name=f"node-{i % 2}" if i % 3 == 2 else f"cart-{i % 4}-p{i}",
            kind=KINDS[i % len(KINDS)], reason=("BackOff", "Failed", "Killing")[i % 3],
            severity=SEVERITIES[i % 3], summary=f"Pod cart-{i % 4}-p{i}: case {i}",
            message=f"Back-off {i}s" if i % 2 else f"Killed {i}", count=1 + i % 3,
            first_seen_us=first, last_seen_us=last, component="kubelet",
            source=("event", "state")[i % 2], service="cart" if i % 4 == 1 else None,
            pod=f"cart-{i % 4}-p{i}" if i % 3 != 2 else None,
            container="cart" if i % 3 != 2 else None, node=f"node-{i % 2}",
            raw=f'{{"kind": "Event", "metadata": {{"name": "e{i}"}}}}',
        ))
    return out


EPISODES = make_episodes()


def pod(cluster: str, namespace: str, name: str, service: str | None, ready: bool,
        containers: list[ContainerState], node: str = "node-0",
        instance: str | None = None) -> PodState:
    return PodState(cluster=cluster, namespace=namespace, name=name, uid=f"uid-{name}",
                    node=node, phase="Running", ready=ready, workload_kind="Deployment",
                    workload=service, labels={}, containers=containers,
                    started_us=T0 + MINUTE_US, service=service,
                    instance=instance or (f"{name}-i" if service else None))


def container(name: str, restarts: int = 0, usage: float | None = None,
              termination: Termination | None = None) -> ContainerState:
    return ContainerState(
        name=name, image=f"shop/{name}:1.0", ready=termination is None, restarts=restarts,
        state="running" if termination is None else "waiting",
        waiting_reason=None if termination is None else "CrashLoopBackOff",
        last_termination=termination, cpu_request=0.25, cpu_limit=0.5,
        memory_request=128 * 2**20, memory_limit=256 * 2**20, cpu_usage=usage,
        memory_usage=None if usage is None else 200 * 2**20)


OOM = Termination("OOMKilled", 137, None, T0 + 30 * MINUTE_US, "containerd://abc")
ERROR = Termination("Error", 1, None, T0 + 40 * MINUTE_US, "containerd://def", "boom")


@dataclass
class StaticView:
    """A KubeView over fixed lists, scoped by tenant like the hub."""

    clusters_: dict[str, list[ClusterStatus]] = field(default_factory=dict)
    nodes_: list[NodeState] = field(default_factory=list)
    pods_: list[PodState] = field(default_factory=list)
    workloads_: list[WorkloadState] = field(default_factory=list)
    hpas_: list[HpaState] = field(default_factory=list)
    ingresses_: list[IngressRoute] = field(default_factory=list)

    def _mine(self, tenant: str, cluster: str | None) -> set[str]:
        names = {c.name for c in self.clusters_.get(tenant, [])}
        return names if cluster is None else names & {cluster}

    def clusters(self, tenant: str) -> list[ClusterStatus]:
        return list(self.clusters_.get(tenant, []))

    def health(self, tenant: str) -> WatcherHealth:
        return HEALTH if tenant == "default" else WatcherHealth()

    def nodes(self, tenant: str, cluster: str | None) -> list[NodeState]:
        return [n for n in self.nodes_ if n.cluster in self._mine(tenant, cluster)]

    def pods(self, tenant: str, cluster: str | None, namespace: str | None,
             service: str | None) -> list[PodState]:
        return [p for p in self.pods_ if p.cluster in self._mine(tenant, cluster)
                and namespace in (None, p.namespace) and service in (None, p.service)]

    def workloads(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[WorkloadState]:
        return [w for w in self.workloads_ if w.cluster in self._mine(tenant, cluster)
                and namespace in (None, w.namespace)]

    def hpas(self, tenant: str, cluster: str | None, namespace: str | None) -> list[HpaState]:
        return [h for h in self.hpas_ if h.cluster in self._mine(tenant, cluster)
                and namespace in (None, h.namespace)]

    def ingresses(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[IngressRoute]:
        return [r for r in self.ingresses_ if r.cluster in self._mine(tenant, cluster)
                and namespace in (None, r.namespace)]


def status(name: str, label: str, state: str, error: str | None = None) -> ClusterStatus:
    connected = state == "connected"
    return ClusterStatus(name=name, label=label, tenant="default", state=state,  # type: ignore[arg-type]
                         error=error, connected_since_us=T0 if connected else None,
                         last_frame_us=NOW_US - 1_000_000 if connected else None, relists=2,
                         episodes_opened=40, episodes_updated=300,
                         resource_errors={} if connected else {"pods": error or ""},
                         resource_failures={"hpas": 1} if connected else {"pods": 12},
                         usage_error=None if connected else "HTTP 503 Service Unavailable",
                         scrape_targets={"http://10.0.0.7:10254/metrics": None}
                         if connected else {"http://10.1.0.9/metrics": "ScrapeError: 503"})


HEALTH = WatcherHealth(saved=340, pending=2, dropped=7, write_failures=3,
                       write_error="IOException: disk full", explainer_failures=1)


VIEW = StaticView(
    clusters_={"default": [status("public", "public", "connected"),
                           status("private", "private", "unreachable", "connection refused")]},
    nodes_=[NodeState("private", "node-0", True, "b0", 4.0, 16e9),
            NodeState("public", "node-0", True, "b1", 4.0, 16e9),
            NodeState("public", "node-1", False, "b2", 4.0, 16e9)],
    pods_=[pod("public", "shop", "web-5f7d-a", "web", True, [container("web", 0, 0.4)],
               instance="w-pub-1"),
           pod("public", "shop", "web-5f7d-b", "web", False,
               [container("web", 3, None, OOM), container("sidecar", 1, 0.1, ERROR)]),
           pod("private", "shop", "web-77aa-c", "web", True, [container("web", 0, 0.2)]),
           pod("private", "pay", "pay-1-x", None, True, [container("pay")])],
    workloads_=[
        WorkloadState("public", "shop", "Deployment", "web", 3, 2, 2, ["shop/web:1.0"],
                      service="web", revision="4"),
        WorkloadState("public", "shop", "ReplicaSet", "web-5f7d", 3, 2, 2, ["shop/web:1.0"],
                      owner="web", service="web"),
        WorkloadState("private", "shop", "Deployment", "web", 1, 1, 1, ["shop/web:1.0"]),
        WorkloadState("private", "pay", "StatefulSet", "pay", 1, 1, 1, ["shop/pay:2"])],
    hpas_=[HpaState("public", "shop", "web", "Deployment", "web", 2, 10, 3, 5,
                    ["cpu 92% / 70%"])],
    ingresses_=[
        IngressRoute("public", "shop", "shop", "nginx", "shop.example", "/", "web", "80",
                     "web"),
        IngressRoute("public", "shop", "shop", "nginx", "shop.example", "/quiet", "web",
                     "80", "web"),
        IngressRoute("private", "shop", "shop", "nginx", "shop.example", "/", "web", "http"),
        IngressRoute("private", "shop", "admin", "nginx", "admin.example", "/", "admin", "80")],
)
# Ingress figures each scrape writes, per (cluster, ingress, host, path):
# requests/s, 4xx/s, 5xx/s, avg ms, p95 ms.
ROUTE_FIGURES = {
    ("public", "shop", "shop.example", "/"): (70.0, 7.0, 1.4, 20.0, 80.0),
    ("private", "shop", "shop.example", "/"): (30.0, 0.0, 3.0, 25.0, 90.0),
    ("public", None, "api.example", "/v1"): (4.0, 0.0, 0.0, 5.0, 9.0),  # no Ingress object
    ("private", "admin", None, None): (2.0, 0.5, 0.0, 8.0, 30.0),  # per ingress, not per path
}
INGRESS_NAMES = (m.INGRESS_REQUESTS, m.INGRESS_4XX, m.INGRESS_5XX, m.INGRESS_LATENCY_AVG,
                 m.INGRESS_LATENCY_P95)
CLUSTER_OF = {"w-priv-1": "private", "w-pub-1": "public", "w-pub-2": "public"}


def traffic_spans() -> list[SpanSpec]:
    """10 minutes from T0: web 3/min in private and 7/min in public; then private fails
    over (minutes 5-9: public serves all 10)."""
    spans = []
    for minute in range(10):
        per = ["w-priv-1"] * 3 + ["w-pub-1", "w-pub-2"] * 3 + ["w-pub-1"]
        if minute >= 5:
            per = ["w-pub-1", "w-pub-2"] * 5
        for k, instance in enumerate(per):
            n = minute * 100 + k
            spans.append(SpanSpec("web", instance, 5 << 64 | n, n + 1, 0, "GET /", SERVER,
                                  T0 + minute * MINUTE_US + k * 5_000_000, 2000,
                                  status=2 if k == 0 else 0))
    return spans


def points_request() -> bytes:
    """Replicas per cluster (private scales to 0 at minute 5) and ingress figures, every
    15 s for 10 minutes, as the Kubernetes writers' rows look."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.extend(kvs({"service.name": "web",
                                       "service.instance.id": "kube"}))
    scope = rm.scope_metrics.add()
    replicas = scope.metrics.add()
    replicas.name = m.REPLICAS_READY
    figures = {name: scope.metrics.add() for name in INGRESS_NAMES}
    for name, metric in figures.items():
        metric.name = name
    for s in range(0, 600, 15):
        ts = (T0 + s * 1_000_000) * 1000
        for cluster, ready in (("private", 3.0 if s < 300 else 0.0), ("public", 7.0)):
            dp = replicas.gauge.data_points.add()
            dp.as_double, dp.time_unix_nano = ready, ts
            dp.attributes.extend(kvs({m.CLUSTER: cluster, m.NAMESPACE: "shop",
                                      m.WORKLOAD_KIND: "Deployment", m.WORKLOAD: "web"}))
        for (cluster, ingress, host, path), values in ROUTE_FIGURES.items():
            attrs = {m.CLUSTER: cluster, m.NAMESPACE: "shop", m.K8S_SERVICE: "web",
                     m.INGRESS_CONTROLLER: "ingress-nginx"}
            for key, label in ((m.INGRESS, ingress), (m.HOST, host), (m.PATH, path)):
                if label:
                    attrs[key] = label
            for name, value in zip(INGRESS_NAMES, values, strict=True):
                dp = figures[name].gauge.data_points.add()
                dp.as_double, dp.time_unix_nano = value, ts
                dp.attributes.extend(kvs(attrs))
    return req.SerializeToString()


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Any]:
    s = BACKENDS[request.param](Path(tmp_path_factory.mktemp("kube")) / "t.db")
    s.save_kube_episodes(EPISODES)
    builder = BatchBuilder()
    resources = {i: {"k8s.cluster.name": c} for i, c in CLUSTER_OF.items()}
    resources["w-pub-1"]["k8s.pod.name"] = "web-5f7d-a"
    builder.add(Signal.TRACES, "default", traces_request(traffic_spans(), resources))
    builder.add(Signal.METRICS, "default", points_request())
    assert s.load(builder.build(), 1)
    yield s
    s.close()


def client(store: Any, **settings: Any) -> Iterator[httpx.Client]:
    app = create_api(Settings(**settings), store, header_tenants(resolve_tenant),
                     routers=[kube_router(VIEW)], console=False)
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=30) as c:
            yield c


@pytest.fixture(scope="module")
def api(store: Any) -> Iterator[httpx.Client]:
    yield from client(store)


@pytest.fixture(scope="module")
def capped(store: Any) -> Iterator[httpx.Client]:
    yield from client(store, query_max_rows=3)


WHOLE = {"from": str(T0 // 1000 - 3_600_000), "to": str(NOW_US // 1000 + 60_000)}


def ids(api: httpx.Client, headers: dict[str, str] | None = None, **params: str) -> list[str]:
    r = api.get("/api/v1/events", params={**WHOLE, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["events"]]


def expected(tenant: str = "default", start_us: int = T0 - 3_600_000_000,
             end_us: int = NOW_US + 60_000_000, limit: int = 500, **want: str) -> list[str]:
    def keep(e: Episode) -> bool:
        if e.tenant != tenant or e.last_seen_us < start_us or e.first_seen_us >= end_us:
            return False
        for name in ("cluster", "namespace", "kind", "reason", "severity", "service", "pod"):
            if name in want and getattr(e, name) != want[name]:
                return False
        if "object" in want and not e.object_name.startswith(want["object"]):
            return False
        q = want.get("q", "").lower()
        return q in e.summary.lower() or q in e.message.lower() or q in e.object_name.lower()

    found = sorted(filter(keep, EPISODES), key=lambda e: (-e.last_seen_us, e.id))
    return [e.id for e in found][:limit]


def test_events_list_every_field_in_epoch_ms(api: httpx.Client) -> None:
    r = api.get("/api/v1/events", params=WHOLE)
    assert r.status_code == 200
    rows = r.json()["events"]
    assert [e["id"] for e in rows] == expected() and len(rows) == 40
    by_id = {e.id: e for e in EPISODES}
    for row in rows:
        assert set(row) == EVENT_FIELDS
        e = by_id[row["id"]]
        assert (row["first_seen"], row["last_seen"]) == (e.first_seen_us // 1000,
                                                         e.last_seen_us // 1000)
        assert (row["summary"], row["count"], row["kind"], row["pod"]) == (
            e.summary, e.count, e.kind, e.pod)


@pytest.mark.parametrize("name,value", [
    ("cluster", "public"), ("namespace", "pay"), ("namespace", ""), ("kind", "oom_killed"),
    ("reason", "Failed"), ("severity", "critical"), ("object", "cart-2"),
    ("object", "node-1"), ("service", "cart"), ("pod", "cart-3-p7"), ("q", "BACK-OFF 1"),
    ("q", "node-0"),
])
def test_each_event_filter(api: httpx.Client, name: str, value: str) -> None:
    want = expected(**{name: value})
    assert want, "the case must select something"
    assert want != expected()
    assert ids(api, **{name: value}) == want


def test_event_filters_combine_and_window_and_limit(api: httpx.Client) -> None:
    assert ids(api, cluster="private", severity="warning", q="cart") == expected(
        cluster="private", severity="warning", q="cart") != []
    start, end = T0 + 10 * MINUTE_US, T0 + 20 * MINUTE_US
    window = {"from": str(start // 1000), "to": str(end // 1000)}
    r = api.get("/api/v1/events", params=window)
    assert [e["id"] for e in r.json()["events"]] == expected(start_us=start, end_us=end)
    assert ids(api, limit="5") == expected(limit=5)
    assert ids(api, kind="hpa_scale_in", cluster="nowhere") == []


def test_events_are_tenant_scoped(api: httpx.Client) -> None:
    assert ids(api, ACME) == expected("acme") != []
    assert not set(ids(api, ACME)) & set(ids(api))
    r = api.get("/api/v1/events", params=WHOLE, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


@pytest.mark.parametrize("params,message", [
    ({"kind": "crashloop"}, "kind: one of 'crash_loop'"),
    ({"severity": "error"}, "severity: one of 'critical', 'warning' or 'info', got 'error'"),
    ({"limit": "0"}, "limit: "),
    ({"limit": "1001"}, "limit: "),
    ({"limit": "ten"}, "limit: "),
    ({"from": "yesterday"}, "from: expected an ISO-8601 time"),
    ({"from": "2000", "to": "1000"}, "from: must be before to"),
    ({"objects": "cart"}, "objects: an unknown query parameter"),
])
def test_bad_event_parameters_are_400_naming_them(api: httpx.Client, params: dict[str, str],
                                                  message: str) -> None:
    r = api.get("/api/v1/events", params=params)
    assert r.status_code == 400
    assert r.json()["detail"].startswith(message), r.json()


def test_event_detail_has_counts_and_raw(api: httpx.Client, store: Any) -> None:
    e = EPISODES[7]
    store.save_kube_episodes([Episode(**{**_fields(e), "count": e.count + 4,
                                         "last_seen_us": e.last_seen_us + MINUTE_US,
                                         "message": "Back-off 80s"})])
    r = api.get(f"/api/v1/events/{e.id}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == EVENT_FIELDS | {"counts", "raw"}
    assert body["counts"] == [
        {"ts": e.last_seen_us // 1000, "count": e.count},
        {"ts": (e.last_seen_us + MINUTE_US) // 1000, "count": e.count + 4}]
    assert (body["count"], body["message"]) == (e.count + 4, "Back-off 80s")
    assert body["raw"] == {"kind": "Event", "metadata": {"name": "e7"}}
    store.save_kube_episodes([e])  # an older copy moves nothing back
    assert api.get(f"/api/v1/events/{e.id}").json()["count"] == e.count + 4


def _fields(e: Episode) -> dict[str, Any]:
    return {name: getattr(e, name) for name in Episode.__slots__}  # type: ignore[attr-defined]


def test_event_detail_404_and_400(api: httpx.Client) -> None:
    acme_only = next(e for e in EPISODES if e.tenant == "acme")
    r = api.get(f"/api/v1/events/{acme_only.id}")
    assert r.status_code == 404 and r.json()["detail"].startswith("id: no event")
    assert api.get(f"/api/v1/events/{acme_only.id}", headers=ACME).status_code == 200
    assert api.get("/api/v1/events/00000000000000ff").status_code == 404
    r = api.get("/api/v1/events/not-an-id")
    assert r.status_code == 400 and r.json()["detail"].startswith("id: ")
    assert api.get(f"/api/v1/events/{acme_only.id}?x=1", headers=ACME).status_code == 400


def test_clusters(api: httpx.Client) -> None:
    r = api.get("/api/v1/kube/clusters")
    assert r.status_code == 200
    got = {c["name"]: c for c in r.json()["clusters"]}
    assert list(got) == ["private", "public"]
    recent = [e for e in EPISODES if e.tenant == "default"
              and e.last_seen_us >= NOW_US - 3_600_000_000]
    for name, c in got.items():
        for severity in ("critical", "warning"):
            n = sum(e.cluster == name and e.severity == severity for e in recent)
            assert c["recent"][severity] == n
    assert sum(c["recent"]["critical"] + c["recent"]["warning"] for c in got.values()) > 0
    pub, priv = got["public"], got["private"]
    assert (pub["state"], pub["label"], pub["error"]) == ("connected", "public", None)
    assert (priv["state"], priv["error"]) == ("unreachable", "connection refused")
    assert pub["connected_since"] == T0 // 1000 and priv["connected_since"] is None
    assert pub["nodes"] == {"ready": 1, "total": 2} and priv["nodes"] == {"ready": 1,
                                                                           "total": 1}
    assert pub["pods"] == {"ready": 1, "total": 2} and priv["pods"] == {"ready": 2,
                                                                         "total": 2}
    assert pub["services"] == ["web"] and priv["services"] == ["web"]
    assert (pub["relists"], pub["episodes_opened"], pub["episodes_updated"]) == (2, 40, 300)
    # What fails is shown: a resource refused now, one that failed once and recovered,
    # the usage read, the ingress targets; the writer's and explainers' failures.
    assert priv["failing"] == [{"resource": "pods", "error": "connection refused",
                                "failures": 12}]
    assert pub["failing"] == [{"resource": "hpas", "error": None, "failures": 1}]
    assert (pub["usage_error"], priv["usage_error"]) == (None, "HTTP 503 Service Unavailable")
    assert pub["ingress"] == [{"url": "http://10.0.0.7:10254/metrics", "error": None}]
    assert priv["ingress"] == [{"url": "http://10.1.0.9/metrics", "error": "ScrapeError: 503"}]
    assert r.json()["watcher"] == {"saved": 340, "pending": 2, "dropped": 7,
                                   "write_failures": 3, "write_error": "IOException: disk full",
                                   "explainer_failures": 1}
    assert api.get("/api/v1/kube/clusters", headers=ACME).json() == {
        "clusters": [], "watcher": {"saved": 0, "pending": 0, "dropped": 0,
                                    "write_failures": 0, "write_error": None,
                                    "explainer_failures": 0}}


def test_pods_against_their_limits(api: httpx.Client) -> None:
    r = api.get("/api/v1/kube/pods")
    assert r.status_code == 200
    rows = r.json()["pods"]
    assert [(p["cluster"], p["namespace"], p["name"]) for p in rows] == [
        ("private", "pay", "pay-1-x"), ("private", "shop", "web-77aa-c"),
        ("public", "shop", "web-5f7d-a"), ("public", "shop", "web-5f7d-b")]
    sick = rows[3]
    assert (sick["restarts"], sick["ready"], sick["service"], sick["instance"],
            sick["instance_name"]) == (4, False, "web", "web-5f7d-b-i", "web-5f7d-b-i")
    assert (rows[2]["instance"], rows[2]["instance_name"]) == ("w-pub-1", "web-5f7d-a")
    assert rows[0]["instance"] is None and rows[0]["instance_name"] is None
    # The latest termination of any container: the sidecar's Error after the OOM kill.
    assert sick["last_termination"] == {"container": "sidecar", "reason": "Error",
                                        "exit_code": 1, "signal": None,
                                        "finished_at": ERROR.finished_us // 1000,
                                        "message": "boom"}
    web = sick["containers"][0]
    assert web["last_termination"]["reason"] == "OOMKilled"
    assert web["waiting_reason"] == "CrashLoopBackOff"
    assert web["memory"] == {"usage": None, "request": 128 * 2**20, "limit": 256 * 2**20,
                             "request_fraction": None, "limit_fraction": None}
    healthy = rows[2]["containers"][0]
    assert healthy["cpu"] == {"usage": 0.4, "request": 0.25, "limit": 0.5,
                              "request_fraction": 1.6, "limit_fraction": 0.8}
    assert healthy["memory"]["limit_fraction"] == pytest.approx(200 / 256)
    assert rows[2]["started_at"] == (T0 + MINUTE_US) // 1000
    names = [p["name"] for p in api.get("/api/v1/kube/pods", params={
        "cluster": "public", "namespace": "shop", "service": "web"}).json()["pods"]]
    assert names == ["web-5f7d-a", "web-5f7d-b"]
    assert api.get("/api/v1/kube/pods", params={"service": "pay"}).json()["pods"] == []
    assert api.get("/api/v1/kube/pods", headers=ACME).json() == {"pods": []}
    r = api.get("/api/v1/kube/pods", params={"pod": "x"})
    assert r.status_code == 400 and r.json()["detail"].startswith("pod: an unknown")


def test_workloads_with_their_autoscaler(api: httpx.Client) -> None:
    rows = api.get("/api/v1/kube/workloads").json()["workloads"]
    assert [(w["cluster"], w["kind"], w["name"]) for w in rows] == [
        ("private", "StatefulSet", "pay"), ("private", "Deployment", "web"),
        ("public", "Deployment", "web")]  # a Deployment's ReplicaSet is counted in it
    web = rows[2]
    assert (web["desired"], web["ready"], web["available"], web["revision"]) == (3, 2, 2, "4")
    assert web["hpa"] == {"name": "web", "min_replicas": 2, "max_replicas": 10,
                          "current": 3, "desired": 5, "metrics": ["cpu 92% / 70%"]}
    assert rows[1]["hpa"] is None and rows[1]["service"] is None
    only = api.get("/api/v1/kube/workloads", params={"cluster": "private",
                                                     "namespace": "pay"}).json()
    assert [w["name"] for w in only["workloads"]] == ["pay"]


def test_ingress_routes_with_their_traffic(api: httpx.Client) -> None:
    window = {"from": str(T0 // 1000), "to": str((T0 + 10 * MINUTE_US) // 1000)}
    r = api.get("/api/v1/kube/ingresses", params=window)
    assert r.status_code == 200
    body = r.json()
    assert (body["from"], body["to"]) == (T0 // 1000, (T0 + 10 * MINUTE_US) // 1000)
    routes = [(x["cluster"], x["name"], x["host"], x["path"], x["declared"])
              for x in body["routes"]]
    assert routes == [("private", "admin", "admin.example", "/", True),
                      ("private", "shop", "shop.example", "/", True),
                      ("public", "shop", "shop.example", "/", True),
                      ("public", "shop", "shop.example", "/quiet", True),
                      ("public", None, "api.example", "/v1", False)]
    admin = body["routes"][0]  # its ingress's only rule takes the per-ingress figures
    assert (admin["requests_per_s"], admin["error_rate_4xx"]) == pytest.approx((2.0, 0.25))
    public = body["routes"][2]
    assert (public["requests_per_s"], public["errors_4xx_per_s"], public["errors_5xx_per_s"],
            public["latency_avg_ms"], public["latency_p95_ms"]) == pytest.approx(
        (70.0, 7.0, 1.4, 20.0, 80.0))
    assert public["error_rate_4xx"] == pytest.approx(0.1)
    assert public["error_rate_5xx"] == pytest.approx(0.02)
    assert (public["backend_service"], public["backend_port"], public["service"]) == (
        "web", "80", "web")
    assert body["routes"][1]["service"] == "web"  # linked through the figures' service
    quiet = body["routes"][3]
    assert quiet["requests_per_s"] is None and quiet["error_rate_5xx"] is None
    assert body["routes"][4]["backend_service"] == "web"
    later = {"from": str((T0 + 20 * MINUTE_US) // 1000),
             "to": str((T0 + 30 * MINUTE_US) // 1000), "cluster": "public"}
    rows = api.get("/api/v1/kube/ingresses", params=later).json()["routes"]
    assert [x["path"] for x in rows] == ["/", "/quiet"]
    assert all(x["requests_per_s"] is None for x in rows)


def test_traffic_share_replicas_and_failover(api: httpx.Client) -> None:
    window = {"service": "web", "from": str(T0 // 1000),
              "to": str((T0 + 10 * MINUTE_US) // 1000), "step": "60"}
    r = api.get("/api/v1/kube/traffic", params=window)
    assert r.status_code == 200
    body = r.json()
    assert (body["service"], body["step"], body["from"]) == ("web", 60, T0 // 1000)
    clusters = {c["cluster"]: c for c in body["clusters"]}
    assert list(clusters) == ["private", "public"]
    spans = traffic_spans()
    for name, c in clusters.items():
        mine = [s for s in spans if CLUSTER_OF[s.instance] == name]
        assert (c["transactions"], c["errors"]) == (len(mine), sum(s.status == 2 for s in mine))
        assert c["share"] == pytest.approx(len(mine) / len(spans))
    private, public = clusters["private"]["points"], clusters["public"]["points"]
    assert [p["share"] for p in private] == [0.3] * 5 + [0.0] * 5  # 30/70, then failover
    assert [p["share"] for p in public] == [0.7] * 5 + [1.0] * 5
    assert [p["replicas"] for p in private] == [3.0] * 5 + [0.0] * 5
    assert [p["replicas"] for p in public] == [7.0] * 10
    assert [p["ts"] for p in public] == [(T0 + i * MINUTE_US) // 1000 for i in range(10)]
    fine = api.get("/api/v1/kube/traffic", params={**window, "step": "30"}).json()
    assert sum(p["transactions"] for c in fine["clusters"] for p in c["points"]) == len(spans)
    assert api.get("/api/v1/kube/traffic", params={**window, "service": "other"}).json()[
        "clusters"] == []
    assert api.get("/api/v1/kube/traffic", params=window, headers=ACME).json()[
        "clusters"] == []
    r = api.get("/api/v1/kube/traffic", params={**window, "step": "15"})
    assert r.status_code == 400 and r.json()["detail"].startswith("step: ")


def test_the_row_cap(capped: httpx.Client) -> None:
    r = capped.get("/api/v1/events", params=WHOLE)
    assert r.status_code == 200 and len(r.json()["events"]) == 3  # the default limit, capped
    r = capped.get("/api/v1/events", params={**WHOLE, "limit": "4"})
    assert r.status_code == 400 and r.json()["detail"] == "limit: must be between 1 and 3, got 4"
    r = capped.get("/api/v1/kube/pods")
    assert r.status_code == 400 and "more than 3 pods" in r.json()["detail"]
    assert capped.get("/api/v1/kube/pods", params={"cluster": "public"}).status_code == 200
    r = capped.get("/api/v1/kube/traffic", params={
        "from": str(T0 // 1000), "to": str((T0 + 10 * MINUTE_US) // 1000), "step": "60"})
    assert r.status_code == 400 and r.json()["detail"].startswith("step: 10 points")
