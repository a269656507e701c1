"""``bongsu simulate --kube``'s clusters: two hours of the shop's life, read as a client reads them.

The generator runs two simulated hours (in seconds of real time) with the clusters as its
observer; then the official client lists both API servers and the edge endpoints are
parsed with prometheus_client's own parser. Expected figures come from what the generator
reported (a counting observer beside the clusters), not from the simulation's internals.
"""

from __future__ import annotations

import collections
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from prometheus_client.parser import text_string_to_metric_families

from bongsu.simulate import generate
from bongsu.simulate._topology import SITES, Instance
from bongsu.simulate.kube.scenario import KubeSimulation

START_NS = 1_767_222_000 * 10**9  # a multiple of every schedule's period (18,000 s)
HOURS = 2
SEED = 11


@dataclass
class Counting:
    """An observer beside the clusters: what the generator reported, per cluster."""

    kube: KubeSimulation
    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    statuses: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    ooms: list[tuple[int, str]] = field(default_factory=list)
    pods: dict[str, set[str]] = field(default_factory=lambda: collections.defaultdict(set))
    last_rss: dict[str, int] = field(default_factory=dict)

    def second(self, t_ns: int) -> None:
        self.kube.second(t_ns)

    def served(self, t_ns: int, instance: Instance, method: str, route: str, status: int,
               duration_ns: int) -> None:
        self.requests[instance.site.name] += 1
        self.statuses[(instance.site.name, f"{status // 100}xx")] += 1
        self.kube.served(t_ns, instance, method, route, status, duration_ns)

    def process(self, t_ns: int, instance: Instance, cpu: float, rss: int) -> None:
        self.last_rss[instance.pod] = rss
        self.kube.process(t_ns, instance, cpu, rss)

    def oom_killed(self, t_ns: int, instance: Instance) -> None:
        self.ooms.append((t_ns, instance.pod))
        self.kube.oom_killed(t_ns, instance)


@dataclass
class Run:
    kube: KubeSimulation
    seen: Counting
    telemetry_pods: dict[str, set[str]]  # cluster → k8s.pod.name of the last metric exports


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    kube = KubeSimulation(SEED, tmp_path_factory.mktemp("kube"), start_ns=START_NS).start()
    seen = Counting(kube)
    last: dict[str, set[str]] = collections.defaultdict(set)
    end = START_NS + HOURS * 3600 * 10**9
    try:
        for export in generate(SEED, START_NS, HOURS * 3600, rate=1.5, observer=seen):
            if export.kind == "metrics" and export.at_ns >= end - 10 * 10**9:
                for rm in ExportMetricsServiceRequest.FromString(export.body).resource_metrics:
                    attrs = {kv.key: kv.value.string_value for kv in rm.resource.attributes}
                    if "k8s.pod.name" not in attrs:
                        continue  # a node's host metrics, not a pod's
                    last[attrs["k8s.cluster.name"]].add(attrs["k8s.pod.name"])
        yield Run(kube, seen, last)
    finally:
        kube.stop()


def _api(run: Run, cluster: str) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(run.kube.clusters[cluster].kubeconfig))


def _events(api: client.ApiClient) -> list[Any]:
    return client.CoreV1Api(api).list_event_for_all_namespaces().items


def test_files_and_labels(world: Run) -> None:
    directory = world.kube.directory
    for site in SITES:
        assert (directory / f"{site.name}.kubeconfig").is_file()
        url = (directory / f"{site.name}.ingress").read_text().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
        assert world.kube.clusters[site.name].label == site.label
    assert {s.label for s in SITES} == {"private", "public"}


def test_shop_pods_are_the_telemetrys_pods(world: Run) -> None:
    for site in SITES:
        with _api(world, site.name) as api:
            pods = client.CoreV1Api(api).list_namespaced_pod("shop").items
            listed = {p.metadata.name for p in pods if p.metadata.labels.get(
                "app.kubernetes.io/part-of") == "shop"}
            assert world.telemetry_pods[site.name] == listed, site.name
            for pod in pods:
                if pod.metadata.name not in listed:
                    continue
                owner = pod.metadata.owner_references[0]
                assert owner.kind == "ReplicaSet" and pod.metadata.name.startswith(owner.name)
                c = pod.spec.containers[0]
                assert c.resources.requests["cpu"] and c.resources.limits["memory"]
                assert pod.spec.node_name in site.nodes
            metrics = client.CustomObjectsApi(api).list_namespaced_custom_object(
                "metrics.k8s.io", "v1beta1", "shop", "pods")["items"]
            with_metrics = {m["metadata"]["name"] for m in metrics}
            running = {p.metadata.name for p in pods if p.status.phase == "Running"
                       and all(s.state.running for s in p.status.container_statuses)}
            assert running <= with_metrics, running - with_metrics
            for m in metrics:
                usage = m["containers"][0]["usage"]
                assert usage["cpu"].endswith(("n", "m")) and usage["memory"].endswith("Ki")


