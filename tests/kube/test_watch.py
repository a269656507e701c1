"""The cluster watchers end to end: a real ``bongsu server`` process watching simulated
clusters (``bongsu.simulate.kube``, real-shaped objects on loopback) through the official
client; what the user sees is read back from ``/api/v1/events`` and ``/api/v1/kube/*``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from prometheus_client import CollectorRegistry, Counter, start_http_server

from bongsu.errors import SettingError
from bongsu.kube.cluster import ClusterWatch
from bongsu.kube.config import parse_clusters, parse_ingress
from bongsu.kube.explain import REGISTRY, builtin_registry
from bongsu.kube.hub import KubeHub, KubeSetup
from bongsu.kube.model import Explained
from bongsu.kube.sampler import Intervals
from bongsu.kube.watch import RESOURCES, ListWatch, Resource, Timing
from bongsu.simulate.kube import EventRecorder, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of
from kube.conftest import MakeCluster, ServedCluster
from otlp_build import span, traces
from server_process import ServerProcess, survivors

Obj = dict[str, Any]
NS = "shop"
SILENT_S = 1.5
FAST = {"BONGSU_FSYNC": "off", "BONGSU_KUBE_SILENT_SECONDS": str(SILENT_S),
        "BONGSU_KUBE_BACKOFF_MAX_SECONDS": "1", "BONGSU_KUBE_USAGE_INTERVAL_SECONDS": "1",
        "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "1"}


def _until(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


class Bongsu:
    """The server under test and what its API says."""

    def __init__(self, tmp_path: Path, clusters: str, extra: dict[str, str] | None = None):
        self.process = ServerProcess(tmp_path / "data",
                                     {**FAST, "BONGSU_KUBE_CLUSTERS": clusters, **(extra or {})})

    def events(self, **filters: str) -> list[Obj]:
        now_ms = int(time.time() * 1000)
        query = "&".join([f"from={now_ms - 6 * 3_600_000}", f"to={now_ms + 3_600_000}",
                          *(f"{k}={v}" for k, v in filters.items())])
        status, body = self.process.api(f"/api/v1/events?{query}")
        assert status == 200, body
        return list(body["events"])

    def cluster(self, name: str) -> Obj:
        status, body = self.process.api("/api/v1/kube/clusters")
        assert status == 200, body
        return next(c for c in body["clusters"] if c["name"] == name)

    def connected(self, name: str) -> Obj:
        return _until(f"cluster {name} connected",
                      lambda: (c := self.cluster(name))["state"] == "connected" and c)

    def episode(self, object_name: str, kind: str, minimum_count: int = 1) -> Obj:
        def find() -> Obj | None:
            mine = [e for e in self.events(object=object_name)
                    if e["object_name"] == object_name and e["kind"] == kind
                    and e["count"] >= minimum_count]
            return mine[0] if mine else None
        return _until(f"a {kind} episode of {object_name} (count >= {minimum_count})", find)


@pytest.fixture
def bongsu_for(tmp_path: Path) -> Iterator[Callable[..., Bongsu]]:
    made: list[Bongsu] = []

    def make(clusters: str, extra: dict[str, str] | None = None) -> Bongsu:
        server = Bongsu(tmp_path, clusters, extra)
        made.append(server)
        server.process.start()
        return server

    yield make
    for server in made:
        server.process.stop()
        assert survivors(server.process.left_behind) == []


# -- a small cluster with one object per kind of trouble -------------------------------

def _pod(name: str, *, statuses: list[Obj] | None = None, node: str | None = "node-1",
         phase: str = "Running", reason: str | None = None, memory_limit: str = "256Mi",
         owner: Obj | None = None, started: float | None = None) -> Obj:
    image = f"shop/{name.split('-')[0]}:1.0"
    return shapes.pod(
        name, NS, node=node, uid=f"uid-{name}", phase=phase, reason=reason, owner=owner,
        containers=[shapes.container(name.split("-")[0], image, memory_limit=memory_limit)],
        statuses=statuses if statuses is not None else [
            shapes.running(name.split("-")[0], image, started_at=started or time.time() - 600)],
        started=started or time.time() - 900)


def _termination(reason: str, code: int, finished: float, cid: str,
                 signal: int | None = None) -> Obj:
    return shapes.terminated(reason, code, started_at=finished - 60, finished_at=finished,
                             container_id=cid, signal=signal)


class World:
    """Puts the objects and Events of every kind into ``cluster``, in two steps: what
    exists before the watcher starts, then the changes a watcher must see happen."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.c = cluster
        self.kubelet = EventRecorder(cluster, "kubelet", host="node-1")
        self.t0 = time.time()

    def before(self) -> None:
        c, t0 = self.c, self.t0
        c.put(shapes.node("node-1", boot_id="boot-1"))
        c.put(shapes.node("node-2", boot_id="boot-2", transition=t0 - 3600))
        c.put(shapes.node("node-3", boot_id="boot-3"))
        crash = _pod("orders-crash", statuses=[shapes.waiting(
            "orders", "shop/orders:1.0", "CrashLoopBackOff",
            msg.crashloop_waiting(40, "orders", "orders-crash", NS, "uid-orders-crash"),
            restarts=4, last=_termination("Error", 1, t0 - 30, "containerd://crash4"))])
        c.put(crash)
        self.kubelet.record(crash, "Warning", "BackOff",
                            msg.backoff_restart("orders", "orders-crash", NS, "uid-orders-crash"),
                            field_path="spec.containers{orders}")
        pull = _pod("cart-pull", statuses=[shapes.waiting(
            "cart", "shop/cart:9.9", "ErrImagePull", "rpc error")], phase="Pending")
        c.put(pull)
        self.kubelet.record(pull, "Warning", "Failed", msg.pull_failed("shop/cart:9.9"),
                            field_path="spec.containers{cart}")
        evicted = _pod("search-evicted", statuses=[], phase="Failed", reason="Evicted")
        c.put(evicted)
        self.kubelet.record(evicted, "Warning", "Evicted",
                            msg.evicted("memory", "100Mi", "91Mi", "search", "312Mi", "256Mi"))
        mount = _pod("db-mount", statuses=[], phase="Pending")
        c.put(mount)
        self.kubelet.record(mount, "Warning", "FailedMount",
                            msg.failed_mount("secrets", "db-credentials"))
        pending = _pod("batch-pending", statuses=[], node=None, phase="Pending")
        c.put(pending)
        c.put(shapes.scheduler_event(pending, "FailedScheduling", msg.failed_scheduling(
            3, [(3, msg.INSUFFICIENT_CPU)], "0/3 nodes are available: 3 No preemption victims "
            "found for incoming pod."), at=t0 - 5))
        ports = _pod("proxy-pending", statuses=[], node=None, phase="Pending")
        c.put(ports)
        c.put(shapes.scheduler_event(ports, "FailedScheduling", msg.failed_scheduling(
            3, [(1, msg.HOST_PORT), (2, msg.INSUFFICIENT_CPU)],
            "0/3 nodes are available: 3 No preemption victims found for incoming pod."),
            at=t0 - 4))
        on_bad_node = _pod("web-stranded", node="node-2")
        c.put(on_bad_node)
        EventRecorder(c, "node-controller").record(on_bad_node, "Normal", "NodeNotReady",
                                                   msg.NODE_NOT_READY)
        EventRecorder(c, "kubelet", host="node-3").record(
            shapes.node("node-3", boot_id="boot-3"), "Warning", "Rebooted",
            msg.rebooted("node-3", "boot-3"), ref=shapes.node_ref("node-3"))
        c.put(_pod("orders-oom", statuses=[shapes.running(
            "orders", "shop/orders:1.0", started_at=t0 - 20, restarts=1,
            last=_termination("OOMKilled", 137, t0 - 25, "containerd://oom1"))]))
        c.put(_pod("cart-restart", statuses=[shapes.running(
            "cart", "shop/cart:1.0", started_at=t0 - 20, restarts=1,
            last=_termination("Error", 137, t0 - 22, "containerd://err137", signal=9))]))
        c.put(_pod("web-ready"))
        started = _pod("web-started")
        c.put(started)
        self.kubelet.record(started, "Normal", "Started", msg.started("web"),
                            field_path="spec.containers{web}")
        odd = _pod("misc-odd")
        c.put(odd)
        self.kubelet.record(odd, "Warning", "DNSConfigForming",
                            "Search Line limits were exceeded, some search paths have been "
                            "omitted, the applied search line is: shop.svc.cluster.local")
        frontend = shapes.deployment("frontend", NS, replicas=3, image="shop/frontend:2.0")
        c.put(frontend)
        c.put(shapes.hpa("frontend", NS, target=frontend, min_replicas=2, max_replicas=10,
                         current=3, desired=3, cpu_current=60, last_scale=t0 - 600))
        checkout = shapes.deployment("checkout", NS, replicas=4, image="shop/checkout:3.1")
        c.put(checkout)
        c.put(shapes.hpa("checkout", NS, target=checkout, min_replicas=2, max_replicas=8,
                         current=4, desired=4, cpu_current=50, last_scale=t0 - 600))
        c.put(shapes.deployment("orders", NS, replicas=2, image="shop/orders:1.8.2",
                                revision=6))

    def changes(self) -> None:
        c, t0 = self.c, self.t0
        c.put(shapes.node("node-2", ready=False, boot_id="boot-2", transition=t0 + 1))
        c.put(_pod("web-ready", statuses=[shapes.running(
            "web", "shop/web:1.0", started_at=t0 - 600, ready=False)]))
        frontend = c.get("apps/v1", "Deployment", NS, "frontend")
        checkout = c.get("apps/v1", "Deployment", NS, "checkout")
        assert frontend is not None and checkout is not None
        c.put(shapes.hpa("frontend", NS, target=frontend, min_replicas=2, max_replicas=10,
                         current=3, desired=5, cpu_current=92, last_scale=t0 + 2))
        c.put(shapes.hpa("checkout", NS, target=checkout, min_replicas=2, max_replicas=8,
                         current=4, desired=2, cpu_current=20, last_scale=t0 + 2))
        c.put(shapes.deployment("orders", NS, replicas=2, image="shop/orders:1.8.3",
                                revision=7))

    def recovery(self) -> None:
        self.c.put(shapes.node("node-2", boot_id="boot-2", transition=self.t0 + 3))


