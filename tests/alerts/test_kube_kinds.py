"""Every Kubernetes kind the shipped defaults alert on, fed through one loopback cluster to
one real ``bongsu server`` holding the defaults only: exactly one firing notification per
kind (per episode label set) however many count bumps follow, across evaluation rounds
and a restart; nothing for the kinds and copies that should not page.

The defaults are evaluated every 60 s (their own interval; the first round runs when the
server starts, before the cluster has any trouble), so the test waits for two more
rounds: the one that fires, and one after the last bump. Below it, the event kind's
``min_count`` within the window and ``unless`` over a real DuckDB store.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import WebhookReceiver
from alerts.telemetry import Clock, context, episode, open_store
from bongsu.alerts.channels.webhook import verify
from bongsu.alerts.defaults import default_rules
from bongsu.alerts.kinds import kind
from bongsu.alerts.model import Rule
from bongsu.errors import RuleError
from bongsu.simulate.kube import EventRecorder, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg
from kube.conftest import MakeCluster, fake_clusters  # noqa: F401  (the fixture)
from query.dataset import anchor_us
from server_process import ServerProcess, survivors

Obj = dict[str, Any]
NS = "shop"
CLUSTER = "seoul"
SECRET = "hook-s3cret"
CONSOLE = "http://console.test"
FAST = {"BONGSU_FSYNC": "off", "BONGSU_KUBE_SILENT_SECONDS": "1.5",
        "BONGSU_KUBE_BACKOFF_MAX_SECONDS": "1"}
ROUND_S = 60.0  # the defaults' interval, as shipped
S = 1_000_000


def call(server: ServerProcess, method: str, path: str,
         body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.api_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def until(what: str, check: Callable[[], Any], timeout: float,
          between: Callable[[], None] = lambda: None) -> Any:
    """Poll ``check`` until truthy (``between`` runs after each miss); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        between()
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


# -- the cluster ---------------------------------------------------------------------------

def _pod(name: str, *, statuses: list[Obj] | None = None, node: str | None = "node-1",
         phase: str = "Running", reason: str | None = None, message: str | None = None,
         started: float | None = None) -> Obj:
    app = name.split("-")[0]
    image = f"shop/{app}:1.0"
    return shapes.pod(
        name, NS, node=node, uid=f"uid-{name}", phase=phase, reason=reason, message=message,
        containers=[shapes.container(app, image, memory_limit="256Mi")],
        statuses=statuses if statuses is not None else [
            shapes.running(app, image, started_at=started or time.time() - 600)],
        started=started or time.time() - 900)


def _ended(reason: str, code: int, finished: float, cid: str,
           signal: int | None = None) -> Obj:
    return shapes.terminated(reason, code, started_at=finished - 60, finished_at=finished,
                             container_id=cid, signal=signal)


@dataclass(frozen=True)
class Expect:
    """One notification the defaults must send: the rule, the episode's labels."""

    rule: str
    kind: str
    severity: str
    object: str
    namespace: str = NS
    pod: str | None = None

    def labels(self) -> dict[str, str]:
        out = {"cluster": CLUSTER, "namespace": self.namespace, "kind": self.kind,
               "object": self.object, "rule": f"builtin-{self.rule}",
               "severity": self.severity}
        if self.pod:
            out["pod"] = self.pod
        return out


def _pod_expect(rule: str, kind_name: str, severity: str, pod: str) -> Expect:
    return Expect(rule, kind_name, severity, f"Pod/{pod}", pod=pod)


