"""Object state from real-shaped objects, and the episodes their changes show."""

from __future__ import annotations

import calendar
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings

from bongsu.kube.events import normalise
from bongsu.kube.explain import episode_key
from bongsu.kube.explain.text import SUMMARY_LIMIT
from bongsu.kube.model import Finding, episode_id
from bongsu.kube.quantity import format_bytes, format_cores, parse_quantity
from bongsu.kube.status import (
    hpa_findings,
    hpa_state,
    ingress_routes,
    node_findings,
    node_state,
    pod_findings,
    pod_state,
    workload_findings,
    workload_state,
)
from kube.shapes import load
from kube.shapes.fuzz import mutated_objects

MiB = 2**20


def us(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return calendar.timegm(moment.timetuple()) * 1_000_000 + moment.microsecond


def pod(name: str) -> tuple[Any, dict[str, Any]]:
    obj = load("pods", name)
    return pod_state("private", obj), obj


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.explained.summary for f in findings]
    return findings[0]


@pytest.mark.parametrize(("text", "value"), [
    ("100m", 0.1), ("1", 1.0), ("2.5", 2.5), ("256Mi", 256 * MiB), ("1Gi", 2**30),
    ("123456Ki", 123456 * 1024), ("12345678n", 0.012345678), ("1e3", 1000.0),
    ("500u", 0.0005), ("1E3", 1000.0), ("1E", 1e18), ("1.5Gi", 1.5 * 2**30), ("3k", 3000.0),
    ("64M", 64e6), (".5", 0.5), (2, 2.0), (0.25, 0.25),
])
def test_quantities(text: object, value: float) -> None:
    parsed = parse_quantity(text)
    assert parsed is not None and parsed == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["", "abc", "1Zi", "Mi", "1 Mi", None, True, [], "1e99999", "--1"])
def test_bad_quantities_are_none(text: object) -> None:
    assert parse_quantity(text) is None


def test_quantity_text() -> None:
    assert format_bytes(256 * MiB) == "256 MiB"
    assert format_bytes(1.5 * 2**30) == "1.5 GiB"
    assert format_cores(0.25) == "250m" and format_cores(2.0) == "2"


def test_pod_state() -> None:
    state, _ = pod("running")
    assert (state.namespace, state.name, state.node, state.phase, state.ready) == (
        "shop", "orders-7d9f8c6b5-x2kq4", "worker-2", "Running", True)
    assert (state.workload_kind, state.workload) == ("Deployment", "orders")
    assert state.started_us == us("2026-12-01T10:00:01")
    [c] = state.containers
    assert (c.name, c.image, c.ready, c.restarts, c.state) == (
        "orders", "shop/orders:1.8.3", True, 0, "running")
    assert (c.cpu_request, c.cpu_limit, c.memory_request, c.memory_limit) == (
        0.25, 1.0, 128 * MiB, 256 * MiB)
    assert c.last_termination is None


def test_crash_looping_pod_state() -> None:
    state, _ = pod("crashloop_oom")
    [c] = state.containers
    assert (c.state, c.waiting_reason, c.restarts, c.ready) == (
        "waiting", "CrashLoopBackOff", 12, False)
    t = c.last_termination
    assert t is not None
    assert (t.reason, t.exit_code, t.finished_us) == ("OOMKilled", 137, us("2026-12-01T10:42:05"))
    # The id of the container that died, not of the one waiting to start.
    assert t.container_id.startswith("containerd://5d4c3b2a")