# (object, kind, severity, words the summary must hold: the object and the cause)
EXPECTED: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("orders-crash", "crash_loop", "critical", ("orders-crash", "crash-looping")),
    ("cart-pull", "image_pull", "critical", ("cart-pull", "shop/cart:9.9")),
    ("search-evicted", "evicted", "critical", ("search-evicted", "memory")),
    ("db-mount", "volume_mount", "warning", ("db-mount", "db-credentials")),
    ("batch-pending", "scheduling", "warning", ("batch-pending", "Insufficient cpu")),
    ("proxy-pending", "hostport_conflict", "warning", ("proxy-pending", "port")),
    ("web-stranded", "node_not_ready", "warning", ("web-stranded", "node-2")),
    ("node-2", "node_not_ready", "critical", ("node-2", "not ready")),
    ("node-2", "node_ready", "info", ("node-2", "ready")),
    ("node-3", "node_rebooted", "warning", ("node-3", "reboot")),
    ("orders-oom", "oom_killed", "critical", ("orders-oom", "OOM", "256 MiB")),
    ("cart-restart", "container_restart", "warning", ("cart-restart", "137")),
    ("web-ready", "readiness", "warning", ("web-ready", "not ready")),
    ("frontend", "hpa_scale_out", "info", ("frontend", "3 → 5", "cpu")),
    ("checkout", "hpa_scale_in", "info", ("checkout", "4 → 2")),
    ("orders", "rollout", "info", ("orders", "shop/orders:1.8.3", "1.8.2")),
    ("web-started", "pod_started", "info", ("web-started",)),
    ("misc-odd", "other", "warning", ("misc-odd", "DNSConfigForming")),
]