EXPECTED = [
    _pod_expect("k8s-crash-loop", "crash_loop", "critical", "orders-crash"),
    _pod_expect("k8s-image-pull", "image_pull", "critical", "cart-pull"),
    _pod_expect("k8s-oom-killed", "oom_killed", "critical", "orders-oom"),
    _pod_expect("k8s-evicted", "evicted", "critical", "search-evicted"),
    _pod_expect("k8s-volume-mount", "volume_mount", "warning", "db-mount"),
    _pod_expect("k8s-scheduling", "scheduling", "warning", "batch-pending"),
    _pod_expect("k8s-hostport-conflict", "hostport_conflict", "warning", "proxy-pending"),
    Expect("k8s-node-not-ready", "node_not_ready", "critical", "Node/node-2", namespace=""),
    Expect("k8s-node-rebooted", "node_rebooted", "warning", "Node/node-3", namespace=""),
    _pod_expect("k8s-container-restart", "container_restart", "warning", "cart-restart"),
    Expect("k8s-hpa-scale-out", "hpa_scale_out", "info", "HorizontalPodAutoscaler/frontend"),
    Expect("k8s-hpa-scale-in", "hpa_scale_in", "info", "HorizontalPodAutoscaler/checkout"),
]


class Troubles:
    """A healthy cluster (:meth:`healthy`), then one object in each trouble (:meth:`start`),
    each trouble's Events repeated as count bumps (:meth:`bump`) and its state findings
    repeated as new terminations (:meth:`again`). Shapes as in ``bongsu.simulate.kube``'s
    scenario (``_incidents``, ``_changes``)."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.c = cluster
        self.kubelet = EventRecorder(cluster, shapes.KUBELET, host="node-1")
        self.scheduler = EventRecorder(cluster, shapes.SCHEDULER, series=True)
        self.nodes = EventRecorder(cluster, shapes.NODES)
        self.hpa = EventRecorder(cluster, shapes.HPA)
        self.rebooter = EventRecorder(cluster, shapes.KUBELET, host="node-3")
        self.t0 = time.time()
        self.bumps = 0

    def healthy(self) -> None:
        c, t0 = self.c, self.t0
        for name in ("node-1", "node-2", "node-3"):
            c.put(shapes.node(name, boot_id=f"boot-{name}", transition=t0 - 86_400))
        c.put(_pod("web-stranded", node="node-2"))  # NodeNotReady's copy on a pod: no page
        c.put(_pod("web-started"))
        for name, replicas in (("frontend", 3), ("checkout", 4)):
            deployment = shapes.deployment(name, NS, replicas=replicas,
                                           image=f"shop/{name}:2.0")
            c.put(deployment)
            c.put(shapes.hpa(name, NS, target=deployment, min_replicas=2, max_replicas=10,
                             current=replicas, desired=replicas, cpu_current=60,
                             last_scale=t0 - 3600))
        c.put(shapes.deployment("orders", NS, replicas=2, image="shop/orders:1.8.2",
                                revision=6))

    def start(self) -> None:
        c, t0 = self.c, time.time()
        c.put(_pod("orders-crash", statuses=[shapes.waiting(
            "orders", "shop/orders:1.0", "CrashLoopBackOff",
            msg.crashloop_waiting(40, "orders", "orders-crash", NS, "uid-orders-crash"),
            restarts=4, last=_ended("Error", 1, t0 - 30, "containerd://crash4"))]))
        c.put(_pod("cart-pull", phase="Pending", statuses=[shapes.waiting(
            "cart", "shop/cart:9.9", "ImagePullBackOff", msg.image_pull_waiting("shop/cart:9.9"))]))
        self._oom(1, t0 - 25)
        evicted_message = msg.evicted("memory", "100Mi", "91Mi", "search", "312Mi", "256Mi")
        # As the kubelet leaves it: Failed, Evicted, its container killed (exit 137).
        c.put(_pod("search-evicted", phase="Failed", reason="Evicted", message=evicted_message,
                   statuses=[{**shapes.running("search", "shop/search:1.0",
                                               started_at=t0 - 600, ready=False),
                              "state": _ended("Error", 137, t0 - 2, "containerd://ev1")}]))
        c.put(_pod("db-mount", phase="Pending", statuses=[shapes.waiting(
            "db", "shop/db:1.0", "ContainerCreating")]))
        c.put(_pod("batch-pending", node=None, phase="Pending", statuses=[]))
        c.put(_pod("proxy-pending", node=None, phase="Pending", statuses=[]))
        c.put(shapes.node("node-2", ready=False, boot_id="boot-node-2", transition=t0))
        # The reboot: a new boot id, and the kubelet's Rebooted Event (the one that tells).
        c.put(shapes.node("node-3", boot_id="boot-node-3-b", transition=t0))
        self._restart(1, t0 - 22)
        for name, current, desired, cpu in (("frontend", 3, 5, 92), ("checkout", 4, 2, 20)):
            deployment = c.get("apps/v1", "Deployment", NS, name)
            assert deployment is not None
            c.put(shapes.hpa(name, NS, target=deployment, min_replicas=2, max_replicas=10,
                             current=current, desired=desired, cpu_current=cpu,
                             last_scale=t0))
        # Kinds no default alerts on: a rollout, a pod starting, an odd warning.
        c.put(shapes.deployment("orders", NS, replicas=2, image="shop/orders:1.8.3",
                                revision=7))
        self.bump()

    def _oom(self, restarts: int, finished: float) -> None:
        self.c.put(_pod("orders-oom", statuses=[shapes.running(
            "orders", "shop/orders:1.0", started_at=finished + 5, restarts=restarts,
            last=_ended("OOMKilled", 137, finished, f"containerd://oom{restarts}"))]))

    def _restart(self, restarts: int, finished: float) -> None:
        self.c.put(_pod("cart-restart", statuses=[shapes.running(
            "cart", "shop/cart:1.0", started_at=finished + 2, restarts=restarts,
            last=_ended("Error", 137, finished, f"containerd://err{restarts}", signal=9))]))

    def again(self) -> None:
        """A second OOM kill and a second restart: new episodes, the same label sets."""
        now = time.time()
        self._oom(2, now - 3)
        self._restart(2, now - 2)

    def get(self, name: str, kind_name: str = "Pod", namespace: str | None = NS,
            api: str = "v1") -> Obj:
        found = self.c.get(api, kind_name, namespace, name)
        assert found is not None, name
        return found

    def bump(self) -> None:
        """Every trouble's Events once more: a count bump each (the first time, new)."""
        self.bumps += 1
        k, pod = self.kubelet, self.get
        k.record(pod("orders-crash"), "Warning", "BackOff",
                 msg.backoff_restart("orders", "orders-crash", NS, "uid-orders-crash"),
                 field_path="spec.containers{orders}")
        k.record(pod("cart-pull"), "Normal", "BackOff", msg.backoff_pull("shop/cart:9.9"),
                 field_path="spec.containers{cart}")
        k.record(pod("cart-pull"), "Warning", "Failed", msg.IMAGE_PULL_BACKOFF,
                 field_path="spec.containers{cart}")
        k.record(pod("search-evicted"), "Warning", "Evicted", msg.evicted(
            "memory", "100Mi", "91Mi", "search", "312Mi", "256Mi"))
        k.record(pod("db-mount"), "Warning", "FailedMount",
                 msg.failed_mount("credentials", "db-credentials"))
        self.scheduler.record(pod("batch-pending"), "Warning", "FailedScheduling",
                              msg.failed_scheduling(3, [(3, msg.INSUFFICIENT_CPU)],
                                                    msg.no_preemption(3, 0)))
        self.scheduler.record(pod("proxy-pending"), "Warning", "FailedScheduling",
                              msg.failed_scheduling(3, [(1, msg.HOST_PORT),
                                                        (2, msg.INSUFFICIENT_CPU)],
                                                    msg.no_preemption(3, 3)))
        node2 = self.get("node-2", "Node", None)
        self.nodes.record(node2, "Normal", "NodeNotReady",
                          msg.node_status("node-2", "NodeNotReady"))
        self.nodes.record(pod("web-stranded"), "Warning", "NodeNotReady", msg.NODE_NOT_READY)
        self.rebooter.record(self.get("node-3", "Node", None), "Warning", "Rebooted",
                             msg.rebooted("node-3", "boot-node-3-b"),
                             ref=shapes.node_ref("node-3"))
        k.record(pod("cart-restart"), "Warning", "Unhealthy",
                 "Liveness probe failed: HTTP probe failed with statuscode: 500",
                 field_path="spec.containers{cart}")
        for name, size, up in (("frontend", 5, True), ("checkout", 2, False)):
            self.hpa.record(self.get(name, "HorizontalPodAutoscaler", NS, "autoscaling/v2"),
                            "Normal", "SuccessfulRescale", msg.rescaled(size, up))
        k.record(pod("web-started"), "Normal", "Started", msg.started("web"),
                 field_path="spec.containers{web}")
        k.record(pod("web-started"), "Warning", "DNSConfigForming",
                 "Search Line limits were exceeded, some search paths have been omitted, "
                 "the applied search line is: shop.svc.cluster.local")


