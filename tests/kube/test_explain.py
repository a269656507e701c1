"""Every kind from its real-shaped event, the tricky readings, and the explainer registry."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bongsu.kube.events import normalise
from bongsu.kube.explain import (
    Registry,
    builtin_registry,
    episode_key,
    explain_event,
    explainer,
    no_pods,
)
from bongsu.kube.explain.registry import PodLookup
from bongsu.kube.explain.text import SUMMARY_LIMIT, shorten
from bongsu.kube.model import EpisodeKey, Explained, NormalEvent, PodState
from bongsu.kube.status import pod_state
from kube.shapes import load, names
from kube.shapes.fuzz import mutated_events


def event(name: str, **changes: Any) -> NormalEvent:
    obj = load("events", name)
    obj.update(changes)
    ev = normalise("private", obj)
    assert ev is not None
    return ev


def lookup(*pod_fixtures: str) -> PodLookup:
    known = {}
    for name in pod_fixtures:
        state = pod_state("private", load("pods", name))
        known[(state.namespace, state.name)] = state
    return lambda namespace, name: known.get((namespace, name))


# fixture, pods known to the watcher, kind, severity, words the summary must contain
CASES: list[tuple[str, tuple[str, ...], str, str, tuple[str, ...]]] = [
    ("backoff_crash", ("crashloop_oom",), "crash_loop", "critical",
     ("orders-7d9f8c6b5-x2kq4 container orders is crash-looping (restarted 12 times); "
      "last exit: OOMKilled, exit 137, at 10:42:05 UTC, limit 256 MiB", "worker-2")),
    ("backoff_crash", (), "crash_loop", "critical",
     ("orders-7d9f8c6b5-x2kq4 container orders is crash-looping on worker-2", "12 back-offs")),
    ("backoff_crash_old", ("crashloop_oom",), "crash_loop", "critical",
     ("container orders", "OOMKilled, exit 137")),
    ("backoff_image", (), "image_pull", "critical",
     ("catalog-5f6d7c8b9-q7wz2 container catalog", "registry.shop.example/catalog:2.4.0-rc1",
      "back-off", "worker-1")),
    ("failed_pull_notfound", (), "image_pull", "critical",
     ("container catalog", "catalog:2.4.0-rc1", "image not found", "worker-1")),
    ("failed_pull_denied", (), "image_pull", "critical",
     ("payments-6b7c8d9e0-m3n4p container payments", "private.example/shop/payments:3.1",
      "access denied", "worker-3")),
    ("failed_errimagepull", ("image_pull_backoff",), "image_pull", "critical",
     ("container catalog", "registry.shop.example/catalog:2.4.0-rc1", "pull failed")),
    ("failed_imagepullbackoff", (), "image_pull", "critical", ("container catalog", "back-off")),
    ("inspect_failed", (), "image_pull", "critical",
     ("search-4a5b6c7d8-u9v0w container search", "shop/Search:latest", "invalid image name")),
    ("err_image_never_pull", (), "image_pull", "critical",
     ("container search", "shop/search:0.9.1", "imagePullPolicy is Never")),
    ("failed_container_start", (), "other", "warning",
     ("cart-7e8f9a0b1-r5s6t container cart", "Failed", "failed to create containerd task")),
    ("evicted", (), "evicted", "critical",
     ("pod recommend-8c9d0e1f2-a1b2c evicted from worker-3", "low on memory",
      "48 MiB left, threshold 100 MiB", "recommend used 1.8 GiB, request 512 MiB")),
    ("failed_mount", (), "volume_mount", "warning",
     ("pod orders-db-0 cannot mount volume config on worker-1",
      'configmap "orders-db-config" not found')),
    ("failed_attach", (), "volume_mount", "warning",
     ("pod orders-db-0 cannot attach volume pvc-3f2e1d0c", "Multi-Attach")),
    ("failed_map", (), "volume_mount", "warning",
     ("pod ledger-0 cannot map volume pvc-4a3b2c1d", "ebs.csi.aws.com not found")),
    ("failed_scheduling", (), "scheduling", "warning",
     ("pod frontend-6c7d8e9f0-b3c4d cannot be scheduled: 0/3 nodes: 1 untolerated taint "
      "node-role.kubernetes.io/control-plane, 2 Insufficient cpu",)),
    ("failed_scheduling_series", (), "scheduling", "warning",
     ("0/3 nodes: 3 Insufficient memory",)),
    ("v1_failed_scheduling_series", (), "scheduling", "warning",
     ("pod frontend-6c7d8e9f0-b3c4d cannot be scheduled: 0/3 nodes: 3 Insufficient memory",)),
    ("hostport", (), "hostport_conflict", "warning",
     ("pod ingress-proxy-7d8e9f0a1-c5d6e cannot be scheduled", "host port",
      "0/3 nodes: 1 host port in use, 2 node affinity/selector mismatch")),
    ("node_not_ready_node", (), "node_not_ready", "critical",
     ("node worker-3 is not ready", "node-controller")),
    ("node_not_ready_pod", ("crashloop_oom",), "node_not_ready", "warning",
     ("pod orders-7d9f8c6b5-x2kq4", "node worker-2 is not ready")),
    ("node_ready", (), "node_ready", "info", ("node worker-3 is ready",)),
    ("rebooted", (), "node_rebooted", "warning", ("node worker-3 rebooted", "0c7f2e91")),
    ("oom_killing", (), "oom_killed", "critical",
     ("node worker-2", "OOM killer", "java (pid 28731)", "256 MiB resident")),
    ("system_oom", (), "oom_killed", "critical", ("node worker-2", "java (pid 28731)")),
    ("killing_liveness", (), "container_restart", "warning",
     ("orders-7d9f8c6b5-x2kq4 container orders", "liveness probe failed", "worker-2")),
    ("killing_stop", (), "other", "info", ("container orders", "Killing", "Stopping container")),
    ("unhealthy_readiness", (), "readiness", "warning",
     ("orders-7d9f8c6b5-x2kq4 container orders not ready", "readiness probe failed",
      "statuscode: 503")),
    ("unhealthy_liveness", (), "container_restart", "warning",
     ("container orders liveness probe failed", "connection refused")),
    ("rescale_out", (), "hpa_scale_out", "info",
     ("frontend HPA scaled out to 5", "cpu resource utilization", "above target")),
    ("rescale_in", (), "hpa_scale_in", "info", ("frontend HPA scaled in to 3", "below target")),
    ("scaling_replica_set", (), "rollout", "info",
     ("orders rollout: scaled up replica set orders-84c5d6e7f9 to 1 (from 0)",)),
    ("scheduled", (), "pod_started", "info", ("pod orders-7d9f8c6b5-x2kq4 scheduled on worker-2",)),
    ("pulled", (), "pod_started", "info", ("container orders pulled image shop/orders:1.8.3",)),
    ("created", (), "pod_started", "info", ("container orders created",)),
    ("started", (), "pod_started", "info", ("container orders started on worker-2",)),
    ("other_sandbox", (), "other", "warning",
     ("pod cart-7e8f9a0b1-r5s6t: FailedCreatePodSandBox: Failed to create pod sandbox",)),
    ("other_normal", (), "other", "info",
     ("replicaset orders-84c5d6e7f9: SuccessfulCreate: Created pod",)),
    ("v1_backoff_crash", ("crashloop_oom",), "crash_loop", "critical",
     ("container orders is crash-looping (restarted 12 times)",)),
    ("v1_node_not_ready_node", (), "node_not_ready", "critical", ("node worker-3 is not ready",)),
]


@pytest.mark.parametrize(("fixture", "pods", "kind", "severity", "words"), CASES,
                         ids=[f"{c[0]}{'+pods' if c[1] else ''}" for c in CASES])
def test_kind_severity_summary(fixture: str, pods: tuple[str, ...], kind: str, severity: str,
                               words: tuple[str, ...]) -> None:
    got = explain_event(event(fixture), lookup(*pods))
    assert (got.kind, got.severity) == (kind, severity), got.summary
    for word in words:
        assert word in got.summary, (word, got.summary)
    assert "\n" not in got.summary and len(got.summary) <= SUMMARY_LIMIT


def test_every_kind_an_event_can_give_is_covered() -> None:
    covered = {c[2] for c in CASES}
    assert covered == {"crash_loop", "image_pull", "evicted", "volume_mount", "scheduling",
                       "hostport_conflict", "node_not_ready", "node_ready", "node_rebooted",
                       "oom_killed", "container_restart", "readiness", "hpa_scale_out",
                       "hpa_scale_in", "rollout", "pod_started", "other"}
    assert set(names("events")) <= {c[0] for c in CASES}


def test_backoff_is_read_from_the_message_not_the_reason() -> None:
    crash, image = event("backoff_crash"), event("backoff_image")
    assert crash.reason == image.reason == "BackOff"
    assert image.type == "Normal"
    assert explain_event(crash, no_pods).kind == "crash_loop"
    assert explain_event(image, no_pods).kind == "image_pull"


def test_bare_backoff_uses_the_pods_waiting_reason() -> None:
    # An old kubelet's bare wording on a pod that waits in ImagePullBackOff is an image pull.
    ev = event("backoff_crash_old", involvedObject={
        **load("events", "backoff_crash_old")["involvedObject"],
        "name": "catalog-5f6d7c8b9-q7wz2", "fieldPath": "spec.containers{catalog}"},
        message="Back-off")
    got = explain_event(ev, lookup("image_pull_backoff"))
    assert got.kind == "image_pull" and "registry.shop.example/catalog:2.4.0-rc1" in got.summary


def test_explained_names_pod_container_node() -> None:
    got = explain_event(event("backoff_crash"), lookup("crashloop_oom"))
    assert (got.pod, got.container, got.node) == ("orders-7d9f8c6b5-x2kq4", "orders", "worker-2")
    node = explain_event(event("rebooted"), no_pods)
    assert (node.pod, node.container, node.node) == (None, None, "worker-3")


def test_crash_loop_without_container_in_field_path_picks_the_looping_one() -> None:
    obj = load("events", "backoff_crash_old")
    del obj["involvedObject"]["fieldPath"]
    ev = normalise("private", obj)
    assert ev is not None
    got = explain_event(ev, lookup("crashloop_oom"))
    assert got.container == "orders" and "restarted 12 times" in got.summary


def test_long_messages_are_cut_to_one_line() -> None:
    ev = event("other_sandbox", message="x" * 500 + "\nsecond line")
    got = explain_event(ev, no_pods)
    assert len(got.summary) == SUMMARY_LIMIT and got.summary.endswith("…")
    assert "second line" not in got.summary


def test_episode_key() -> None:
    ev = event("backoff_crash")
    assert episode_key(ev) == EpisodeKey("private", "shop", "Pod", "orders-7d9f8c6b5-x2kq4",
                                         "BackOff", "kubelet")
    # A count bump of the same Event is the same episode; so is its events.k8s.io/v1 twin.
    bumped = event("backoff_crash", count=99, lastTimestamp="2026-12-01T11:30:00Z")
    assert episode_key(bumped) == episode_key(ev) == episode_key(event("v1_backoff_crash"))
    assert episode_key(event("failed_scheduling")).component == "default-scheduler"


def test_a_plugin_registers_like_the_builtins() -> None:
    registry = builtin_registry()

    @registry.explainer(reasons=("BackOff",), first=True,
                        when=lambda ev: ev.object_name.startswith("orders-"))
    def orders_backoff(ev: NormalEvent, pods: PodLookup) -> Explained:
        return Explained("crash_loop", "critical", f"{ev.object_name}: orders is down, page them")

    assert registry.names[0] == "orders_backoff"
    got = explain_event(event("backoff_crash"), no_pods, registry)
    assert got.summary == "orders-7d9f8c6b5-x2kq4: orders is down, page them"
    # Other BackOff events still reach the built-ins.
    assert explain_event(event("backoff_image"), no_pods, registry).kind == "image_pull"
    # The default registry is untouched.
    assert "orders is down" not in explain_event(event("backoff_crash"), no_pods).summary


def test_a_plugin_registered_last_comes_before_the_fallback() -> None:
    registry = builtin_registry()
    registry.register(explainer(reasons=("FailedCreatePodSandBox",))(
        lambda ev, pods: Explained("other", "critical", "CNI is broken")))
    assert registry.names[-1] == "other"
    assert explain_event(event("other_sandbox"), no_pods, registry).summary == "CNI is broken"


def test_a_failing_explainer_is_counted_and_skipped() -> None:
    registry = builtin_registry()

    @registry.explainer(first=True)
    def broken(ev: NormalEvent, pods: PodLookup) -> Explained:
        raise RuntimeError("plugin bug")

    got = explain_event(event("backoff_crash"), no_pods, registry)
    assert got.kind == "crash_loop" and registry.failures == 1


def test_an_empty_registry_still_explains() -> None:
    got = explain_event(event("failed_scheduling"), no_pods, Registry())
    assert (got.kind, got.severity) == ("other", "warning")
    assert "FailedScheduling" in got.summary


def test_a_lookup_of_an_unknown_pod_is_fine() -> None:
    def lookup_nothing(namespace: str, name: str) -> PodState | None:
        assert (namespace, name) == ("shop", "orders-7d9f8c6b5-x2kq4")
        return None

    assert explain_event(event("backoff_crash"), lookup_nothing).kind == "crash_loop"


@settings(max_examples=400, deadline=None)
@given(mutated_events())
def test_explain_never_raises_on_odd_events(obj: dict[str, Any]) -> None:
    registry = builtin_registry()
    ev = normalise("c", obj)
    if ev is None:
        return
    got = explain_event(ev, lookup("crashloop_oom", "image_pull_backoff"), registry)
    assert registry.failures == 0  # the built-ins handled it; none fell through on a bug
    assert got.summary and len(got.summary) <= SUMMARY_LIMIT and "\n" not in got.summary


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(names("events")), st.text(max_size=300), st.text(max_size=40),
       st.sampled_from(["Normal", "Warning", ""]))
def test_explain_never_raises_on_any_message(name: str, message: str, path: str,
                                             type_: str) -> None:
    obj = load("events", name)
    obj.update(message=message, type=type_)
    (obj.get("involvedObject") or obj["regarding"])["fieldPath"] = path
    ev = normalise("c", obj)
    assert ev is not None
    registry = builtin_registry()
    got = explain_event(ev, lookup("crashloop_oom"), registry)
    assert registry.failures == 0 and len(got.summary) <= SUMMARY_LIMIT



@pytest.mark.parametrize(("message", "container"), [
    ("Back-off restarting failed container orders in pod orders-1_shop(5b0c)", "orders"),
    ("Stopping container web", "web"),
    ("Container sidecar failed liveness probe, will be restarted", "sidecar"),
    ("containers with unready status: [orders]", None),
    ("Error: failed to start container \"api\": runtime error", "api"),
])
def test_container_from_the_message_when_no_field_path(message: str, container: str | None
                                                       ) -> None:
    obj = load("events", "killing_stop")
    del obj["involvedObject"]["fieldPath"]
    obj["message"] = message
    ev = normalise("c", obj)
    assert ev is not None
    assert explain_event(ev, no_pods).container == container


def test_failed_without_pull_wording_is_not_an_image_pull() -> None:
    for message in ('Error: configmap "orders-config" not found',
                    "Error: container has runAsNonRoot and image will run as root"):
        got = explain_event(event("failed_container_start", message=message), no_pods)
        assert (got.kind, got.severity) == ("other", "warning"), message
    got = explain_event(event("failed_container_start", message="Error: ImageInspectError"),
                        no_pods)
    assert got.kind == "image_pull" and "cannot pull its image" in got.summary


def test_public_names_are_pinned() -> None:
    import bongsu.kube.explain as explain
    import bongsu.kube.status as status

    assert sorted(explain.__all__) == ["ExplainFn", "Explainer", "MatchFn", "PodLookup",
                                       "REGISTRY", "Registry", "builtin_registry",
                                       "episode_key", "explain_event", "explainer", "no_pods"]
    assert sorted(status.__all__) == ["COMPONENT", "Reading", "hpa_findings", "hpa_state",
                                      "ingress_routes", "node_findings", "node_state",
                                      "pod_findings", "pod_state", "readings",
                                      "workload_findings", "workload_state"]
    for module in (explain, status):
        for name in module.__all__:
            assert hasattr(module, name), name


@pytest.mark.parametrize(("message", "summary"), [
    # Before 1.24: the taint wording, no preemption part.
    ("0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that "
     "the pod didn't tolerate, 2 Insufficient cpu.",
     "0/3 nodes: 1 untolerated taint node-role.kubernetes.io/master, 2 Insufficient cpu"),
    ("0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: "
     "0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
     "0/4 nodes: pod has unbound immediate PersistentVolumeClaims"),
    ("0/5 nodes are available: 2 node(s) were unschedulable, 3 node(s) had volume node "
     "affinity conflict. preemption: 0/5 nodes are available: 5 Preemption is not helpful "
     "for scheduling.", "0/5 nodes: 2 cordoned, 3 volume zone conflict"),
    ("no nodes available to schedule pods", "no nodes available to schedule pods"),
    ('running PreBind plugin "VolumeBinding": binding volumes: timed out waiting for the '
     "condition", 'running PreBind plugin "VolumeBinding": binding volumes: timed out'),
])
def test_scheduler_wordings(message: str, summary: str) -> None:
    got = explain_event(event("failed_scheduling", message=message), no_pods)
    assert got.kind == "scheduling"
    assert summary in got.summary, got.summary


def test_a_long_summary_is_cut_at_a_word_not_inside_a_name() -> None:
    words = " ".join(f"ip-10-0-{n}-23.ap-northeast-2.compute.internal" for n in range(20))
    cut = shorten(words)
    assert len(cut) <= SUMMARY_LIMIT and cut.endswith("…")
    assert cut[:-1].split(" ")[-1].endswith(".compute.internal")
