"""The simulated API server through the official ``kubernetes`` client: list, watch, 410, paging."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from bongsu.simulate.kube import EventRecorder, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg
from kube.conftest import MakeCluster, ServedCluster

NS = "shop"
T0 = time.time() - 600


def _api(served: ServedCluster) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(served.kubeconfig))


@pytest.fixture
def api(fake_cluster: ServedCluster) -> Iterator[client.ApiClient]:
    c = _api(fake_cluster)
    yield c
    c.close()


def _pod(name: str, node: str = "node-1", **status: Any) -> dict[str, Any]:
    spec = shapes.container("web", "ghcr.io/shop/web:1.2.0", memory_limit="256Mi")
    return shapes.pod(name, NS, node=node, containers=[spec],
                      statuses=[shapes.running("web", spec["image"], started_at=T0, **status)],
                      labels={"app": "web"}, created=T0)


def _populate(cluster: FakeCluster) -> None:
    cluster.put(shapes.namespace(NS, created=T0))
    cluster.put(shapes.node("node-1", boot_id="6f1d2c3e-1111-4a5b-8c9d-0e1f2a3b4c5d", created=T0))
    dep = cluster.put(shapes.deployment("web", NS, replicas=2, image="ghcr.io/shop/web:1.2.0",
                                        revision=3, created=T0))
    rs = cluster.put(shapes.replicaset(dep, "5d8f7c9b4", replicas=2, created=T0))
    oom = shapes.terminated("OOMKilled", 137, started_at=T0, finished_at=T0 + 60,
                            container_id=shapes.container_id("web-a-1"))
    pod_a = _pod("web-5d8f7c9b4-a1b2c", restarts=1, last=oom)
    pod_a["metadata"]["ownerReferences"] = [shapes.owner_ref(rs)]
    cluster.put(pod_a)
    cluster.put(_pod("web-5d8f7c9b4-d3e4f"))
    cluster.put(shapes.hpa("web", NS, target=dep, min_replicas=2, max_replicas=6, current=2,
                           desired=3, cpu_current=91, cpu_target=70, last_scale=T0 + 30))
    cluster.put(shapes.ingress("web", NS, rules=[("shop.example", "/", "web", 80)]))
    cluster.put(shapes.statefulset("redis", NS, replicas=1, image="redis:7.2"))
    cluster.put(shapes.daemonset("node-exporter", "monitoring", nodes=1,
                                 image="quay.io/prometheus/node-exporter:v1.8.2"))
    cluster.put(shapes.pod_metrics("web-5d8f7c9b4-a1b2c", NS, {"web": (0.153, 200 * 2**20)}))
    cluster.put(shapes.node_metrics("node-1", 1.2, 6 * 2**30))


def test_lists_every_resource_in_its_real_shape(fake_cluster: ServedCluster,
                                                 api: client.ApiClient) -> None:
    _populate(fake_cluster.cluster)
    core = client.CoreV1Api(api)
    pods = core.list_pod_for_all_namespaces()
    assert sorted(p.metadata.name for p in pods.items) == ["web-5d8f7c9b4-a1b2c",
                                                           "web-5d8f7c9b4-d3e4f"]
    oomed = next(p for p in pods.items if p.metadata.name.endswith("a1b2c"))
    term = oomed.status.container_statuses[0].last_state.terminated
    assert (term.reason, term.exit_code, oomed.status.container_statuses[0].restart_count) == (
        "OOMKilled", 137, 1)
    assert oomed.metadata.owner_references[0].kind == "ReplicaSet"
    assert oomed.spec.containers[0].resources.limits == {"memory": "256Mi"}
    assert [p.metadata.name for p in core.list_namespaced_pod("other").items] == []
    node = core.list_node().items[0]
    assert node.status.node_info.boot_id == "6f1d2c3e-1111-4a5b-8c9d-0e1f2a3b4c5d"
    assert [c.status for c in node.status.conditions if c.type == "Ready"] == ["True"]
    assert [n.metadata.name for n in core.list_namespace().items] == [NS]

    apps = client.AppsV1Api(api)
    dep = apps.read_namespaced_deployment("web", NS)
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    rs = apps.list_replica_set_for_all_namespaces().items[0]
    assert rs.metadata.owner_references[0].name == "web"
    assert rs.spec.template.spec.containers[0].image == "ghcr.io/shop/web:1.2.0"
    assert [s.metadata.name for s in apps.list_namespaced_stateful_set(NS).items] == ["redis"]
    assert apps.list_daemon_set_for_all_namespaces().items[0].metadata.namespace == "monitoring"

    hpa = client.AutoscalingV2Api(api).list_namespaced_horizontal_pod_autoscaler(NS).items[0]
    assert (hpa.status.current_replicas, hpa.status.desired_replicas) == (2, 3)
    assert hpa.status.current_metrics[0].resource.current.average_utilization == 91
    assert hpa.spec.metrics[0].resource.target.average_utilization == 70
    assert hpa.status.last_scale_time is not None

    ing = client.NetworkingV1Api(api).list_ingress_for_all_namespaces().items[0]
    assert ing.spec.rules[0].host == "shop.example"
    assert ing.spec.rules[0].http.paths[0].backend.service.name == "web"

    metrics = client.CustomObjectsApi(api)
    pm = metrics.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", NS, "pods")
    assert pm["kind"] == "PodMetricsList"
    assert pm["items"][0]["containers"][0]["usage"] == {"cpu": "153m", "memory": "204800Ki"}
    nm = metrics.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nm["items"][0]["usage"]["cpu"] == "1200m"


def test_events_in_both_shapes_and_count_bumps(fake_cluster: ServedCluster,
                                               api: client.ApiClient) -> None:
    cluster = fake_cluster.cluster
    _populate(cluster)
    pod = cluster.get("v1", "Pod", NS, "web-5d8f7c9b4-a1b2c")
    assert pod is not None
    kubelet = EventRecorder(cluster, shapes.KUBELET, host="node-1")
    text = msg.backoff_restart("web", pod["metadata"]["name"], NS, pod["metadata"]["uid"])
    for _ in range(3):
        kubelet.record(pod, "Warning", "BackOff", text, field_path="spec.containers{web}")
    scheduler = EventRecorder(cluster, shapes.SCHEDULER, series=True)
    pending = shapes.pod("web-5d8f7c9b4-zz9yx", NS, node=None, phase="Pending",
                         containers=[shapes.container("web", "ghcr.io/shop/web:1.2.0")])
    cluster.put(pending)
    why = msg.failed_scheduling(3, [(1, msg.HOST_PORT), (2, msg.INSUFFICIENT_CPU)],
                                msg.no_preemption(3, 3))
    scheduler.record(pending, "Warning", "FailedScheduling", why)
    scheduler.record(pending, "Warning", "FailedScheduling", why)

    core = client.CoreV1Api(api).list_namespaced_event(NS).items
    assert len(core) == 2
    backoff = next(e for e in core if e.reason == "BackOff")
    assert (backoff.count, backoff.type, backoff.source.component) == (3, "Warning", "kubelet")
    assert backoff.message == (f"Back-off restarting failed container web in pod "
                               f"web-5d8f7c9b4-a1b2c_shop({pod['metadata']['uid']})")
    assert backoff.involved_object.field_path == "spec.containers{web}"
    sched = next(e for e in core if e.reason == "FailedScheduling")
    assert sched.first_timestamp is None and sched.last_timestamp is None
    assert sched.count is None and sched.series.count == 2
    assert sched.reporting_component == "default-scheduler" and sched.source.component is None
    assert sched.message.startswith("0/3 nodes are available: 1 node(s) didn't have free ports")

    # Through events.k8s.io/v1 a kubelet's Event has eventTime null, as on real clusters,
    # which the client's typed model refuses (kubernetes-client/python#1826): read it raw.
    events_v1 = client.EventsV1Api(api)
    with pytest.raises(ValueError, match="eventTime"):
        events_v1.list_namespaced_event(NS)
    v1 = json.loads(events_v1.list_namespaced_event(NS, _preload_content=False).data)["items"]
    same = next(e for e in v1 if e["reason"] == "BackOff")
    assert same["metadata"]["uid"] == backoff.metadata.uid
    assert (same["note"], same["deprecatedCount"], same["regarding"]["name"]) == (
        backoff.message, 3, "web-5d8f7c9b4-a1b2c")
    assert same["eventTime"] is None and "message" not in same and "count" not in same
    sched_v1 = next(e for e in v1 if e["reason"] == "FailedScheduling")
    assert sched_v1["reportingController"] == "default-scheduler"
    assert sched_v1["series"]["count"] == 2


def test_event_api_choice(fake_clusters: MakeCluster) -> None:
    only_core, only_v1 = fake_clusters("old", events_api="core"), fake_clusters(
        "new", events_api="events.k8s.io")
    with _api(only_core) as a, _api(only_v1) as b:
        assert client.CoreV1Api(a).list_event_for_all_namespaces().items == []
        with pytest.raises(ApiException) as gone:
            client.EventsV1Api(a).list_event_for_all_namespaces()
        assert gone.value.status == 404
        assert client.EventsV1Api(b).list_event_for_all_namespaces().items == []
        with pytest.raises(ApiException) as gone:
            client.CoreV1Api(b).list_event_for_all_namespaces()
        assert gone.value.status == 404


def test_watch_resumes_from_a_resource_version(fake_cluster: ServedCluster,
                                               api: client.ApiClient) -> None:
    cluster = fake_cluster.cluster
    _populate(cluster)
    core = client.CoreV1Api(api)
    listed = core.list_namespaced_pod(NS)
    rv = listed.metadata.resource_version
    cluster.put(_pod("web-5d8f7c9b4-g5h6i"))
    cluster.delete("v1", "Pod", NS, "web-5d8f7c9b4-d3e4f")
    w = watch.Watch()
    seen = [(e["type"], e["object"].metadata.name) for e in
            w.stream(core.list_namespaced_pod, NS, resource_version=rv, timeout_seconds=1)]
    assert seen == [("ADDED", "web-5d8f7c9b4-g5h6i"), ("DELETED", "web-5d8f7c9b4-d3e4f")]
    last = w.resource_version
    cluster.update("v1", "Pod", NS, "web-5d8f7c9b4-a1b2c",
                   lambda p: p["status"]["containerStatuses"][0].update(restartCount=2))
    again = [(e["type"], e["object"].status.container_statuses[0].restart_count) for e in
             watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=last,
                                  timeout_seconds=1)]
    assert again == [("MODIFIED", 2)]
    # Without a version a watch starts with the current objects, as ADDED frames.
    fresh = [e["type"] for e in watch.Watch().stream(core.list_pod_for_all_namespaces,
                                                      timeout_seconds=1)]
    assert fresh == ["ADDED", "ADDED"]


def test_server_closes_a_watch_after_its_timeout(fake_cluster: ServedCluster,
                                                 api: client.ApiClient) -> None:
    began = time.monotonic()
    frames = list(watch.Watch().stream(client.CoreV1Api(api).list_node, resource_version="1",
                                       timeout_seconds=1))
    took = time.monotonic() - began
    assert frames == [] and 0.9 <= took < 3, took


def test_bookmarks_carry_the_current_version(fake_clusters: MakeCluster) -> None:
    served = fake_clusters("bm", bookmark_interval_s=0.2)
    _populate(served.cluster)
    with _api(served) as a:
        core = client.CoreV1Api(a)
        rv = core.list_namespaced_pod(NS).metadata.resource_version
        served.cluster.put(shapes.namespace("unrelated"))  # bumps the version, not pods
        frames = list(watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=rv,
                                           allow_watch_bookmarks=True, timeout_seconds=1))
        without = list(watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=rv,
                                            timeout_seconds=1))
    marks = [f for f in frames if f["type"] == "BOOKMARK"]
    assert len(marks) >= 3 and len(marks) == len(frames)
    assert marks[-1]["raw_object"]["metadata"]["resourceVersion"] == str(
        served.cluster.resource_version)
    assert marks[-1]["raw_object"]["kind"] == "Pod"
    assert without == []


def test_gone_as_an_error_frame_raises_after_one_retry(fake_cluster: ServedCluster,
                                                       api: client.ApiClient) -> None:
    cluster, server = fake_cluster.cluster, fake_cluster.server
    _populate(cluster)
    core = client.CoreV1Api(api)
    old = core.list_namespaced_pod(NS).metadata.resource_version
    cluster.put(_pod("web-5d8f7c9b4-j7k8l"))
    cluster.compact()
    assert server.gone_mode == "frame"
    with pytest.raises(ApiException) as gone:
        for _ in watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=old,
                                      _request_timeout=10):
            pass
    assert gone.value.status == 410
    assert "too old resource version" in gone.value.reason
    assert len(server.watches("/pods")) == 2  # the client's one retry, then the raise
    # A relist gives a version a watch can resume from.
    rv = core.list_namespaced_pod(NS).metadata.resource_version
    cluster.put(_pod("web-5d8f7c9b4-m9n0p"))
    seen = [e["object"].metadata.name for e in watch.Watch().stream(
        core.list_namespaced_pod, NS, resource_version=rv, timeout_seconds=1)]
    assert seen == ["web-5d8f7c9b4-m9n0p"]


def test_gone_as_an_http_status(fake_cluster: ServedCluster, api: client.ApiClient) -> None:
    cluster, server = fake_cluster.cluster, fake_cluster.server
    _populate(cluster)
    core = client.CoreV1Api(api)
    old = core.list_pod_for_all_namespaces().metadata.resource_version
    cluster.put(_pod("web-5d8f7c9b4-q1r2s"))
    cluster.compact()
    server.gone_mode = "status"
    with pytest.raises(ApiException) as gone:
        next(iter(watch.Watch().stream(core.list_pod_for_all_namespaces, resource_version=old,
                                       _request_timeout=10)))
    assert gone.value.status == 410
    assert json.loads(gone.value.body)["reason"] == "Expired"
    assert len(server.watches()) == 1


def test_paging_with_limit_and_continue(fake_cluster: ServedCluster,
                                        api: client.ApiClient) -> None:
    cluster = fake_cluster.cluster
    for i in range(7):
        cluster.put(_pod(f"web-{i:02d}"))
    core = client.CoreV1Api(api)
    names, token, versions = [], None, set()
    while True:
        page = core.list_pod_for_all_namespaces(limit=3, _continue=token)
        names += [p.metadata.name for p in page.items]
        versions.add(page.metadata.resource_version)
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(names)
        cluster.put(_pod(f"web-late-{len(names)}"))  # a write between pages
    assert names == [f"web-{i:02d}" for i in range(7)]  # one snapshot: no late pods
    assert len(versions) == 1  # every page reports the first page's version
    first = core.list_pod_for_all_namespaces(limit=2)
    cluster.put(_pod("web-after-first-page"))
    cluster.compact()  # etcd compacted past the first page's version
    with pytest.raises(ApiException) as gone:
        core.list_pod_for_all_namespaces(limit=2, _continue=first.metadata._continue)
    assert gone.value.status == 410


def _watch_in_thread(core: client.CoreV1Api, rv: str,
                     out: queue.Queue[tuple[str, str]]) -> threading.Thread:
    def run() -> None:
        try:
            for e in watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=rv,
                                          timeout_seconds=30, _request_timeout=30):
                out.put((e["type"], e["object"].metadata.name))
            out.put(("END", ""))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            out.put(("CUT", type(exc).__name__))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_dropped_watches_are_cut_and_resume(fake_cluster: ServedCluster,
                                            api: client.ApiClient) -> None:
    cluster, server = fake_cluster.cluster, fake_cluster.server
    _populate(cluster)
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_pod(NS).metadata.resource_version
    out: queue.Queue[tuple[str, str]] = queue.Queue()
    thread = _watch_in_thread(core, rv, out)
    cluster.put(_pod("web-before-drop"))
    assert out.get(timeout=5) == ("ADDED", "web-before-drop")
    server.drop_watches()
    kind, _ = out.get(timeout=5)
    assert kind in ("CUT", "END")  # an abrupt close: no chunked terminator
    thread.join(5)
    assert kind == "CUT"
    after = cluster.get("v1", "Pod", NS, "web-before-drop")
    assert after is not None
    cluster.put(_pod("web-after-drop"))
    seen = [e["object"].metadata.name for e in watch.Watch().stream(
        core.list_namespaced_pod, NS, resource_version=after["metadata"]["resourceVersion"],
        timeout_seconds=1)]
    assert seen == ["web-after-drop"]


def test_silenced_watches_stay_open_and_send_nothing(fake_clusters: MakeCluster) -> None:
    served = fake_clusters("quiet", bookmark_interval_s=0.1)
    cluster, server = served.cluster, served.server
    _populate(cluster)
    with _api(served) as a:
        core = client.CoreV1Api(a)
        rv = core.list_namespaced_pod(NS).metadata.resource_version
        out: queue.Queue[tuple[str, str]] = queue.Queue()
        server.silence(True)
        thread = _watch_in_thread(core, rv, out)
        cluster.put(_pod("web-during-silence"))
        with pytest.raises(queue.Empty):
            out.get(timeout=1.5)
        server.silence(False)
        assert out.get(timeout=5) == ("ADDED", "web-during-silence")
        server.drop_watches()
        thread.join(5)
        assert not thread.is_alive()


def test_unreachable_refuses_then_serves_on_the_same_port(fake_cluster: ServedCluster,
                                                          api: client.ApiClient) -> None:
    server = fake_cluster.server
    core = client.CoreV1Api(api)
    port = server.port
    core.list_node()
    server.unreachable(True)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        core.list_node(_request_timeout=2)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=2)
    server.unreachable(False)
    assert server.port == port
    assert core.list_node().items == []


def test_unknown_paths_get_a_404_status(fake_cluster: ServedCluster) -> None:
    for path in ("/api/v1/secrets", "/apis/batch/v1/jobs", "/healthz/x", "/apis/apps/v2",
                 "/api/v1/namespaces/shop/pods/missing"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(fake_cluster.url + path, timeout=5)
        body = json.loads(err.value.read())
        assert (err.value.code, body["kind"], body["code"], body["reason"]) == (
            404, "Status", 404, "NotFound"), path
    assert body["message"] == 'pods "missing" not found'


def test_request_log_tells_lists_from_watches(fake_cluster: ServedCluster,
                                              api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.list_node()
    core.list_node()
    list(watch.Watch().stream(core.list_node, timeout_seconds=1))
    server = fake_cluster.server
    assert len(server.lists("/api/v1/nodes")) == 2
    assert [w.query.get("timeoutSeconds") for w in server.watches("/api/v1/nodes")] == ["1"]


def test_public_api() -> None:
    import bongsu.simulate.kube
    import bongsu.simulate.kube.scenario

    assert bongsu.simulate.kube.__all__ == [
        "ApiServer", "Change", "EventRecorder", "FakeCluster", "GoneMode", "RequestLine",
        "UnknownKind", "core_from_events_v1", "events_v1_from_core"]
    assert bongsu.simulate.kube.scenario.__all__ == [
        "HaproxyRouter", "KubeSimulation", "MetricsEndpoint", "NginxIngress", "Served",
        "ShopCluster"]
    assert all(hasattr(shapes, name) for name in shapes.__all__)


def test_recorder_bumps_within_ten_minutes_and_expires_after_an_hour() -> None:
    cluster = FakeCluster("clock")
    now = [1_000_000.0]
    kubelet = EventRecorder(cluster, shapes.KUBELET, host="node-1", clock=lambda: now[0])
    node = shapes.node("node-1", boot_id="b1")
    ref = shapes.node_ref("node-1")
    first = kubelet.record(node, "Warning", "Rebooted", msg.rebooted("node-1", "b1"), ref=ref)
    now[0] += 599
    again = kubelet.record(node, "Warning", "Rebooted", msg.rebooted("node-1", "b1"), ref=ref)
    assert again["metadata"]["uid"] == first["metadata"]["uid"] and again["count"] == 2
    assert again["lastTimestamp"] == shapes.iso(now[0]) != again["firstTimestamp"]
    now[0] += 601  # past the window: a new Event
    other = kubelet.record(node, "Warning", "Rebooted", msg.rebooted("node-1", "b1"), ref=ref)
    assert other["metadata"]["name"] != first["metadata"]["name"] and other["count"] == 1
    now[0] += 3000  # the first Event was last updated 3601 s ago, the second 3000 s ago
    assert kubelet.expire() == 1
    assert [e["metadata"]["name"] for e in cluster.list_all("v1", "Event")] == [
        other["metadata"]["name"]]


def test_legacy_discovery_for_clients_without_aggregated_discovery(
        fake_cluster: ServedCluster) -> None:
    def get(path: str, accept: str = "application/json") -> tuple[str, dict[str, Any]]:
        request = urllib.request.Request(fake_cluster.url + path, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.headers["Content-Type"], json.loads(response.read())

    _, versions = get("/api")
    assert versions["kind"] == "APIVersions" and versions["versions"] == ["v1"]
    _, groups = get("/apis")
    by_name = {g["name"]: g["preferredVersion"]["groupVersion"] for g in groups["groups"]}
    assert by_name == {"apps": "apps/v1", "autoscaling": "autoscaling/v2",
                       "networking.k8s.io": "networking.k8s.io/v1",
                       "events.k8s.io": "events.k8s.io/v1",
                       "metrics.k8s.io": "metrics.k8s.io/v1beta1"}
    _, apps = get("/apis/apps/v1")
    deploy = next(r for r in apps["resources"] if r["name"] == "deployments")
    assert (deploy["kind"], deploy["namespaced"], deploy["shortNames"]) == (
        "Deployment", True, ["deploy"])
    assert "watch" in deploy["verbs"]
    _, metrics = get("/apis/metrics.k8s.io/v1beta1")
    assert {r["name"]: r["verbs"] for r in metrics["resources"]} == {
        "pods": ["get", "list"], "nodes": ["get", "list"]}
    kind, aggregated = get("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;"
                                    "as=APIGroupDiscoveryList,application/json")
    assert "as=APIGroupDiscoveryList" in kind
    assert aggregated["kind"] == "APIGroupDiscoveryList"
    assert {i["metadata"]["name"] for i in aggregated["items"]} == set(by_name)
    _, version = get("/version")
    assert version["gitVersion"].startswith("v1.")


def test_a_count_bump_is_a_modified_frame_of_the_same_event(fake_cluster: ServedCluster,
                                                            api: client.ApiClient) -> None:
    cluster = fake_cluster.cluster
    _populate(cluster)
    pod = cluster.get("v1", "Pod", NS, "web-5d8f7c9b4-d3e4f")
    assert pod is not None
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_event(NS).metadata.resource_version
    kubelet = EventRecorder(cluster, shapes.KUBELET, host="node-1")
    text = msg.backoff_pull("ghcr.io/shop/web:1.3.0-missing")
    for _ in range(3):
        kubelet.record(pod, "Normal", "BackOff", text, field_path="spec.containers{web}")
    frames = [(e["type"], e["raw_object"]["metadata"]["uid"], e["raw_object"]["count"],
               e["raw_object"]["lastTimestamp"]) for e in watch.Watch().stream(
                   core.list_namespaced_event, NS, resource_version=rv, timeout_seconds=1)]
    assert [f[0] for f in frames] == ["ADDED", "MODIFIED", "MODIFIED"]
    assert len({f[1] for f in frames}) == 1 and [f[2] for f in frames] == [1, 2, 3]