# -- what the server says --------------------------------------------------------------------

def _firing(hook: WebhookReceiver) -> list[dict[str, Any]]:
    return [r.json() for r in hook.distinct().values() if r.json()["status"] == "firing"]


def _events(server: ServerProcess) -> list[Obj]:
    now_ms = int(time.time() * 1000)
    status, body = call(server, "GET", f"/api/v1/events?from={now_ms - 3_600_000}"
                                       f"&to={now_ms + 60_000}&limit=1000")
    assert status == 200, body
    return list(body["events"])


def _evaluated_since(server: ServerProcess, since_ms: int) -> list[str]:
    """The expected rules not yet evaluated after ``since_ms`` (empty: all were)."""
    status, body = call(server, "GET", "/api/v1/alerts")
    assert status == 200, body
    last: dict[str, int] = {}
    for alert in body["alerts"]:
        last[alert["rule_id"]] = min(last.get(alert["rule_id"], alert["last_eval_ms"]),
                                     alert["last_eval_ms"])
    return [e.rule for e in EXPECTED if last.get(f"builtin-{e.rule}", 0) <= since_ms]


def _check_notifications(server: ServerProcess, hook: WebhookReceiver,
                         episodes: dict[str, Obj]) -> None:
    firing = _firing(hook)
    assert len(hook.distinct()) == len(firing) == len(EXPECTED), [
        [a["labels"] for a in n["alerts"]] for n in firing]
    assert len(hook.received) == len(EXPECTED)  # not one sent twice
    got: dict[str, dict[str, Any]] = {}
    for note in firing:
        assert len(note["alerts"]) == 1, note  # grouped per episode label set
        alert = note["alerts"][0]
        got[alert["labels"]["rule"]] = alert
    for want in EXPECTED:
        alert = got.get(f"builtin-{want.rule}")
        assert alert is not None, (want, sorted(got))
        labels = {k: v for k, v in alert["labels"].items() if k != "service"}
        assert labels == want.labels(), alert
        assert alert["severity"] == want.severity, alert
        # The console's hash route to the episode, made absolute by BONGSU_CONSOLE_URL.
        assert alert["link"].startswith(f"{CONSOLE}/#/events/"), alert["link"]
        shown = episodes.get(alert["link"].removeprefix(f"{CONSOLE}/#/events/"))
        assert shown is not None, alert["link"]  # the episode the user opens is there
        assert (shown["kind"], f"{shown['object_kind']}/{shown['object_name']}") == (
            want.kind, want.object), shown
        name = want.object.split("/", 1)[1]
        assert name in alert["summary"], alert  # the line the user reads names the object
    raw = hook.received[0]
    assert verify(raw.body, raw.headers["x-bongsu-signature"], SECRET)