def test_load_balancer_splits_30_70_and_the_edges_count_it(world: Run) -> None:
    total = sum(world.seen.requests.values())
    private = world.seen.requests["onprem-seoul"] / total
    assert total > 5000 and 0.27 < private < 0.33, (total, private)
    nginx = _scrape(world, "aws-apne2")
    sent = sum(v for n, labels, v in nginx if n == "nginx_ingress_controller_requests_total")
    assert sent == world.seen.requests["aws-apne2"]
    count = sum(v for n, labels, v in nginx
                if n == "nginx_ingress_controller_request_duration_seconds_count")
    assert count == sent
    errors = sum(v for n, labels, v in nginx if n == "nginx_ingress_controller_requests_total"
                 and labels["status"].startswith("5"))
    assert errors == world.seen.statuses[("aws-apne2", "5xx")] > 0
    haproxy = _scrape(world, "onprem-seoul")
    by_code = {labels["code"]: v for n, labels, v in haproxy
               if n == "haproxy_backend_http_responses_total"}
    assert by_code["2xx"] == world.seen.statuses[("onprem-seoul", "2xx")]
    assert sum(by_code.values()) == world.seen.requests["onprem-seoul"]
    latency = [v for n, _, v in haproxy
               if n == "haproxy_backend_http_average_response_latency_milliseconds"]
    assert len(latency) == 1 and 5 < latency[0] < 2000


def _scrape(world: Run, cluster: str) -> list[tuple[str, dict[str, str], float]]:
    url = (world.kube.directory / f"{cluster}.ingress").read_text().strip()
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def test_hpa_scales_frontend_out_and_in(world: Run) -> None:
    with _api(world, "aws-apne2") as api:
        hpa = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler(
            "frontend", "shop")
        events = _events(api)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (2, 5)
    assert hpa.spec.metrics[0].resource.target.average_utilization == 70
    assert hpa.status.current_metrics[0].resource.current.average_utilization > 0
    assert hpa.status.last_scale_time is not None
    rescales = [e.message for e in events if e.reason == "SuccessfulRescale"]
    assert any("above target" in m for m in rescales)
    assert any(m.endswith("reason: All metrics below target") for m in rescales)
    assert any(m.startswith("New size: 5;") for m in rescales)
    scaled = [e.message for e in events if e.reason == "ScalingReplicaSet"
              and e.involved_object.name == "frontend"]
    assert any(m.startswith("Scaled up replica set frontend-") for m in scaled)
    assert any(m.startswith("Scaled down replica set frontend-") for m in scaled)


def test_crash_loop(world: Run) -> None:
    with _api(world, "aws-apne2") as api:
        pods = client.CoreV1Api(api).list_namespaced_pod(
            "shop", label_selector="app=recommendations").items
        events = _events(api)
    (pod,) = pods
    status = pod.status.container_statuses[0]
    assert status.restart_count >= 20
    term = status.last_state.terminated
    assert (term.reason, term.exit_code) == ("Error", 1) and term.container_id
    backoff = [e for e in events if e.reason == "BackOff"
               and e.involved_object.name == pod.metadata.name]
    assert len(backoff) == 1 and backoff[0].type == "Warning"
    assert backoff[0].count > 100  # one Event, bumped every 15 s
    assert backoff[0].message.startswith(
        f"Back-off restarting failed container recommendations in pod {pod.metadata.name}_shop(")


def test_oom_killed_in_the_pod_status_not_in_an_event(world: Run) -> None:
    assert world.seen.ooms, "the leaking pod was never OOM-killed"
    _, pod_name = world.seen.ooms[-1]
    with _api(world, "onprem-seoul") as api:
        pod = client.CoreV1Api(api).read_namespaced_pod(pod_name, "shop")
        events = _events(api)
        usage = client.CustomObjectsApi(api).get_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", "shop", "pods", pod_name)
    status = pod.status.container_statuses[0]
    assert status.restart_count == len(world.seen.ooms)
    term = status.last_state.terminated
    assert (term.reason, term.exit_code) == ("OOMKilled", 137)
    assert pod.spec.containers[0].resources.limits["memory"] == "256Mi"
    memory_ki = int(usage["containers"][0]["usage"]["memory"].removesuffix("Ki"))
    assert memory_ki * 1024 < 256 * 2**20
    assert abs(memory_ki * 1024 - world.seen.last_rss[pod_name]) < 1024
    assert not [e for e in events if "OOM" in e.reason]


def test_image_pull_failure(world: Run) -> None:
    with _api(world, "aws-apne2") as api:
        (pod,) = client.CoreV1Api(api).list_namespaced_pod(
            "shop", label_selector="app=fraud-model").items
        events = [e for e in _events(api) if e.involved_object.name == pod.metadata.name]
    waiting = pod.status.container_statuses[0].state.waiting
    assert waiting.reason in ("ErrImagePull", "ImagePullBackOff")
    messages = {(e.type, e.reason, e.message) for e in events}
    image = "ghcr.io/shop/fraud-model:2.0.0-rc1"
    assert ("Warning", "Failed", "Error: ErrImagePull") in messages
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in messages
    assert ("Normal", "BackOff", f'Back-off pulling image "{image}"') in messages
    assert any(m.startswith(f'Failed to pull image "{image}": rpc error: code = NotFound')
               for _, _, m in messages)


