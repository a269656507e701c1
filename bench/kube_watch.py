"""Kubernetes watch benchmark: a 10,000-pod cluster with 2,000 Events a minute.

A simulated API server (``bongsu.simulate.kube``, real-shaped objects with their
``managedFields``) runs in a process of its own, so its CPU and memory are not counted;
the watchers run in processes of their own too. In one run, side by side:

- **Bongsu**: a process running only the hub (``KubeHub``) against an in-memory store that
  counts what it is given; RSS after the initial list and through the minutes of events,
  CPU of the initial list and of the steady state (process CPU ÷ wall), per thread;
- **naive**: the same official client the default way (typed list of every resource, in
  pages of 500 like Bongsu, then ``watch.Watch().stream`` with model deserialisation,
  keeping every object the client returns), the same figures;
- **freshness**: a real ``bongsu server --kube`` process; new Events put on the API at
  5 a second under the same load, each timed until ``GET /api/v1/events`` returns it.

The load, per minute by default: 2,000 Event writes (1,400 count bumps of recurring
BackOff / Unhealthy Events as MODIFIED frames; 600 new Events from 30 pods replaced
(Killing, SuccessfulDelete/Create, Scheduled, Pulled/Created/Started for 3 containers) and
50 container restarts (OOMKilled or Error, then BackOff, Pulled, Created, Started)),
100 readiness flips, and the Events an hour old deleted (Kubernetes' ``--event-ttl``). The
cluster starts with an hour of such Events (~36,000).

    python bench/kube_watch.py [--pods 10000] [--events-per-minute 2000] [--minutes 1]
                               [--probes 300] [--profile] [--tracemalloc] [--trim]
                               [--only bongsu|naive|freshness]
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import gc
import heapq
import io
import json
import os
import pstats
import random
import select
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil

from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg

Obj = dict[str, Any]
CONTAINERS = ("app", "envoy", "log-shipper")
PODS_PER_NODE = 30
TTL_S = 3600.0
BUMP_S = 15.0  # a back-off's count bump: about every 15 s (FACTS)


# -- the cluster (API server process) ------------------------------------------------------

def _fields(value: Any) -> Obj:
    """The FieldsV1 tree of ``value``, as the API server records it in managedFields."""
    if isinstance(value, dict):
        out: Obj = {".": {}} if value else {}
        for key, inner in value.items():
            out[f"f:{key}"] = _fields(inner)
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = {}
        for item in value:
            ident = ({"name": item["name"]} if "name" in item else
                     {"type": item["type"]} if "type" in item else {"ip": item.get("ip", "")})
            out[f"k:{json.dumps(ident, separators=(',', ':'))}"] = _fields(item)
        return out
    return {}


def _managed(obj: Obj, at: str, manager: str, status_manager: str) -> None:
    spec_meta = {k: v for k, v in obj["metadata"].items()
                 if k in ("labels", "annotations", "ownerReferences", "generateName")}
    obj["metadata"]["managedFields"] = [
        {"manager": manager, "operation": "Update", "apiVersion": obj["apiVersion"],
         "time": at, "fieldsType": "FieldsV1",
         "fieldsV1": {"f:metadata": _fields(spec_meta), "f:spec": _fields(obj.get("spec", {}))}},
        {"manager": status_manager, "operation": "Update", "apiVersion": obj["apiVersion"],
         "time": at, "fieldsType": "FieldsV1", "subresource": "status",
         "fieldsV1": {"f:status": _fields(obj.get("status", {}))}},
    ]


@dataclass
class PodInfo:
    namespace: str
    name: str
    node: str
    images: tuple[str, ...]
    owner: Obj | None
    labels: dict[str, str]
    started: float
    restarts: list[int] = field(default_factory=lambda: [0, 0, 0])
    ready: bool = True
    obj: Obj = field(default_factory=dict)


class World:
    """The simulated cluster's objects and the load that moves them."""

    def __init__(self, cluster: FakeCluster, pods: int, seed: int = 8) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        self.now = time.time()
        self.pods: list[PodInfo] = []
        self.replicasets: list[Obj] = []
        self.recurring: list[Obj] = []  # Events that get count bumps
        self.expiry: list[tuple[float, str, str]] = []  # heap of (last write, ns, name)
        self.last_write: dict[tuple[str, str], float] = {}
        self.probed: set[str] = set()
        self.writes = {"event_bump": 0, "event_new": 0, "event_expired": 0, "pod": 0}
        self._build(pods)

    # building
    def _pod(self, info: PodInfo) -> Obj:
        t = info.started
        specs = []
        for c, image in zip(CONTAINERS, info.images, strict=True):
            spec = shapes.container(c, image, cpu_request="100m" if c != "app" else "250m",
                                    memory_limit="512Mi" if c == "app" else "128Mi",
                                    port=8080 if c == "app" else None)
            spec["env"] = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "LOG_LEVEL", "value": "info"}]
            spec["volumeMounts"] = [{"name": "kube-api-access", "readOnly": True,
                                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
            if c == "app":
                spec["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080,
                                                      "scheme": "HTTP"},
                                          "periodSeconds": 10, "timeoutSeconds": 1,
                                          "successThreshold": 1, "failureThreshold": 3}
            specs.append(spec)
        statuses = [shapes.running(c, image, started_at=t, restarts=r, ready=info.ready,
                                   cid=shapes.container_id(f"{info.name}{c}{r}"))
                    for c, image, r in zip(CONTAINERS, info.images, info.restarts, strict=True)]
        ip = f"10.{(hash(info.name) >> 8) % 250}.{hash(info.name) % 250}.{len(info.name)}"
        obj = shapes.pod(info.name, info.namespace, node=info.node, containers=specs,
                         statuses=statuses, owner=info.owner, labels=info.labels,
                         created=t, started=t, pod_ip=ip, host_ip="10.0.1.23",
                         uid=str(uuid.UUID(int=self.rng.getrandbits(128))))
        obj["metadata"]["generateName"] = info.name.rsplit("-", 1)[0] + "-"
        obj["spec"]["volumes"] = [{"name": "kube-api-access", "projected": {
            "defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt",
                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}]
        obj["spec"]["tolerations"] = [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300}]
        _managed(obj, shapes.iso(t), "kube-controller-manager", "kubelet")
        return obj

    def _build(self, total: int) -> None:
        c, rng, now = self.cluster, self.rng, self.now
        nodes = [f"ip-10-0-{i // 250}-{i % 250 + 10}"
                 for i in range(max(3, total // PODS_PER_NODE))]
        for name in nodes:
            n = shapes.node(name, boot_id=str(uuid.UUID(int=rng.getrandbits(128))),
                            created=now - 86400 * 20, internal_ip="10.0.1.23")
            n["status"]["images"] = [  # what the kubelet reports: the node's images
                {"names": [f"registry.example/team/img-{k}@sha256:{k:064x}",
                           f"registry.example/team/img-{k}:1.{k}"],
                 "sizeBytes": 20_000_000 + k} for k in range(30)]
            _managed(n, shapes.iso(now - 60), "kubelet", "kubelet")
            c.put(n)
        namespaces = [f"team-{i:02d}" for i in range(40)]
        for ns in [*namespaces, "kube-system"]:
            c.put(shapes.namespace(ns))
        for ds_name in ("kube-proxy", "node-exporter", "fluent-bit"):
            ds = c.put(shapes.daemonset(ds_name, "kube-system", nodes=len(nodes),
                                        image=f"registry.k8s.io/{ds_name}:v1.30.5"))
            for k, node in enumerate(nodes):
                self._add(PodInfo("kube-system", f"{ds_name}-{k:05x}", node,
                                  (ds["spec"]["template"]["spec"]["containers"][0]["image"],
                                   "envoyproxy/envoy:v1.31.2", "fluent/fluent-bit:3.1"),
                                  shapes.owner_ref(ds), {"app": ds_name},
                                  now - rng.uniform(3600, 86400 * 10)))
        d = 0
        while len(self.pods) < total:
            ns = namespaces[d % len(namespaces)]
            replicas = min(total - len(self.pods), rng.choice((2, 3, 4, 6, 8, 12, 20)))
            name = f"svc-{d:04d}"
            image = f"registry.example/{ns}/{name}:1.{d % 17}.{d % 5}"
            dep = c.put(shapes.deployment(name, ns, replicas=replicas, image=image, revision=3))
            _managed(dep, shapes.iso(now - 3600), "kubectl", "kube-controller-manager")
            c.put(dep)
            for rev, h in enumerate((f"{d:04x}a1b2c", f"{d:04x}d3e4f", f"{d:04x}5f6a7")):
                rs = c.put(shapes.replicaset(dep, h, replicas=replicas if rev == 2 else 0))
                if rev == 2:
                    self.replicasets.append(rs)
            if d % 4 == 0:
                c.put(shapes.hpa(name, ns, target=dep, min_replicas=2, max_replicas=30,
                                 current=replicas, desired=replicas, cpu_current=55))
            if d % 25 == 0:
                c.put(shapes.ingress(name, ns, rules=[(f"{name}.example.com", "/", name, 80)]))
            rs = self.replicasets[-1]
            for _ in range(replicas):
                self._add(PodInfo(ns, f"{rs['metadata']['name']}-{rng.getrandbits(25):05x}",
                                  rng.choice(nodes),
                                  (image, "envoyproxy/envoy:v1.31.2", "fluent/fluent-bit:3.1"),
                                  shapes.owner_ref(rs), {"app": name,
                                                         "pod-template-hash": rs["metadata"]["name"]
                                                         .rsplit("-", 1)[1]},
                                  now - rng.uniform(600, 86400 * 3)))
            d += 1
        # Trouble that recurs: ~1 % crash-looping, ~2 % failing readiness now and then.
        for info in rng.sample(self.pods, len(self.pods) // 33):
            age = rng.uniform(300, TTL_S)
            crash = rng.random() < 0.33
            reason, text = (("BackOff", msg.backoff_restart("app", info.name, info.namespace,
                                                            info.obj["metadata"]["uid"]))
                            if crash else
                            ("Unhealthy", f'Readiness probe failed: Get "http://'
                                          f'{info.obj["status"]["podIP"]}:8080/ready": context '
                                          'deadline exceeded (Client.Timeout exceeded while '
                                          'awaiting headers)'))
            ev = self._event(info, reason, text, "Warning", now - age, int(age / BUMP_S) + 1)
            self.recurring.append(ev)
            self.probed.add(info.name)
        # An hour of the new-Event load, as it would stand now.
        per_min = 30 * 15 + 50 * 3
        for _ in range(int(per_min * 60 / 15)):  # churns' 15 Events, restarts' 3 (as 5 churns)
            at = now - rng.uniform(0, TTL_S)
            self._churn_events(rng.choice(self.pods), rng.choice(self.pods), at)

    def _add(self, info: PodInfo) -> None:
        info.obj = self.cluster.put(self._pod(info))
        self.pods.append(info)

    def _event(self, info: PodInfo, reason: str, text: str, type_: str, at: float,
               count: int = 1, container: str = "app", kind: str = "Pod",
               component: str = shapes.KUBELET) -> Obj:
        involved = info.obj if kind == "Pod" else self.rng.choice(self.replicasets)
        ev = shapes.event(involved, reason, text, type=type_, component=component,
                          host=info.node if component == shapes.KUBELET else None,
                          field_path=f"spec.containers{{{container}}}" if kind == "Pod"
                          and component == shapes.KUBELET else None,
                          first=at - (count - 1) * BUMP_S, last=at, count=count,
                          name=shapes.event_name(involved["metadata"]["name"],
                                                 at + self.rng.random()))
        stored = self.cluster.put(ev)
        self._written(stored, at)
        return stored

    def _written(self, ev: Obj, at: float) -> None:
        key = (ev["metadata"]["namespace"], ev["metadata"]["name"])
        self.last_write[key] = at
        heapq.heappush(self.expiry, (at, *key))

    def _churn_events(self, old: PodInfo, new: PodInfo, at: float) -> None:
        for c in CONTAINERS:
            self._event(old, "Killing", msg.killing(c), "Normal", at, container=c)
        self._event(old, "SuccessfulDelete", msg.deleted_pod(old.name), "Normal", at,
                    kind="ReplicaSet", component=shapes.REPLICASETS)
        self._event(new, "SuccessfulCreate", msg.created_pod(new.name), "Normal", at,
                    kind="ReplicaSet", component=shapes.REPLICASETS)
        sched = shapes.scheduler_event(new.obj, "Scheduled",
                                       msg.scheduled(new.namespace, new.name, new.node),
                                       type="Normal", at=at,
                                       name=shapes.event_name(new.name, at + self.rng.random()))
        self._written(self.cluster.put(sched), at)
        for c, image in zip(CONTAINERS, new.images, strict=True):
            self._event(new, "Pulled", msg.already_present(image), "Normal", at, container=c)
            self._event(new, "Created", msg.created(c), "Normal", at, container=c)
            self._event(new, "Started", msg.started(c), "Normal", at, container=c)

    # the load
    def churn(self) -> None:
        """A pod replaced: the old one deleted, a new one of the same ReplicaSet started."""
        candidates = [p for p in self.pods if p.namespace != "kube-system"]
        old = self.rng.choice(candidates)
        self.cluster.delete("v1", "Pod", old.namespace, old.name)
        self.pods.remove(old)
        base = old.name.rsplit("-", 1)[0]
        new = PodInfo(old.namespace, f"{base}-{self.rng.getrandbits(25):05x}",
                      old.node, old.images, old.owner, old.labels, time.time())
        self._add(new)
        self.writes["pod"] += 2
        self._churn_events(old, new, time.time())

    def restart(self) -> None:
        """A container terminated (OOMKilled or Error) and started again."""
        info = self.rng.choice(self.pods)
        k = self.rng.randrange(3)
        now = time.time()
        oom = self.rng.random() < 0.5
        info.restarts[k] += 1
        obj = self._pod(info)
        status = obj["status"]["containerStatuses"][k]
        status["lastState"] = shapes.terminated(
            "OOMKilled" if oom else "Error", 137 if oom else 1, started_at=info.started,
            finished_at=now - 1, container_id=shapes.container_id(
                f"{info.name}{CONTAINERS[k]}{info.restarts[k] - 1}"))
        status["state"] = {"running": {"startedAt": shapes.iso(now)}}
        info.obj = self.cluster.put(obj)
        self.writes["pod"] += 1
        c = CONTAINERS[k]
        self._event(info, "Pulled", msg.already_present(info.images[k]), "Normal", now,
                    container=c)
        self._event(info, "Created", msg.created(c), "Normal", now, container=c)
        self._event(info, "Started", msg.started(c), "Normal", now, container=c)

    def flip(self) -> None:
        """A pod's readiness changes (its probe failed, or passes again)."""
        info = self.rng.choice(self.pods)
        info.ready = not info.ready
        info.obj = self.cluster.put(self._pod(info))
        self.writes["pod"] += 1

    def bump(self) -> None:
        """A recurring Event repeats: its count and lastTimestamp bumped (MODIFIED)."""
        k = self.rng.randrange(len(self.recurring))
        ev = self.recurring[k]
        now = time.time()
        ev["count"] += 1
        ev["lastTimestamp"] = shapes.iso(now)
        ev["metadata"].pop("resourceVersion", None)
        self.recurring[k] = self.cluster.put(ev)
        self._written(self.recurring[k], now)

    def expire(self) -> int:
        """Delete the Events whose last write is an hour old."""
        horizon, gone = time.time() - TTL_S, 0
        while self.expiry and self.expiry[0][0] < horizon:
            at, ns, name = heapq.heappop(self.expiry)
            if self.last_write.get((ns, name)) == at:
                del self.last_write[(ns, name)]
                self.cluster.delete("v1", "Event", ns, name)
                gone += 1
        self.recurring = [e for e in self.recurring
                          if (e["metadata"]["namespace"], e["metadata"]["name"]) in self.last_write]
        return gone

    def probe(self) -> tuple[str, str, float]:
        """A new Event (a new episode) on a pod with none of its kind yet: (ns, pod, put at)."""
        info = self.rng.choice(self.pods)
        while info.name in self.probed:
            info = self.rng.choice(self.pods)
        self.probed.add(info.name)
        at = time.time()
        self._event(info, "ProbeWarning", 'Readiness probe warning: Get "http://'
                    f'{info.obj["status"]["podIP"]}:8080/ready": probe returned 301',
                    "Warning", at)
        return info.namespace, info.name, time.time()


def run_load(world: World, per_minute: int, stop: threading.Event, lock: threading.Lock
             ) -> None:
    """Drive the per-minute mix in steps of 0.1 s until ``stop``."""
    churns, restarts, flips = 30 * per_minute / 2000, 50 * per_minute / 2000, 100.0
    bumps = per_minute - churns * 15 - restarts * 3
    plan: list[tuple[float, Callable[[], None]]] = [
        (churns, world.churn), (restarts, world.restart), (flips, world.flip),
        (bumps, world.bump)]
    owed = [0.0] * len(plan)
    last = time.monotonic()
    while not stop.wait(0.1):
        now = time.monotonic()
        with lock:
            for k, (rate, action) in enumerate(plan):
                owed[k] += rate * (now - last) / 60
                while owed[k] >= 1:
                    action()
                    owed[k] -= 1
            world.expire()
        last = now


def api_main(args: argparse.Namespace) -> None:
    """The API server process: build, serve, then obey stdin (load / pause / probe N RATE)."""
    cluster = FakeCluster(name="bench", events_api="both")
    t0 = time.monotonic()
    world = World(cluster, args.pods)
    for info in world.pods:  # metrics-server's view of every pod
        cluster.put(shapes.pod_metrics(info.name, info.namespace,
                                       {c: (0.05, 80e6) for c in CONTAINERS}))
    server = ApiServer(cluster).start()
    server.kubeconfig(args.kubeconfig)
    counts = {k: len(cluster.objects(k)[0]) for k in ("pods", "nodes", "events", "replicasets",
                                                       "deployments")}
    _say({"ready": True, "build_s": time.monotonic() - t0, "objects": counts})
    lock = threading.Lock()
    stop = threading.Event()
    loader: threading.Thread | None = None
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["load"] and loader is None:
            stop.clear()
            loader = threading.Thread(target=run_load, args=(world, args.events_per_minute,
                                                             stop, lock), daemon=True)
            loader.start()
        elif words[:1] == ["pause"] and loader is not None:
            stop.set()
            loader.join()
            loader = None
        elif words[:1] == ["probe"]:
            n, rate = int(words[1]), float(words[2])
            for _ in range(n):
                with lock:
                    ns, pod, at = world.probe()
                _say({"probe": [ns, pod], "at": at})
                time.sleep(1 / rate)
            _say({"probes_done": True})
        elif words[:1] == ["quit"]:
            break
    stop.set()
    server.stop()


def _say(obj: Obj) -> None:
    print(json.dumps(obj), flush=True)


# -- the watchers (measured processes) -----------------------------------------------------

def _usage(started_cpu: float) -> Obj:
    me = psutil.Process()
    names = {t.native_id: t.name for t in threading.enumerate()}
    threads: dict[str, float] = {}
    for t in me.threads():
        name = names.get(t.id, "other").replace("bongsu-kube-bench-", "")
        threads[name] = threads.get(name, 0.0) + t.user_time + t.system_time
    times = me.cpu_times()
    return {"wall": time.time(), "cpu": times.user + times.system - started_cpu,
            "rss": me.memory_info().rss / 2**20, "threads": threads}


class _Profiles:
    """cProfile of the frame handling: each call of the wrapped methods, per thread."""

    def __init__(self) -> None:
        self.on = False
        self._local = threading.local()
        self.all: list[cProfile.Profile] = []

    def wrap(self, cls: type, name: str) -> None:
        original = getattr(cls, name)

        def wrapped(*a: Any, **kw: Any) -> Any:
            if not self.on:
                return original(*a, **kw)
            prof = getattr(self._local, "prof", None)
            if prof is None:
                prof = self._local.prof = cProfile.Profile()
                self.all.append(prof)
            prof.enable()
            try:
                return original(*a, **kw)
            finally:
                prof.disable()

        setattr(cls, name, wrapped)

    def report(self, top: int = 30) -> str:
        if not self.all:
            return "(nothing profiled)"
        out = io.StringIO()
        stats = pstats.Stats(self.all[0], stream=out)
        for prof in self.all[1:]:
            stats.add(prof)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        return out.getvalue()


def hub_main(args: argparse.Namespace) -> None:
    """Only the hub, against a store that counts and drops; reports on stdin's ``report``."""
    import tracemalloc

    if args.tracemalloc:
        tracemalloc.start()
    from bongsu.kube.cluster import ClusterWatch
    from bongsu.kube.config import load_clusters
    from bongsu.kube.hub import KubeHub, KubeSetup
    from bongsu.kube.sampler import PointsSampler

    class CountingStore:
        episodes = 0
        points = 0

        def save_kube_episodes(self, episodes: Any) -> None:
            self.episodes += len(episodes)

        def load(self, batch: Any, lsn: int | None) -> bool:
            self.points += batch.metrics.num_rows
            return True

        def link_kube_episodes(self, tenant: str, cluster: str, links: Any) -> int:
            return 0  # no telemetry here: nothing to link

    class NoReads:
        def kube_recent_episodes(self, tenant: str, cluster: str, since_us: int) -> list[Any]:
            return []

        def pod_links(self, tenant: str, since_us: int) -> list[Any]:
            return []

    profiles = _Profiles()
    if args.profile:
        for method in ("upsert", "delete"):
            profiles.wrap(ClusterWatch, method)
        profiles.wrap(PointsSampler, "sample")
    import pyarrow  # noqa: F401  (imported by the hub's points; counted in the base RSS)

    gc.collect()
    rss0 = psutil.Process().memory_info().rss / 2**20  # the imports, before any state
    cpu0 = sum(psutil.Process().cpu_times()[:2])
    t0 = time.time()
    store = CountingStore()
    hub = KubeHub(KubeSetup(clusters=load_clusters(f"bench={args.kubeconfig}")), store,
                  NoReads())
    hub.start()
    watch = hub.watches[0]
    while watch.status().state != "connected" or len(watch.pods) < args.pods:
        time.sleep(0.05)
    listed = _usage(cpu0)
    gc.collect()
    listed.update(phase="listed", list_s=time.time() - t0, rss_gc=_usage(cpu0)["rss"],
                  rss0=rss0, state=_state_counts(watch))
    if args.trim:  # what of the RSS is freed heap the allocator kept (glibc)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        listed["rss_trimmed"] = _usage(cpu0)["rss"]
    if args.tracemalloc:
        listed["traced_mib"] = tracemalloc.get_traced_memory()[0] / 2**20
        listed["traced_top"] = [str(s) for s in tracemalloc.take_snapshot()
                                .statistics("filename")[:8]]
    _say(listed)
    for line in sys.stdin:
        if line.startswith("report"):
            profiles.on = True
            report = _usage(cpu0)
            report.update(state=_state_counts(watch), store_episodes=store.episodes,
                          store_points=store.points)
            if args.tracemalloc:
                report["traced_mib"] = tracemalloc.get_traced_memory()[0] / 2**20
            _say(report)
        elif line.startswith("quit"):
            break
    if args.profile:
        sys.stderr.write(profiles.report())
        sys.stderr.flush()
    os._exit(0)  # the hub's threads are not the subject; do not wait on their reads


def _state_counts(watch: Any) -> Obj:
    return {"pods": len(watch.pods), "nodes": len(watch.nodes),
            "workloads": len(watch.workloads), "episodes": len(watch.book),
            "opened": watch.episodes_opened, "updated": watch.episodes_updated}


def naive_main(args: argparse.Namespace) -> None:
    """The official client the default way: typed lists, typed watches, every object kept."""
    from kubernetes import client, config, watch
    from kubernetes.client.exceptions import ApiException

    config.load_kube_config(str(args.kubeconfig))  # type: ignore[no-untyped-call]
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    lists: dict[str, Callable[..., Any]] = {
        "events": core.list_event_for_all_namespaces, "pods": core.list_pod_for_all_namespaces,
        "nodes": core.list_node,
        "hpas": client.AutoscalingV2Api().list_horizontal_pod_autoscaler_for_all_namespaces,
        "deployments": apps.list_deployment_for_all_namespaces,
        "replicasets": apps.list_replica_set_for_all_namespaces,
        "statefulsets": apps.list_stateful_set_for_all_namespaces,
        "daemonsets": apps.list_daemon_set_for_all_namespaces,
        "ingresses": client.NetworkingV1Api().list_ingress_for_all_namespaces,
    }
    kept: dict[str, dict[tuple[str, str], Any]] = {name: {} for name in lists}
    listed: set[str] = set()
    frames = [0]

    def key(obj: Any) -> tuple[str, str]:
        return (obj.metadata.namespace or "", obj.metadata.name)

    def loop(name: str, fn: Callable[..., Any]) -> None:
        while True:
            objects: dict[tuple[str, str], Any] = {}
            token = None
            while True:
                page = fn(limit=500, _continue=token)
                for obj in page.items:
                    objects[key(obj)] = obj
                token = page.metadata._continue
                if not token:
                    break
            kept[name] = objects
            listed.add(name)
            try:
                stream = watch.Watch().stream  # type: ignore[no-untyped-call]
                for ev in stream(fn, resource_version=page.metadata.resource_version,
                                 allow_watch_bookmarks=True):  # type: ignore[no-untyped-call]
                    frames[0] += 1
                    if ev["type"] == "DELETED":
                        objects.pop(key(ev["object"]), None)
                    elif ev["type"] in ("ADDED", "MODIFIED"):
                        objects[key(ev["object"])] = ev["object"]
            except ApiException as exc:
                if exc.status != 410:
                    raise

    gc.collect()
    rss0 = psutil.Process().memory_info().rss / 2**20
    cpu0 = sum(psutil.Process().cpu_times()[:2])
    t0 = time.time()
    for name, fn in lists.items():
        threading.Thread(target=loop, args=(name, fn), name=f"bench-{name}", daemon=True).start()
    while len(listed) < len(lists):
        time.sleep(0.05)
    report = _usage(cpu0)
    gc.collect()
    report.update(phase="listed", list_s=time.time() - t0, rss_gc=_usage(cpu0)["rss"],
                  rss0=rss0, state={n: len(v) for n, v in kept.items()})
    _say(report)
    for line in sys.stdin:
        if line.startswith("report"):
            report = _usage(cpu0)
            report.update(state={n: len(v) for n, v in kept.items()}, frames=frames[0])
            _say(report)
        elif line.startswith("quit"):
            break
    os._exit(0)


# -- the run -------------------------------------------------------------------------------

class Child:
    """A process of this script in one of its roles, talking JSON lines."""

    def __init__(self, role: str, args: argparse.Namespace, stderr: IO[bytes] | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        self.role = role
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--role", role, "--pods", str(args.pods),
             "--events-per-minute", str(args.events_per_minute), "--kubeconfig",
             str(args.kubeconfig), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self, timeout: float) -> Obj:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"no answer from {self.role} in {timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.role} exited ({self.proc.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def ask(self, line: str, timeout: float = 60) -> Obj:
        self.send(line)
        return self.read(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Watched:
    listed: Obj
    reports: list[Obj]
    stderr: str = ""

    @property
    def steady_cpu(self) -> float:
        first, last = self.reports[0], self.reports[-1]
        return float((last["cpu"] - first["cpu"]) / (last["wall"] - first["wall"]))

    def steady_threads(self) -> dict[str, float]:
        first, last = self.reports[0], self.reports[-1]
        wall = last["wall"] - first["wall"]
        return {n: (s - first["threads"].get(n, 0.0)) / wall for n, s in last["threads"].items()}


def measure(role: str, api: Child, args: argparse.Namespace) -> Watched:
    extra = tuple(f for f, on in (("--profile", args.profile), ("--trim", args.trim),
                                  ("--tracemalloc", args.tracemalloc)) if on)
    err = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the child)
    child = Child(role, args, stderr=err, extra=extra if role == "hub" else ())
    try:
        listed = child.read(600)
        print(f"  {role}: listed in {listed['list_s']:.1f} s, CPU {listed['cpu']:.1f} s, "
              f"RSS {listed['rss']:.0f} MiB ({listed['rss_gc']:.0f} after gc; "
              f"{listed['rss0']:.0f} before the first request)  {listed['state']}",
              flush=True)
        api.send("load")
        time.sleep(10)  # the load's first seconds: the watch connections settle
        reports = [child.ask("report")]
        steps = max(1, round(args.minutes * 60 / args.report_s))
        for _ in range(steps):
            time.sleep(args.report_s)
            reports.append(child.ask("report"))
            r = reports[-1]
            print(f"    t+{r['wall'] - reports[0]['wall']:.0f} s: RSS {r['rss']:.0f} MiB, "
                  f"CPU {(r['cpu'] - reports[-2]['cpu']) / args.report_s:.1%}  {r['state']}",
                  flush=True)
        api.send("pause")
    finally:
        child.stop()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        err.close()
    return Watched(listed, reports, stderr)


def freshness(api: Child, args: argparse.Namespace, tmp: Path) -> Obj:
    """Put new Events on the API; time each until the server's events API returns it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.server_process import ServerProcess

    server = ServerProcess(tmp / "data", {"BONGSU_KUBE_CLUSTERS": f"bench={args.kubeconfig}"})
    (tmp / "data").mkdir()
    server.start()
    try:
        t0 = time.monotonic()
        while True:
            body = _get(server.api_url + "/api/v1/kube/clusters")
            cluster = body["clusters"][0]
            if cluster["state"] == "connected" and cluster["pods"]["total"] >= args.pods:
                break
            if time.monotonic() - t0 > 600:
                raise TimeoutError(f"server did not list the cluster: {cluster}")
            time.sleep(0.5)
        listed_s = time.monotonic() - t0
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        api.send("load")
        # Just listed, the server is still storing the hour of episodes the list brought
        # (13,000 of them): probes in those seconds measure that catch-up, not the watch.
        time.sleep(args.settle_s)
        cpu0, wall0 = _tree_cpu(proc), time.time()
        put: dict[tuple[str, str], float] = {}
        seen: dict[tuple[str, str], float] = {}
        api.send(f"probe {args.probes} 5")
        done = False
        while not done or len(seen) < len(put):
            for obj in _pending_lines(api, 0.1 if not done else 0.0):
                if "probe" in obj:
                    put[(obj["probe"][0], obj["probe"][1])] = obj["at"]
                done = done or "probes_done" in obj
            waiting = [at for k, at in put.items() if k not in seen]
            if waiting:
                since_ms = int((min(waiting) - 2) * 1000)
                found = _get(f"{server.api_url}/api/v1/events?reason=ProbeWarning"
                             f"&from={since_ms}&limit=1000")["events"]
                now = time.time()
                for ev in found:
                    k = (ev["namespace"], ev["object_name"])
                    if k in put and k not in seen:
                        seen[k] = now
            if put and time.time() - max(put.values()) > 60:
                break  # a probe never seen in a minute: counted as missing
        cpu = (_tree_cpu(proc) - cpu0) / (time.time() - wall0)
        api.send("pause")
        rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20
    finally:
        server.stop()
    delays = sorted(seen[k] - put[k] for k in seen)
    start = min(put.values(), default=0.0)
    slow = sorted((put[k] - start, seen[k] - put[k]) for k in seen if seen[k] - put[k] > 2)
    return {"listed_s": listed_s, "delays": delays, "slow": slow, "missing": len(put) - len(seen),
            "server_cpu": cpu, "server_rss": rss}


def _pending_lines(child: Child, timeout: float) -> Iterator[Obj]:
    assert child.proc.stdout is not None
    while select.select([child.proc.stdout], [], [], timeout)[0]:
        yield json.loads(child.proc.stdout.readline())
        timeout = 0.0


def _tree_cpu(proc: psutil.Process) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in [proc, *proc.children(recursive=True)])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--events-per-minute", type=int, default=2_000)
    parser.add_argument("--minutes", type=float, default=1.0, help="steady state per watcher")
    parser.add_argument("--report-s", type=float, default=30.0)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--settle-s", type=float, default=30.0,
                        help="freshness: seconds of load after the server's list before probing")
    parser.add_argument("--only", choices=("bongsu", "naive", "freshness"), action="append")
    parser.add_argument("--profile", action="store_true", help="cProfile the hub's frame handling")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace the hub's allocations (its CPU figures are then not valid)")
    parser.add_argument("--trim", action="store_true",
                        help="after the hub's list, malloc_trim(0) and report the RSS again")
    parser.add_argument("--role", choices=("api", "hub", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "api":
        return api_main(args)
    if args.role == "hub":
        return hub_main(args)
    if args.role == "naive":
        return naive_main(args)

    parts = args.only or ["bongsu", "naive", "freshness"]
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        args.kubeconfig = tmp / "bench.kubeconfig"
        print(f"building the cluster ({args.pods:,} pods) …", flush=True)
        api = Child("api", args)
        try:
            ready = api.read(900)
            print(f"  built in {ready['build_s']:.0f} s: {ready['objects']}", flush=True)
            results: dict[str, Watched] = {}
            for role, part in (("hub", "bongsu"), ("naive", "naive")):
                if part in parts:
                    print(f"{part}:", flush=True)
                    results[part] = measure(role, api, args)
            fresh = freshness(api, args, tmp) if "freshness" in parts else None
        finally:
            api.stop()
    print()
    for part, w in results.items():
        first, last = w.reports[0], w.reports[-1]
        print(f"{part}: initial list {w.listed['list_s']:.1f} s wall, {w.listed['cpu']:.1f} s CPU;"
              f" RSS after list {w.listed['rss']:.0f} MiB ({w.listed['rss_gc']:.0f} after gc),"
              f" at the end {last['rss']:.0f} MiB; of which imports {w.listed['rss0']:.0f} MiB;"
              f" steady CPU {w.steady_cpu:.1%} of a core over "
              f"{last['wall'] - first['wall']:.0f} s")
        if "store_points" in last:
            minutes = (last["wall"] - first["wall"]) / 60
            print(f"  handed to the store per minute: "
                  f"{(last['store_points'] - first['store_points']) / minutes:,.0f} metric "
                  f"points, {(last['store_episodes'] - first['store_episodes']) / minutes:,.0f}"
                  " episode writes")
        busiest = sorted(w.steady_threads().items(), key=lambda kv: -kv[1])[:6]
        print("  threads: " + "  ".join(f"{n} {v:.1%}" for n, v in busiest))
        if "rss_trimmed" in w.listed:
            print(f"  RSS after the list and malloc_trim(0): {w.listed['rss_trimmed']:.0f} MiB")
        if "traced_mib" in w.listed:
            print(f"  tracemalloc after list: {w.listed['traced_mib']:.0f} MiB; "
                  f"end {last.get('traced_mib', 0):.0f} MiB")
            print("   " + "\n   ".join(w.listed["traced_top"]))
        if w.stderr.strip():
            print(w.stderr[-12000:])
    if "bongsu" in results and "naive" in results:
        b, n = results["bongsu"], results["naive"]
        state_b = b.reports[-1]["rss"] - b.listed["rss0"]
        state_n = n.reports[-1]["rss"] - n.listed["rss0"]
        print(f"naive ÷ Bongsu: RSS after list {n.listed['rss'] / b.listed['rss']:.1f}x, "
              f"RSS at the end {n.reports[-1]['rss'] / b.reports[-1]['rss']:.1f}x, "
              f"RSS above the imports at the end {state_n:.0f} / {state_b:.0f} MiB = "
              f"{state_n / state_b:.1f}x, "
              f"list CPU {n.listed['cpu'] / b.listed['cpu']:.1f}x, "
              f"steady CPU {n.steady_cpu / b.steady_cpu:.1f}x")
    if fresh is not None:
        d = fresh["delays"]
        if d:
            print(f"freshness ({len(d)} new Events, {fresh['missing']} missing): median "
                  f"{_pct(d, 0.5):.2f} s  p95 {_pct(d, 0.95):.2f} s  max {d[-1]:.2f} s;"
                  f" server listed the cluster in {fresh['listed_s']:.0f} s, CPU under load "
                  f"{fresh['server_cpu']:.1%} (with its decoder), "
                  f"RSS {fresh['server_rss']:.0f} MiB")
            if fresh["slow"]:
                print("  over 2 s (put at +s after the first: delay s): " + ", ".join(
                    f"+{at:.1f}: {d:.1f}" for at, d in fresh["slow"]))
        else:
            print(f"freshness: no probe seen ({fresh['missing']} missing)")


if __name__ == "__main__":
    main()