def test_every_kind_is_one_explained_episode(fake_clusters: MakeCluster,
                                             bongsu_for: Callable[..., Bongsu]) -> None:
    served = fake_clusters("seoul", events_api="both")
    world = World(served.cluster)
    world.before()
    server = bongsu_for(f"seoul:private={served.kubeconfig}")
    assert server.connected("seoul")["label"] == "private"
    world.changes()
    server.episode("node-2", "node_not_ready")
    world.recovery()
    for name, kind, _severity, _words in EXPECTED:
        server.episode(name, kind)
    time.sleep(1.0)  # anything doubled would be written by now
    events = server.events()
    for name, kind, severity, words in EXPECTED:
        mine = [e for e in events if e["object_name"] == name and e["kind"] == kind]
        assert len(mine) == 1, (name, kind, mine)
        assert mine[0]["severity"] == severity, mine[0]
        for word in words:
            assert word in mine[0]["summary"], (word, mine[0]["summary"])
        assert mine[0]["cluster"] == "seoul" and mine[0]["count"] >= 1
    assert {k for _, k, _, _ in EXPECTED} >= {
        "crash_loop", "image_pull", "evicted", "volume_mount", "scheduling",
        "hostport_conflict", "node_not_ready", "node_rebooted", "oom_killed",
        "container_restart", "hpa_scale_out", "hpa_scale_in", "rollout", "pod_started", "other"}
    # Both Event APIs are served: only events.k8s.io is watched, so nothing counts twice.
    assert not [w for w in served.server.watches() if "/api/v1/events" in w.path]
    crash = next(e for e in events if e["object_name"] == "orders-crash"
                 and e["kind"] == "crash_loop")
    assert crash["pod"] == "orders-crash" and crash["container"] == "orders"
    status, detail = server.process.api(f"/api/v1/events/{crash['id']}")
    assert status == 200 and detail["raw"]["reason"] == "BackOff"
    # The live view: pods against their limits, the OOM-killed one's last termination.
    status, body = server.process.api("/api/v1/kube/pods?namespace=shop")
    pods = {p["name"]: p for p in body["pods"]}
    assert pods["orders-oom"]["last_termination"]["reason"] == "OOMKilled"
    assert pods["orders-oom"]["containers"][0]["memory"]["limit"] == 256 * 2**20
    nodes = server.cluster("seoul")["nodes"]
    assert nodes == {"ready": 3, "total": 3}


def _bump(world: World, times: int) -> None:
    crash = world.c.get("v1", "Pod", NS, "orders-crash")
    assert crash is not None
    for _ in range(times):
        world.kubelet.record(crash, "Warning", "BackOff",
                             msg.backoff_restart("orders", "orders-crash", NS,
                                                 "uid-orders-crash"),
                             field_path="spec.containers{orders}")


def _new_event(world: World, name: str) -> None:
    pod = _pod(name)
    world.c.put(pod)
    world.kubelet.record(pod, "Warning", "Unhealthy",
                         "Readiness probe failed: HTTP probe failed with statuscode: 503",
                         field_path="spec.containers{web}")


def _ids(server: Bongsu) -> dict[str, tuple[str, int]]:
    return {e["id"]: (e["kind"], e["count"]) for e in server.events()}