def test_every_kind_notifies_once_with_the_shipped_defaults(
        fake_clusters: MakeCluster, receiver: WebhookReceiver,  # noqa: F811
        tmp_path: Path) -> None:
    served = fake_clusters(CLUSTER)
    troubles = Troubles(served.cluster)
    troubles.healthy()
    server = ServerProcess(tmp_path / "data", {
        **FAST, "BONGSU_KUBE_CLUSTERS": f"{CLUSTER}={served.kubeconfig}",
        "BONGSU_CONSOLE_URL": CONSOLE})
    try:
        server.start()
        status, rules = call(server, "GET", "/api/v1/rules")
        assert status == 200, rules
        assert {r["id"] for r in rules["rules"]} == {f"builtin-{k}" for k in default_rules()}
        assert all(r["builtin"] for r in rules["rules"])
        status, channel = call(server, "POST", "/api/v1/channels", {
            "name": "ops hook", "type": "webhook",
            "config": {"url": receiver.url, "secret": SECRET, "timeout_s": 5}})
        assert status == 201, channel
        status, route = call(server, "POST", "/api/v1/routes", {
            "matchers": [], "channel_ids": [channel["id"]],
            "group_by": ["rule", "cluster", "namespace", "object"],
            "group_wait_s": 0, "group_interval_s": 60, "repeat_interval_s": 3600})
        assert status == 201, route
        until("the cluster connected", lambda: any(
            c["name"] == CLUSTER and c["state"] == "connected"
            for c in call(server, "GET", "/api/v1/kube/clusters")[1]["clusters"]), 30)

        troubles.start()
        # The round that fires comes at most ROUND_S after the first; bump all along.
        until("a firing notification per kind",
              lambda: len(_firing(receiver)) >= len(EXPECTED), ROUND_S + 60,
              between=lambda: troubles.bump() if len(receiver.received) == 0 else None)
        fired_ms = int(time.time() * 1000)
        for _ in range(6):  # more bumps while it fires, then a new OOM kill and restart
            troubles.bump()
            time.sleep(1.5)
        troubles.again()
        for _ in range(4):
            troubles.bump()
            time.sleep(1.5)
        last_bump_ms = int(time.time() * 1000)
        assert troubles.bumps >= 12, troubles.bumps
        until("a round after the last bump",
              lambda: not _evaluated_since(server, last_bump_ms), ROUND_S + 45)
        time.sleep(3.0)  # the dispatcher polls every second: anything queued is sent by now

        episodes = {e["id"]: e for e in _events(server)}
        counts = {(e["kind"], e["object_name"]): e["count"] for e in episodes.values()}
        # The bumps reached the store (so "nothing more" is about something): every
        # Event-borne episode was counted at least once per bump.
        assert counts[("crash_loop", "orders-crash")] >= troubles.bumps, counts
        assert counts[("node_rebooted", "node-3")] >= troubles.bumps, counts
        assert counts[("scheduling", "batch-pending")] >= troubles.bumps, counts
        ooms = [e for e in episodes.values() if e["kind"] == "oom_killed"]
        assert len(ooms) == 2, ooms  # two OOM kills, two episodes, one alert
        assert max(e["last_seen"] for e in ooms) > fired_ms - 60_000
        _check_notifications(server, receiver, episodes)
        # What should not page did not: the pod's copy of NodeNotReady, the crash loop's
        # and the eviction's container restarts (their episodes exist all the same).
        assert ("node_not_ready", "web-stranded") in counts
        assert ("container_restart", "orders-crash") in counts
        assert ("container_restart", "search-evicted") in counts
        status, body = call(server, "GET", "/api/v1/alerts?state=firing")
        assert status == 200, body
        assert sorted(a["rule_id"] for a in body["alerts"]) == sorted(
            f"builtin-{e.rule}" for e in EXPECTED), body

        # A restart resumes the firing states: nothing is sent again.
        started = server.stop()
        assert survivors(started) == []
        restarted_ms = int(time.time() * 1000)
        server.start()
        troubles.bump()
        until("a round after the restart",
              lambda: not _evaluated_since(server, restarted_ms), 60)
        time.sleep(3.0)
        assert len(receiver.received) == len(EXPECTED), [r.json() for r in receiver.received]
        status, body = call(server, "GET", "/api/v1/alerts?state=firing")
        assert len(body["alerts"]) == len(EXPECTED), body
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