def test_oom_kill_finding() -> None:
    state, obj = pod("crashloop_oom")
    f = one(pod_findings(None, state, obj))
    assert (f.explained.kind, f.explained.severity) == ("oom_killed", "critical")
    assert (f.explained.pod, f.explained.container, f.explained.node) == (
        "orders-7d9f8c6b5-x2kq4", "orders", "worker-2")
    assert f.at_us == us("2026-12-01T10:42:05")
    assert f.key.reason == "OOMKilled" and f.key.object_kind == "Pod"
    assert "containerd://5d4c3b2a" in f.key.discriminator
    assert str(us("2026-12-01T10:42:05")) in f.key.discriminator
    summary = f.explained.summary
    for word in ("orders-7d9f8c6b5-x2kq4 container orders OOM-killed at 10:42:05 UTC",
                 "worker-2", "limit 256 MiB", "restarted 12 times", "crash-looping"):
        assert word in summary, (word, summary)
    assert json.loads(f.raw)["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_termination_findings_are_stable_across_sightings() -> None:
    state, obj = pod("crashloop_oom")
    first = pod_findings(None, state, obj)
    # A relist or a watcher restart sees the pod again with no previous state.
    again_state, again_obj = pod("crashloop_oom")
    assert pod_findings(None, again_state, again_obj) == first
    # A MODIFIED frame with the same termination gives nothing new.
    assert pod_findings(state, again_state, again_obj) == []
    # The next restart is a new episode, with its own key and time.
    after, after_obj = pod("crashloop_oom_next")
    nxt = one(pod_findings(state, after, after_obj))
    assert nxt.key != first[0].key and nxt.at_us == us("2026-12-01T10:47:41")
    assert "restarted 13 times" in nxt.explained.summary


def test_exit_137_with_error_is_not_an_oom_kill() -> None:
    state, obj = pod("error_137")
    f = one(pod_findings(None, state, obj))
    assert (f.explained.kind, f.explained.severity) == ("container_restart", "warning")
    assert "OOM" not in f.explained.summary
    for word in ("cart-7e8f9a0b1-r5s6t container cart exited at 10:36:11 UTC on worker-1",
                 "Error, exit 137 (SIGKILL)", "restarted 1 time"):
        assert word in f.explained.summary, (word, f.explained.summary)
    assert f.key.reason == "Error"


def test_termination_message_is_kept() -> None:
    state, obj = pod("error_exit1")
    f = one(pod_findings(None, state, obj))
    assert "Error, exit 1" in f.explained.summary and "SIG" not in f.explained.summary
    assert "connect: connection refused" in f.message


def test_completed_job_is_not_a_restart() -> None:
    state, obj = pod("job_completed")
    assert (state.workload_kind, state.workload) == ("Job", "nightly-report-29118240")
    assert [c.name for c in state.containers] == ["report"]  # the finished init container left out
    assert pod_findings(None, state, obj) == []


def test_readiness_changes() -> None:
    running, running_obj = pod("running")
    looping, looping_obj = pod("crashloop_oom")
    assert pod_findings(None, running, running_obj) == []  # no change seen on first sight
    findings = pod_findings(running, looping, looping_obj)
    readiness = [f for f in findings if f.explained.kind == "readiness"]
    f = one(readiness)
    assert f.explained.severity == "warning" and f.at_us == us("2026-12-01T10:42:05")
    assert "pod orders-7d9f8c6b5-x2kq4 is not ready on worker-2" in f.explained.summary
    assert "container orders not ready" in f.explained.summary
    back = [f for f in pod_findings(looping, running, running_obj)
            if f.explained.kind == "readiness"]
    assert one(back).explained.severity == "info" and one(back).key != f.key
    # An old pod of a rolling update going not-ready while it is deleted is no episode.
    deleting_obj = load("pods", "crashloop_oom")
    deleting_obj["metadata"]["deletionTimestamp"] = "2026-12-01T10:42:00Z"
    deleting = pod_state("private", deleting_obj)
    assert [f.explained.kind for f in pod_findings(running, deleting, deleting_obj)] == [
        "oom_killed"]


def test_node_state() -> None:
    obj = load("nodes", "ready")
    state = node_state("private", obj)
    assert (state.name, state.ready, state.boot_id) == (
        "worker-3", True, "7b2e9c41-3a5d-4f8e-b0c6-1d9a4e7f2c83")
    assert state.cpu_capacity == 2.0 and state.memory_capacity == 7927212 * 1024
    assert state.labels["topology.kubernetes.io/zone"] == "eu-west-1b"


def test_node_ready_transitions() -> None:
    ready_obj, down_obj, back_obj = (load("nodes", n) for n in ("ready", "not_ready", "rebooted"))
    ready, down, back = (node_state("c", o) for o in (ready_obj, down_obj, back_obj))
    assert node_findings(None, ready, ready_obj) == []
    assert node_findings(ready, ready, ready_obj) == []
    f = one(node_findings(ready, down, down_obj))
    assert (f.explained.kind, f.explained.severity, f.explained.node) == (
        "node_not_ready", "critical", "worker-3")
    assert f.explained.summary \
        == "node worker-3 is not ready (Ready Unknown): Kubelet stopped posting node status."
    assert f.at_us == us("2026-12-01T10:44:31")
    # The same episode as the node controller's NodeNotReady event (type Normal).
    ev = normalise("c", load("events", "node_not_ready_node"))
    assert ev is not None and (f.key, f.at_us) == (episode_key(ev), ev.first_seen_us)
    # First sight of a node that is down: the same episode (same key and time).
    assert node_findings(None, down, down_obj) == [f]
    found = {x.explained.kind: x for x in node_findings(down, back, back_obj)}
    # The new boot id is the kubelet's Rebooted event's to report (tests/kube/test_explain.py).
    assert back.boot_id != down.boot_id and set(found) == {"node_ready"}
    assert found["node_ready"].explained.severity == "info"
    assert found["node_ready"].at_us == us("2026-12-01T10:51:02")
    ev = normalise("c", load("events", "node_ready"))  # the kubelet's, as it came back
    assert ev is not None
    assert (found["node_ready"].key, found["node_ready"].at_us) == (episode_key(ev),
                                                                      ev.first_seen_us)


def hpa(name: str) -> tuple[Any, dict[str, Any]]:
    obj = load("hpas", name)
    return hpa_state("public", obj), obj


def test_hpa_state() -> None:
    state, _ = hpa("frontend_5")
    assert (state.target_kind, state.target_name, state.min_replicas, state.max_replicas) == (
        "Deployment", "frontend", 2, 10)
    assert (state.current, state.desired) == (3, 5)
    assert state.metrics == ["cpu 92% / 70%", "memory 240 MiB / 400 MiB"]
    legacy, _ = hpa("legacy_v1")
    assert legacy.metrics == ["cpu 41% / 60%"] and legacy.max_replicas == 4


def test_hpa_scale_out_from_to() -> None:
    before, _ = hpa("frontend_3")
    after, obj = hpa("frontend_5")
    assert hpa_findings(None, after, obj) == []  # no "from" without a previous state
    f = one(hpa_findings(before, after, obj))
    assert (f.explained.kind, f.explained.severity) == ("hpa_scale_out", "info")
    assert f.explained.summary == "frontend HPA scaled out 3 → 5: cpu 92% of request, target 70%"
    assert f.at_us == us("2026-12-01T10:45:00")
    # The same episode as the controller's SuccessfulRescale event of that scale.
    ev = normalise("public", load("events", "rescale_out"))
    assert ev is not None and ev.first_seen_us == f.at_us
    assert f.key == episode_key(ev)
    assert episode_id("t", f.key, f.at_us) == episode_id("t", episode_key(ev), ev.first_seen_us)
    assert hpa_findings(after, after, obj) == []


def test_hpa_capped_and_scale_in() -> None:
    five, _ = hpa("frontend_5")
    ten, ten_obj = hpa("frontend_10_capped")
    capped = one(hpa_findings(five, ten, ten_obj)).explained.summary
    assert capped == ("frontend HPA scaled out 5 → 10: cpu 180% of request, target 70% "
                      "(capped at max 10)")
    three, three_obj = hpa("frontend_3_again")
    f = one(hpa_findings(ten, three, three_obj))
    assert f.explained.kind == "hpa_scale_in"
    # Below every target, the metric closest to its target is the one holding the size.
    assert f.explained.summary == ("frontend HPA scaled in 10 → 3: memory 240 MiB per pod, "
                                   "target 400 MiB")


def workload(name: str) -> tuple[Any, dict[str, Any]]:
    obj = load("workloads", name)
    return workload_state("private", obj), obj


def test_workload_states() -> None:
    deployment, _ = workload("deployment_183")
    assert (deployment.kind, deployment.desired, deployment.ready, deployment.available) == (
        "Deployment", 3, 3, 3)
    assert deployment.images == ["shop/orders:1.8.3"] and deployment.revision == "7"
    replica_set, _ = workload("replicaset")
    assert (replica_set.owner, replica_set.desired, replica_set.ready) == ("orders", 1, 0)
    stateful, _ = workload("statefulset")
    assert stateful.revision == "orders-db-6d5f8c9b7" and stateful.images == ["postgres:16.4"]
    daemon, _ = workload("daemonset")
    assert (daemon.desired, daemon.ready, daemon.available) == (3, 2, 2)


def test_rollout_finding() -> None:
    before, _ = workload("deployment_182")
    applied, applied_obj = workload("deployment_183_applied")
    after, obj = workload("deployment_183")
    assert workload_findings(None, after, obj) == []
    # The frame of the spec write: the image changed, the controller has not acted yet.
    f = one(workload_findings(before, applied, applied_obj))
    assert (f.explained.kind, f.explained.severity) == ("rollout", "info")
    assert f.explained.summary == ("deployment orders rolled out image shop/orders:1.8.3 "
                                   "(was 1.8.2), revision 7")
    assert f.at_us == us("2026-12-01T10:20:31")  # kubectl's write of the template
    # The controller's write that follows (revision 7, new status) is not a second rollout.
    assert workload_findings(applied, after, obj) == []
    assert workload_findings(after, after, obj) == []
    # A watcher that missed the spec frame (a relist in between) makes the same episode.
    missed = one(workload_findings(before, after, obj))
    assert (missed.key, missed.at_us, missed.explained.summary) == (
        f.key, f.at_us, f.explained.summary)


def test_template_change_without_image_change_is_left_to_the_events() -> None:
    before, _ = workload("deployment_183")
    obj = load("workloads", "deployment_183")
    obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "8"
    assert workload_findings(before, workload_state("private", obj), obj) == []


def test_statefulset_and_daemonset_rollouts() -> None:
    stateful, _ = workload("statefulset")
    obj = load("workloads", "statefulset")
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "postgres:16.6"
    f = one(workload_findings(stateful, workload_state("private", obj), obj))
    # No revision yet: the controller writes updateRevision to the status afterwards.
    assert f.explained.summary == "statefulset orders-db rolled out image postgres:16.6 (was 16.4)"
    daemon, _ = workload("daemonset")
    obj = load("workloads", "daemonset")
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "quay.io/prometheus/node-exporter:v1.9.0")
    obj["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "3"
    f = one(workload_findings(daemon, workload_state("private", obj), obj))
    assert f.explained.summary == ("daemonset node-exporter rolled out image "
                                   "quay.io/prometheus/node-exporter:v1.9.0 (was v1.8.2), "
                                   "revision 3")


def test_a_deployments_replica_sets_are_not_diffed() -> None:
    replica_set, obj = workload("replicaset")
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "shop/orders:9"
    assert workload_findings(replica_set, workload_state("private", obj), obj) == []


def test_ingress_routes() -> None:
    routes = ingress_routes("public", load("ingresses", "shop"))
    assert [(r.host, r.path, r.backend_service, r.backend_port, r.ingress_class)
            for r in routes] == [
        ("*", "", "frontend", "80", "nginx"),
        ("shop.example.com", "/", "frontend", "80", "nginx"),
        ("shop.example.com", "/api/orders", "orders", "http", "nginx"),
        ("*", "/", "catalog", "8080", "nginx"),  # the resource backend routes to no Service
    ]
    [legacy] = ingress_routes("public", load("ingresses", "legacy_v1beta1"))
    assert (legacy.host, legacy.backend_service, legacy.backend_port, legacy.ingress_class) == (
        "old.shop.example.com", "frontend", "80", "openshift-default")


def _summaries_fit(findings: list[Finding]) -> None:
    for f in findings:
        assert f.explained.summary and len(f.explained.summary) <= SUMMARY_LIMIT
        assert "\n" not in f.explained.summary


@settings(max_examples=300, deadline=None)
@given(mutated_objects("pods"), mutated_objects("pods"))
def test_pods_never_raise(a: dict[str, Any], b: dict[str, Any]) -> None:
    old, new = pod_state("c", a), pod_state("c", b)
    _summaries_fit(pod_findings(old, new, b) + pod_findings(None, new, b))


@settings(max_examples=200, deadline=None)
@given(mutated_objects("nodes"), mutated_objects("nodes"))
def test_nodes_never_raise(a: dict[str, Any], b: dict[str, Any]) -> None:
    _summaries_fit(node_findings(node_state("c", a), node_state("c", b), b))


@settings(max_examples=200, deadline=None)
@given(mutated_objects("hpas"), mutated_objects("hpas"))
def test_hpas_never_raise(a: dict[str, Any], b: dict[str, Any]) -> None:
    _summaries_fit(hpa_findings(hpa_state("c", a), hpa_state("c", b), b))


@settings(max_examples=200, deadline=None)
@given(mutated_objects("workloads"), mutated_objects("workloads"), mutated_objects("ingresses"))
def test_workloads_and_ingresses_never_raise(a: dict[str, Any], b: dict[str, Any],
                                             ingress: dict[str, Any]) -> None:
    _summaries_fit(workload_findings(workload_state("c", a), workload_state("c", b), b))
    ingress_routes("c", ingress)