def test_nothing_announced_twice_nothing_lost(fake_clusters: MakeCluster,
                                              bongsu_for: Callable[..., Bongsu]) -> None:
    served = fake_clusters("seoul", bookmark_interval_s=0.5)
    api, world = served.server, World(served.cluster)
    world.before()
    server = bongsu_for(f"seoul={served.kubeconfig}")
    server.connected("seoul")
    # 100 count bumps of one Event: one episode, count 100.
    _bump(world, 99)
    crash = server.episode("orders-crash", "crash_loop", minimum_count=100)
    assert crash["count"] == 100
    assert len([e for e in server.events(kind="crash_loop")]) == 1
    for name, kind, _s, _w in EXPECTED:
        if name not in {"node-2", "web-ready", "frontend", "checkout", "orders"}:
            server.episode(name, kind)
    baseline = _ids(server)
    opened = server.cluster("seoul")["episodes_opened"]

    def step(label: str, disturb: Callable[[], None], probe: str) -> None:
        nonlocal opened
        disturb()
        _new_event(world, probe)  # made while the watch is down or being re-established
        server.episode(probe, "readiness")
        status = server.cluster("seoul")
        assert status["episodes_opened"] == opened + 1, (label, status)  # the probe alone
        opened += 1
        now = _ids(server)
        assert {i: now[i] for i in baseline} == baseline, label  # same ids, same counts
        assert len(now) == len(baseline) + 1, (label, set(now) - set(baseline))
        baseline.update(now)

    def expire() -> None:
        # A change no watched resource sees, then history forgotten: every watch resumes
        # from a version older than the floor (a bookmark landing in between can spare one).
        served.cluster.put(shapes.namespace(f"ns-{time.monotonic_ns()}"))
        served.cluster.compact()
        api.drop_watches()

    for mode in ("frame", "status"):
        relists = server.cluster("seoul")["relists"]
        api.gone_mode = mode
        step(f"410 as {mode}", expire, f"probe-{mode}")
        assert server.cluster("seoul")["relists"] >= relists + 5, mode
    # Bookmarks advance the version: after a change no watched resource sees, the nodes
    # watch resumes from that version (only a bookmark can have told it).
    unseen = int(served.cluster.put(shapes.namespace("unwatched"))["metadata"]
                 ["resourceVersion"])
    time.sleep(1.5)  # three bookmark intervals
    lists_before = len(api.lists("/api/v1/pods"))
    step("a dropped connection", api.drop_watches, "probe-dropped")
    assert len(api.lists("/api/v1/pods")) == lists_before  # resumed, not relisted
    assert int(api.watches("/api/v1/nodes")[-1].query["resourceVersion"]) >= unseen
    watches_before = len(api.watches("/events"))

    def go_silent() -> None:
        api.silence(True)
        _until("the silent watch torn down and resumed",
               lambda: len(api.watches("/events")) >= watches_before + 1,
               timeout=SILENT_S * 4)
        api.silence(False)
    step("a silent watch", go_silent, "probe-silent")

    # A new termination while watching: a second OOM episode, its own id.
    served.cluster.put(_pod("orders-oom", statuses=[shapes.running(
        "orders", "shop/orders:1.0", started_at=time.time(), restarts=2,
        last=_termination("OOMKilled", 137, time.time() - 1, "containerd://oom2"))]))
    _until("the second OOM kill", lambda: len(
        [e for e in server.events(object="orders-oom") if e["kind"] == "oom_killed"]) == 2)
    baseline = _ids(server)

    for how in ("SIGTERM", "kill -9"):
        time.sleep(1.5)  # past the writer's linger: every update shown is stored
        left = server.process.stop() if how == "SIGTERM" else server.process.kill()
        assert survivors(left) == []
        _bump(world, 1)  # while the server is down: the count goes on
        probe = f"probe-{how.split()[0].lower()}"
        _new_event(world, probe)
        server.process.start()
        server.connected("seoul")
        server.episode(probe, "readiness")
        server.episode("orders-crash", "crash_loop",
                       minimum_count=baseline[crash["id"]][1] + 1)
        time.sleep(1.0)
        status = server.cluster("seoul")
        assert status["episodes_opened"] == 1, (how, status)  # the probe, nothing else
        now = _ids(server)
        expected = dict(baseline)
        expected[crash["id"]] = ("crash_loop", baseline[crash["id"]][1] + 1)
        assert {i: now[i] for i in baseline} == expected, how
        assert len(now) == len(baseline) + 1, (how, set(now) - set(baseline))
        baseline = now


def _unreachable(served: ServedCluster) -> None:
    served.server.unreachable(True)


def test_two_clusters_one_unreachable(fake_clusters: MakeCluster,
                                      bongsu_for: Callable[..., Bongsu]) -> None:
    seoul, aws = fake_clusters("seoul"), fake_clusters("aws", events_api="core")
    World(seoul.cluster).before()
    aws_world = World(aws.cluster)
    aws_world.before()
    _unreachable(aws)
    server = bongsu_for(f"seoul:private={seoul.kubeconfig},aws:public={aws.kubeconfig}")
    server.connected("seoul")
    down = _until("aws unreachable", lambda: (c := server.cluster("aws"))["state"]
                  == "unreachable" and c)
    assert down["label"] == "public"
    assert down["error"] and ("Connection refused" in down["error"]
                              or "NewConnectionError" in down["error"]), down
    crash = server.episode("orders-crash", "crash_loop")
    assert crash["cluster"] == "seoul"
    # Ingest still answers while a cluster cannot be reached.
    code, _headers, _body = server.process.post(
        "/v1/traces", traces([span("GET /cart")]).SerializeToString())
    assert code == 200
    status, _ = server.process.api("/api/v1/services")
    assert status == 200
    # The cluster comes back: it connects and its events arrive, core/v1 Events this time.
    aws.server.unreachable(False)
    server.connected("aws")
    back = [e for e in _until("aws's episodes", lambda: [
        e for e in server.events(cluster="aws") if e["kind"] == "crash_loop"])]
    assert len(back) == 1 and back[0]["object_name"] == "orders-crash"
    assert [w for w in aws.server.watches() if "/api/v1/events" in w.path]
    assert len(server.events(kind="crash_loop")) == 2  # one per cluster


def test_a_bad_cluster_setting_stops_the_start(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data", {
        **FAST, "BONGSU_KUBE_CLUSTERS": f"seoul={tmp_path / 'missing.kubeconfig'}"})
    with pytest.raises(RuntimeError, match=r"cluster 'seoul': kubeconfig .*missing.kubeconfig"
                                           "' does not exist"):
        process.start()
    assert process.proc is not None and process.proc.wait(10) == 1