# -- the event kind's window -------------------------------------------------------------------

def _rule(**spec: Any) -> Rule:
    return Rule(id="r1", tenant="default", name="t", kind="event", spec=spec)


def test_min_count_counts_within_the_window_not_the_total(tmp_path: Path) -> None:
    store = open_store(tmp_path / "e.db")
    t0 = anchor_us()
    old = episode(t0)
    store.save_kube_episodes([old])
    for n in range(2, 51):  # 50 back-offs in the first 50 s
        store.save_kube_episodes([replace(old, count=n, last_seen_us=t0 + n * S)])
    # An hour later, two more: the episode's total is 52, its count in the last 10 min 2.
    for n in (51, 52):
        store.save_kube_episodes([replace(old, count=n, last_seen_us=t0 + 3600 * S + n * S)])
    # One that began inside the window: its total is its count in the window.
    fresh = episode(t0 + 3650 * S, id="ep-crash-2", object_name="cart-7d9f8-p8zt",
                    pod="cart-7d9f8-p8zt", count=3)
    store.save_kube_episodes([fresh])
    ctx = context(store, Clock(t0))
    at = t0 + 3700 * S
    three = kind("event").evaluate(_rule(kind="crash_loop", min_count=3), ctx, at)
    assert [s.labels["pod"] for s in three] == ["cart-7d9f8-p8zt"]
    two = kind("event").evaluate(_rule(kind="crash_loop", min_count=2), ctx, at)
    assert sorted(s.labels["pod"] for s in two) == ["cart-7d9f8-p8zt", "cart-7d9f8-x2kq"]
    # A window reaching back over the first hour counts all 52.
    wide = kind("event").evaluate(_rule(kind="crash_loop", min_count=52, window_s=7200),
                                  ctx, at)
    assert [s.labels["pod"] for s in wide] == ["cart-7d9f8-x2kq"]
    store.close()