def test_eviction(world: Run) -> None:
    with _api(world, "onprem-seoul") as api:
        pods = client.CoreV1Api(api).list_namespaced_pod(
            "shop", label_selector="app=report-batch").items
        events = _events(api)
    evicted = [p for p in pods if p.status.reason == "Evicted"]
    assert evicted and all(p.status.phase == "Failed" for p in evicted)
    assert evicted[0].status.message.startswith("The node was low on resource: memory.")
    assert [p for p in pods if p.status.phase == "Running"]  # its replacement
    assert any(e.reason == "Evicted" and e.type == "Warning" for e in events)


def test_unschedulable_pods_and_stuck_volumes(world: Run) -> None:
    with _api(world, "aws-apne2") as public, _api(world, "onprem-seoul") as private:
        public_events, private_events = _events(public), _events(private)
    cpu = next(e for e in public_events if e.reason == "FailedScheduling")
    assert cpu.message.startswith("0/3 nodes are available: 3 Insufficient cpu.")
    assert cpu.first_timestamp is None and cpu.series.count > 50
    assert cpu.reporting_component == "default-scheduler"
    port = next(e for e in private_events if e.reason == "FailedScheduling")
    assert "1 node(s) didn't have free ports for the requested pod ports" in port.message
    assert any(e.reason == "FailedAttachVolume" for e in public_events)
    mount = next(e for e in private_events if e.reason == "FailedMount")
    assert mount.message.startswith('MountVolume.SetUp failed for volume "credentials"')
    assert mount.count > 10


def test_node_not_ready_and_rebooted(world: Run) -> None:
    node_name = SITES[0].nodes[-1]
    with _api(world, "onprem-seoul") as api:
        events = _events(api)
        node = client.CoreV1Api(api).read_node(node_name)
    reasons = {(e.reason, e.involved_object.kind) for e in events}
    assert {("NodeNotReady", "Node"), ("NodeNotReady", "Pod"), ("NodeReady", "Node"),
            ("Rebooted", "Node")} <= reasons
    rebooted = next(e for e in events if e.reason == "Rebooted")
    assert rebooted.involved_object.uid == node_name
    boot = node.status.node_info.boot_id
    assert rebooted.message == f"Node {node_name} has been rebooted, boot id: {boot}"
    not_ready = next(e for e in events if e.reason == "NodeNotReady"
                     and e.involved_object.kind == "Node")
    assert not_ready.type == "Normal"


def test_rollout_makes_a_new_replicaset(world: Run) -> None:
    with _api(world, "aws-apne2") as api:
        apps = client.AppsV1Api(api)
        dep = apps.read_namespaced_deployment("ingress-nginx-controller", "ingress-nginx")
        sets = apps.list_namespaced_replica_set("ingress-nginx").items
        events = _events(api)
    assert int(dep.metadata.annotations["deployment.kubernetes.io/revision"]) >= 3
    images = {rs.spec.template.spec.containers[0].image for rs in sets}
    assert len(sets) == 2 and len(images) == 2
    assert sorted(rs.spec.replicas for rs in sets) == [0, 1]
    current = dep.spec.template.spec.containers[0].image
    assert [rs.spec.template.spec.containers[0].image for rs in sets if rs.spec.replicas] == [
        current]
    assert any(e.reason == "ScalingReplicaSet" and e.involved_object.name ==
               "ingress-nginx-controller" for e in events)


def test_kubernetes_only_workloads(world: Run) -> None:
    for site in SITES:
        with _api(world, site.name) as api:
            names = {p.metadata.name for p in
                     client.CoreV1Api(api).list_pod_for_all_namespaces().items}
            sets = client.AppsV1Api(api).list_stateful_set_for_all_namespaces().items
            daemons = client.AppsV1Api(api).list_daemon_set_for_all_namespaces().items
        assert any(n.startswith("coredns-") for n in names)
        assert "redis-master-0" in names
        assert "redis-master" in {s.metadata.name for s in sets}
        assert [d.metadata.name for d in daemons] == ["node-exporter"]
        edge = "ingress-nginx-controller-" if site.label == "public" else "router-default-"
        assert any(n.startswith(edge) for n in names)


def test_private_cluster_serves_core_events_only(world: Run) -> None:
    url = world.kube.clusters["onprem-seoul"].server.url
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{url}/apis/events.k8s.io/v1/events", timeout=5)
    assert err.value.code == 404
    public = world.kube.clusters["aws-apne2"].server.url
    body = json.loads(urllib.request.urlopen(f"{public}/apis/events.k8s.io/v1/events",
                                             timeout=5).read())
    assert body["items"] and all("regarding" in e for e in body["items"])


def test_every_kubeconfig_names_its_cluster(world: Run) -> None:
    for site in SITES:
        text = Path(world.kube.clusters[site.name].kubeconfig).read_text()
        assert f"current-context: {site.name}" in text