def test_pods_linked_to_the_services_their_telemetry_names(
        fake_clusters: MakeCluster, bongsu_for: Callable[..., Bongsu]) -> None:
    served = fake_clusters("seoul")
    world = World(served.cluster)
    world.before()
    server = bongsu_for(f"seoul={served.kubeconfig}")
    server.connected("seoul")
    stored = _until("the OOM kill stored before any telemetry", lambda: [
        e for e in server.events(object="orders-oom") if e["kind"] == "oom_killed"])
    assert stored[0]["service"] is None
    request = traces([span("POST /orders")], service="orders", instance="orders-oom-1",
                     **{"k8s.pod.name": "orders-oom", "k8s.namespace.name": NS,
                        "k8s.cluster.name": "seoul"})
    assert server.process.post("/v1/traces", request.SerializeToString())[0] == 200
    server.process.wait_loaded()
    server.process.stop()  # the links are read at start (then every 15 s)
    server.process.start()
    server.connected("seoul")
    status, body = server.process.api("/api/v1/kube/pods?service=orders")
    assert status == 200
    assert [(p["name"], p["instance"]) for p in body["pods"]] == [("orders-oom", "orders-oom-1")]
    # The episode stored before the pod's telemetry named its service gets it once linked.
    linked_early = _until("the earlier OOM kill linked", lambda: [
        e for e in server.events(service="orders") if e["kind"] == "oom_killed"])
    assert [e["id"] for e in linked_early] == [stored[0]["id"]]
    oom = world.c.get("v1", "Pod", NS, "orders-oom")
    assert oom is not None
    world.kubelet.record(oom, "Warning", "Unhealthy", "Liveness probe failed: connection refused",
                         field_path="spec.containers{orders}")
    linked = _until("an episode of the linked pod", lambda: [
        e for e in server.events(service="orders") if e["reason"] == "Unhealthy"])
    assert linked[0]["service"] == "orders" and linked[0]["pod"] == "orders-oom"
    # Kubernetes-only pods (no agent, no telemetry) are listed all the same.
    status, body = server.process.api("/api/v1/kube/pods?namespace=shop")
    assert {p["name"] for p in body["pods"]} >= {"cart-pull", "web-started"}


def test_hub_listeners_relist_replace_and_threads(fake_clusters: MakeCluster,
                                                  tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    world = World(served.cluster)
    world.before()
    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    setup = KubeSetup(parse_clusters(f"seoul={served.kubeconfig}"),
                      timing=Timing(silent_s=SILENT_S, backoff_max_s=0.5))
    hub = KubeHub(setup, store, reads_of(store, 10, 1000))
    heard: list[tuple[str, str, int, bool]] = []
    hub.subscribe(lambda e, opened: 1 / 0)  # a failing listener stops nothing
    hub.subscribe(lambda e, opened: heard.append((e.object_name, e.kind, e.count, opened)))
    try:
        hub.start()
        _until("connected", lambda: hub.clusters("default")[0].state == "connected")
        assert hub.clusters("other-tenant") == [] and hub.pods("other-tenant", None, None,
                                                                None) == []
        _bump(world, 2)
        _until("the bumps heard", lambda: ("orders-crash", "crash_loop", 3, False) in heard)
        assert heard.count(("orders-crash", "crash_loop", 1, True)) == 1
        names = {t.name for t in threading.enumerate() if t.name.startswith("bongsu-kube-")}
        assert {"bongsu-kube-seoul-pods", "bongsu-kube-seoul-events.k8s.io",
                "bongsu-kube-seoul-nodes", "bongsu-kube-writer"} <= names
        # A relist is a full replace: a pod deleted while no watch could see it goes.
        served.server.unreachable(True)
        _until("unreachable", lambda: hub.clusters("default")[0].state == "unreachable")
        served.cluster.delete("v1", "Pod", NS, "misc-odd")
        served.cluster.compact()
        served.server.unreachable(False)
        _until("the deleted pod gone", lambda: "misc-odd" not in {
            p.name for p in hub.pods("default", "seoul", NS, None)})
        assert "web-started" in {p.name for p in hub.pods("default", "seoul", NS, None)}
        assert hub.writer.flush(10)
        stored = reads_of(store, 10, 1000).kube_recent_episodes("default", "seoul", 0)
        assert [e.count for e in stored if e.kind == "crash_loop"] == [3]
    finally:
        hub.close()
        store.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("bongsu-kube-")]


def test_usage_state_points_and_ingress_scrapes(fake_clusters: MakeCluster,
                                                bongsu_for: Callable[..., Bongsu]) -> None:
    served = fake_clusters("seoul")
    World(served.cluster).before()
    served.cluster.put(shapes.pod_metrics("orders-oom", NS, {"orders": (0.25, 200 * 2**20)}))
    registry = CollectorRegistry()
    requests = Counter("nginx_ingress_controller_requests", "requests",
                       ["ingress", "namespace", "service", "status", "method", "host", "path"],
                       registry=registry)
    httpd, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/metrics"
        server = bongsu_for(f"seoul={served.kubeconfig}", {
            "BONGSU_KUBE_INGRESS": f"seoul={url}", "BONGSU_KUBE_SCRAPE_INTERVAL_SECONDS": "0.5"})
        server.connected("seoul")

        def usage() -> float | None:
            pods = server.process.api(f"/api/v1/kube/pods?namespace={NS}")[1]["pods"]
            oom = next(p for p in pods if p["name"] == "orders-oom")
            value: float | None = oom["containers"][0]["memory"]["usage"]
            return value
        assert _until("usage from metrics.k8s.io", usage) == 200 * 2**20

        def names() -> set[str]:
            for _ in range(5):
                requests.labels("frontend", NS, "frontend", "200", "GET", "shop.example.com",
                                "/").inc(10)
            now_ms = int(time.time() * 1000)
            body = server.process.api(
                f"/api/v1/metrics/names?from={now_ms - 600_000}&to={now_ms + 60_000}")[1]
            return {n["name"] for n in body["names"]}
        wanted = {"k8s.container.memory.usage", "k8s.container.memory.limit",
                  "k8s.workload.replicas.desired", "ingress.requests.rate"}
        _until("state, usage and ingress points", lambda: wanted <= names())
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# -- announcements, in process (review items 1, 2, 15) ---------------------------------