def test_past_the_count_reads_an_episode_is_judged_by_its_total(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(tmp_path / "c.db")
    t0 = anchor_us()
    pods = ("cart-7d9f8-x2kq", "cart-7d9f8-p8zt")
    old = [episode(t0, id=f"ep-{i}", object_name=pod, pod=pod) for i, pod in enumerate(pods)]
    store.save_kube_episodes(old)
    store.save_kube_episodes([replace(e, count=10, last_seen_us=t0 + 60 * S) for e in old])
    store.save_kube_episodes([replace(e, count=11, last_seen_us=t0 + 3600 * S) for e in old])
    ctx = context(store, Clock(t0))
    r = _rule(kind="crash_loop", min_count=5)
    assert kind("event").evaluate(r, ctx, t0 + 3700 * S) == []  # one each in the window
    monkeypatch.setattr("bongsu.alerts.kinds.event.MAX_COUNT_READS", 1)
    over = kind("event").evaluate(r, ctx, t0 + 3700 * S)
    assert [s.value for s in over] == [11.0]  # the second one read no counts: its total
    store.close()


def test_unless_leaves_out_the_objects_with_another_kind(tmp_path: Path) -> None:
    store = open_store(tmp_path / "u.db")
    t0 = anchor_us()
    looping = episode(t0, id="ep-restart-1", kind="container_restart", reason="Error",
                      source="state", component="status")
    loop = episode(t0, id="ep-crash-1")
    lone = episode(t0, id="ep-restart-2", kind="container_restart", reason="Error",
                   object_name="cart-7d9f8-p8zt", pod="cart-7d9f8-p8zt", source="state",
                   component="status")
    store.save_kube_episodes([looping, loop, lone])
    ctx = context(store, Clock(t0))
    r = _rule(kind="container_restart", unless=["crash_loop", "evicted"])
    samples = kind("event").evaluate(r, ctx, t0 + 60 * S)
    assert [s.labels["pod"] for s in samples] == ["cart-7d9f8-p8zt"]
    both = kind("event").evaluate(_rule(kind="container_restart"), ctx, t0 + 60 * S)
    assert sorted(s.labels["pod"] for s in both) == ["cart-7d9f8-p8zt", "cart-7d9f8-x2kq"]
    with pytest.raises(RuleError, match=r"^spec\.unless\[1\]: expected one of crash_loop"):
        kind("event").check({"unless": ["crash_loop", "crashloop"]})
    with pytest.raises(RuleError, match=r"^spec\.unless: expected a list"):
        kind("event").check({"unless": "crash_loop"})
    store.close()