Heard = list[tuple[str, bool, str, str]]  # (id, opened, object, kind)


def _hub(served: ServedCluster, store: DuckDBStore, **setup: Any) -> tuple[KubeHub, Heard]:
    hub = KubeHub(KubeSetup(parse_clusters(f"seoul={served.kubeconfig}"),
                            timing=Timing(silent_s=SILENT_S, backoff_max_s=0.5), **setup),
                  store, reads_of(store, 10, 1000))
    heard: Heard = []
    hub.subscribe(lambda e, opened: heard.append((e.id, opened, e.object_name, e.kind)))
    hub.start()
    _until("connected", lambda: hub.clusters("default")[0].state == "connected")
    return hub, heard


def _scale_hpa(c: FakeCluster, name: str, before: int, after: int, at: int) -> None:
    """The HPA controller's sync: the status and its SuccessfulRescale, stamped alike."""
    target = c.get("apps/v1", "Deployment", NS, name)
    assert target is not None
    hpa = c.put(shapes.hpa(name, NS, target=target, min_replicas=2, max_replicas=10,
                           current=before, desired=after,
                           cpu_current=92 if after > before else 20, last_scale=at))
    EventRecorder(c, "horizontal-pod-autoscaler", clock=lambda: at).record(
        hpa, "Normal", "SuccessfulRescale", msg.rescaled(after, up=after > before))


def _node_2(c: FakeCluster, ready: bool, at: int) -> None:
    """node-2's Ready change and the Event of whoever set it (as in a real cluster)."""
    node = c.put(shapes.node("node-2", ready=ready, boot_id="boot-2", transition=at))
    who, status = ("kubelet", "NodeReady") if ready else ("node-controller", "NodeNotReady")
    EventRecorder(c, who, host="node-2" if ready else None, clock=lambda: at).record(
        node, "Normal", status, msg.node_status("node-2", status), ref=shapes.node_ref("node-2"))


def test_each_episode_announced_once_across_a_restart(fake_clusters: MakeCluster,
                                                       tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    world = World(served.cluster)
    world.before()
    c, at = served.cluster, int(time.time()) + 1
    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    try:
        hub, first = _hub(served, store)
        try:
            # Each of these is an Event and a state finding with the same key and time.
            _scale_hpa(c, "frontend", 3, 5, at)
            _scale_hpa(c, "checkout", 4, 2, at)
            _node_2(c, False, at)
            _node_2(c, True, at + 1)
            merged = [("frontend", "hpa_scale_out"), ("checkout", "hpa_scale_in"),
                      ("node-2", "node_not_ready"), ("node-2", "node_ready")]
            wanted = set(merged)
            for name, kind, _s, _w in EXPECTED:
                if name not in {"web-ready", "orders"}:  # World.changes() not made here
                    wanted.add((name, kind))
            _until("every episode heard", lambda: wanted <= {(o, k) for _, _, o, k in first})
            # Each of the four is heard from both paths.
            _until("the events and findings both heard", lambda: all(
                len([h for h in first if (h[2], h[3]) == w]) >= 2 for w in merged))
            time.sleep(1.0)  # anything announced twice is heard by now
            assert hub.writer.flush(10)
            opened_first = hub.clusters("default")[0].episodes_opened
        finally:
            hub.close()
        hub, second = _hub(served, store)  # a restart: the list shows it all again
        try:
            # (Connected: every resource listed; sightings the store holds unchanged are
            # not even heard.)
            _scale_hpa(c, "frontend", 5, 3, at + 5)  # and the autoscaler scales back in
            _until("the scale-in heard", lambda: ("frontend", "hpa_scale_in") in {
                (o, k) for _, opened, o, k in second if opened})
            time.sleep(1.0)
            assert hub.writer.flush(10)
            status = hub.clusters("default")[0]
        finally:
            hub.close()
        stored = reads_of(store, 10, 1000).kube_recent_episodes("default", "seoul", 0)
    finally:
        store.close()
    announced: dict[str, int] = {}
    for id_, opened, _o, _k in first + second:
        announced[id_] = announced.get(id_, 0) + opened
    assert sorted(announced.values()) == [1] * len(announced), [
        h for h in first + second if announced[h[0]] != 1]
    assert opened_first == len({h[0] for h in first if h[1]})
    assert [(o, k) for _, opened, o, k in second if opened] == [("frontend", "hpa_scale_in")]
    assert status.episodes_opened == 1
    rows = {(e.object_name, e.kind): e for e in stored}
    assert len(rows) == len(stored) == len(announced)  # one row per episode
    assert {k for o, k in rows if o == "frontend"} == {"hpa_scale_out", "hpa_scale_in"}
    assert "to 5" in rows[("frontend", "hpa_scale_out")].summary  # not rewritten by the in
    assert {k for o, k in rows if o in ("checkout", "node-2")} == {
        "hpa_scale_in", "node_not_ready", "node_ready"}


def test_a_slow_listener_holds_up_no_reader_and_no_other_watch(fake_clusters: MakeCluster,
                                                                tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    world = World(served.cluster)
    world.before()
    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    stuck, release = threading.Event(), threading.Event()

    def slow(episode: Any, opened: bool) -> None:
        if episode.object_name == "orders-crash" and episode.count >= 2:
            stuck.set()
            release.wait(30)  # an alert engine calling out, say

    counted: list[tuple[int, bool]] = []

    def counts() -> list[tuple[int, bool]]:
        return list(counted)

    try:
        hub, _heard = _hub(served, store)
        hub.subscribe(lambda e, opened: counted.append((e.count, opened)) if (
            e.object_name, e.kind) == ("orders-crash", "crash_loop") else None)
        hub.subscribe(slow)
        try:
            _bump(world, 1)
            assert stuck.wait(10), "the bump never reached the listener"
            served.cluster.put(_pod("late-arrival"))  # on the pods watch, meanwhile
            answers: list[set[str]] = []

            def read() -> None:
                while "late-arrival" not in (names := {
                        p.name for p in hub.pods("default", "seoul", NS, None)}):
                    time.sleep(0.05)
                answers.append(names)
                hub.clusters("default")
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            reader.join(10)
            assert answers and not reader.is_alive(), "a reader waited on the listener"
            _bump(world, 2)  # more changes queue behind the slow one, in order
            time.sleep(0.5)
            release.set()
            _until("the queued bumps heard", lambda: len(counts()) >= 3)
            assert counts() == [(2, False), (3, False), (4, False)]  # (1 was before us)
        finally:
            release.set()
            hub.close()
    finally:
        release.set()
        store.close()


class _CountingStore:
    """The store, counting the state-point tables loaded into it."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.loads = 0

    def save_kube_episodes(self, episodes: Any) -> None:
        self.store.save_kube_episodes(episodes)

    def link_kube_episodes(self, tenant: str, cluster: str, links: Any) -> int:
        return self.store.link_kube_episodes(tenant, cluster, links)

    def load(self, batch: Any, lsn: int | None) -> bool:
        self.loads += 1
        return self.store.load(batch, lsn)


def test_no_stale_usage_and_no_points_while_unreachable(fake_clusters: MakeCluster,
                                                        tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    World(served.cluster).before()
    served.cluster.put(shapes.pod_metrics("orders-oom", NS, {"orders": (0.25, 200 * 2**20)}))
    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    counting = _CountingStore(store)
    hub = KubeHub(KubeSetup(parse_clusters(f"seoul={served.kubeconfig}"),
                            timing=Timing(silent_s=SILENT_S, backoff_max_s=0.5),
                            intervals=Intervals(usage_s=0.2, state_s=0.2)),
                  counting, reads_of(store, 10, 1000))

    def usage() -> float | None:
        for pod in hub.pods("default", "seoul", NS, None):
            if pod.name == "orders-oom":
                return pod.containers[0].cpu_usage
        return None
    try:
        hub.start()
        assert _until("usage", usage) == 0.25  # (None until the pods are listed)
        # metrics.k8s.io answers with something unreadable (a container without a name):
        # the usage is unknown now, not the last figure.
        bad = shapes.pod_metrics("web-ready", NS, {"web": (0.1, 2**20)})
        del bad["containers"][0]["name"]
        served.cluster.put(bad)
        _until("the usage error shown", lambda: hub.clusters("default")[0].usage_error)
        _until("the usage cleared", lambda: usage() is None)
        # Unreachable: no state points, its last state is not its state now.
        served.server.unreachable(True)
        _until("unreachable", lambda: hub.clusters("default")[0].state == "unreachable")
        time.sleep(0.3)  # a round under way when it went finishes
        loads = counting.loads
        time.sleep(1.2)  # six usage intervals
        assert counting.loads == loads
        served.server.unreachable(False)
        # (The watches resume from their versions: nothing arrives on them but the answer.)
        _until("connected", lambda: hub.clusters("default")[0].state == "connected")
        _until("points again", lambda: counting.loads > loads)
    finally:
        hub.close()
        store.close()


# -- one loop against a scripted API server (review items 8, 9) ------------------------

class _Scripted:
    """An API server on loopback answering as told: discovery (optionally slow), empty
    lists (or a list whose body never comes), watches answered 410 (as the HTTP status or
    an ERROR frame, as kube-apiserver does for a version older than its window)."""

    def __init__(self, *, stall_list: bool = False, gone: str = "", slow_discovery_s: float = 0):
        self.requests: list[str] = []
        self.release = threading.Event()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Obj, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                scripted.requests.append(self.path)
                path, _, query = self.path.partition("?")
                path = path.rstrip("/")
                if path in ("/api", "/apis"):
                    scripted.release.wait(slow_discovery_s)
                    self._json({"kind": "APIVersions", "versions": ["v1"]} if path == "/api"
                               else {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
                elif "watch=" not in query:
                    if stall_list:  # the headers, then nothing: a server stuck mid-list
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                        self.wfile.flush()
                        scripted.release.wait(30)
                        return
                    self._json({"kind": "PodList", "apiVersion": "v1",
                                "metadata": {"resourceVersion": "5"}, "items": []})
                else:
                    expired: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                    "status": "Failure", "reason": "Expired", "code": 410,
                                    "message": "too old resource version: 5 (100)"}
                    if gone == "status":
                        self._json(expired, 410)
                    else:
                        self._json({"type": "ERROR", "object": expired})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def client(self) -> k8s.ApiClient:
        configuration = k8s.Configuration()
        configuration.host = f"http://127.0.0.1:{self.httpd.server_port}"
        configuration.retries = False
        return k8s.ApiClient(configuration)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class _Sink:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def begin(self, resource: Resource) -> None:
        self.calls.append("begin")

    def upsert(self, resource: Resource, obj: Obj, listing: bool) -> None:
        self.calls.append("upsert")

    def delete(self, resource: Resource, obj: Obj) -> None:
        self.calls.append("delete")

    def end(self, resource: Resource) -> None:
        self.calls.append("end")

    def frame(self, resource: Resource) -> None:
        self.calls.append("frame")

    def failed(self, resource: Resource, error: str) -> None:
        self.calls.append("failed")


def test_close_cuts_a_list_in_progress_short() -> None:
    server = _Scripted(stall_list=True)
    api = server.client()
    loop = ListWatch(api, RESOURCES["pods"], _Sink(), Timing(), "t")
    try:
        loop.start()
        _until("the list requested", lambda: server.requests, timeout=5)
        time.sleep(0.2)  # the headers are in; the loop waits on the body
        started = time.monotonic()
        loop.close(timeout=5)
        took = time.monotonic() - started
        assert not loop.thread.is_alive() and took < 2, took  # not the 60 s read timeout
    finally:
        server.close()
        api.close()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("gone", ["status", "frame"])
def test_a_server_that_keeps_answering_410_is_not_hammered(gone: str) -> None:
    server = _Scripted(gone=gone)
    api = server.client()
    loop = ListWatch(api, RESOURCES["pods"], _Sink(), Timing(backoff_max_s=0.4), "t")
    try:
        loop.start()
        time.sleep(2.0)
        lists = len([r for r in server.requests if "watch=" not in r])
        # Waits of ~0.1, ~0.2 then ~0.2-0.4 s: a handful in 2 s, not hundreds.
        assert 3 <= lists <= 15, lists
    finally:
        loop.close()
        server.close()
        api.close()  # type: ignore[no-untyped-call]


def test_discovery_that_ends_after_close_starts_no_loops() -> None:
    server = _Scripted(slow_discovery_s=1.0)
    api = server.client()
    watch = ClusterWatch(parse_clusters("t=in-cluster")[0], "default", Timing(), Intervals(),
                         emit=lambda e, o: None, links=dict, load_points=lambda t: None,
                         api=api)
    try:
        watch.start()
        _until("discovery under way", lambda: server.requests, timeout=5)
        watch.signal_stop()  # closing while discovery waits on the cluster
        _until("discovery over", lambda: "bongsu-kube-t-connect" not in {
            t.name for t in threading.enumerate()}, timeout=5)
        assert server.requests == ["/api/", "/apis/"]  # it went through
        time.sleep(0.3)
        assert watch.loops == []
        assert not [t for t in threading.enumerate() if t.name.startswith("bongsu-kube-t-")
                    and not t.name.endswith(("-connect", "-points"))]
    finally:
        watch.close()
        server.close()


def test_snapshots_are_copies() -> None:
    watch = ClusterWatch(parse_clusters("t=in-cluster")[0], "default", Timing(), Intervals(),
                         emit=lambda e, o: None, links=dict, load_points=lambda t: None)
    watch.upsert(RESOURCES["pods"], _pod("orders-oom"), False)
    watch.upsert(RESOURCES["deployments"], shapes.deployment(
        "orders", NS, replicas=1, image="shop/orders:1.0"), False)
    _nodes, pods, workloads, _hpas, _routes = watch.snapshot()
    live = watch.pods[(NS, "orders-oom")]
    assert pods[0] == live and pods[0] is not live
    assert pods[0].containers[0] is not live.containers[0]
    watch.link({("t", NS, "orders-oom"): ("orders", "i-1")})  # while a reader serialises
    live.containers[0].memory_usage = 2.0**27  # the usage poller, likewise
    assert (pods[0].service, pods[0].containers[0].memory_usage) == (None, None)
    assert watch.snapshot()[1][0].service == "orders"
    assert workloads[0].service is None


def test_the_setup_brings_its_own_explainers(fake_clusters: MakeCluster,
                                             tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    World(served.cluster).before()
    registry = builtin_registry()

    @registry.explainer(reasons=("BackOff",), first=True)
    def ours(event: Any, pods: Any) -> Explained:
        return Explained("crash_loop", "critical", f"ours: {event.object_name}")

    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    try:
        hub, heard = _hub(served, store, registry=registry)
        try:
            _until("the crash loop heard", lambda: [h for h in heard if h[2] == "orders-crash"
                                                    and h[3] == "crash_loop"])
            assert hub.writer.flush(10)
        finally:
            hub.close()
        stored = reads_of(store, 10, 1000).kube_recent_episodes("default", "seoul", 0)
    finally:
        store.close()
    assert [e.summary for e in stored if e.kind == "crash_loop"] == ["ours: orders-crash"]
    assert "ours" in registry.names and "ours" not in REGISTRY.names  # not global


def test_an_ingress_setting_names_what_a_generic_exporter_is_about(tmp_path: Path) -> None:
    specs = parse_clusters("seoul=in-cluster")
    targets = parse_ingress("seoul=http://10.0.0.7:9100/metrics#shop/checkout,"
                            "http://10.0.0.8:10254/metrics", specs)
    assert [(t.url, t.namespace, t.service) for t in targets] == [
        ("http://10.0.0.7:9100/metrics", "shop", "checkout"),
        ("http://10.0.0.8:10254/metrics", "", None)]
    for bad in ("seoul=http://x/metrics#shop", "http://x/metrics#/checkout"):
        with pytest.raises(SettingError, match="URL#NAMESPACE/SERVICE"):
            parse_ingress(bad, specs)
