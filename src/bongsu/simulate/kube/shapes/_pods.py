"""Pods, their containers' states, and nodes, shaped like a kubelet reports them.

Example::

    spec = container("frontend", "ghcr.io/shop/frontend:1.8.2", memory_limit="256Mi")
    crashed = terminated("Error", 1, started_at=t - 40, finished_at=t - 30,
                         container_id="containerd://4f1c…")
    status = waiting("frontend", spec["image"], "CrashLoopBackOff",
                     "back-off 40s restarting failed container=frontend pod=…",
                     restarts=3, last=crashed)
    p = pod("frontend-7d9f8c-x2k4p", "shop", node="node-1", containers=[spec],
            statuses=[status], owner=owner_ref(replicaset_obj))
"""

from __future__ import annotations

import hashlib
from typing import Any

from bongsu.simulate.kube.shapes._common import Obj, iso, meta
from bongsu.simulate.kube.shapes._common import cpu as cpu_q
from bongsu.simulate.kube.shapes._common import memory as mem_q


def container_id(seed: str) -> str:
    """A containerd container id, stable for ``seed``."""
    return "containerd://" + hashlib.sha256(seed.encode()).hexdigest()


def image_id(image: str) -> str:
    repo = image.rsplit(":", 1)[0]
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def container(name: str, image: str, *, cpu_request: str | None = "100m",
              cpu_limit: str | None = None, memory_request: str | None = "128Mi",
              memory_limit: str | None = "256Mi", port: int | None = 8080,
              host_port: int | None = None) -> Obj:
    """A container of a pod's spec, with its resources."""
    requests = {k: v for k, v in (("cpu", cpu_request), ("memory", memory_request)) if v}
    limits = {k: v for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v}
    out: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
                "resources": {**({"requests": requests} if requests else {}),
                              **({"limits": limits} if limits else {})},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"}
    if port is not None:
        p: Obj = {"containerPort": port, "name": "http", "protocol": "TCP"}
        if host_port is not None:
            p["hostPort"] = host_port
        out["ports"] = [p]
    return out


def terminated(reason: str, exit_code: int, *, started_at: float, finished_at: float,
               container_id: str, signal: int | None = None,
               message: str | None = None) -> Obj:
    """A ``terminated`` state (for ``state`` or ``lastState``)."""
    out: Obj = {"exitCode": exit_code, "reason": reason, "startedAt": iso(started_at),
                "finishedAt": iso(finished_at), "containerID": container_id}
    if signal is not None:
        out["signal"] = signal
    if message:
        out["message"] = message
    return {"terminated": out}


def _status(name: str, image: str, state: Obj, *, ready: bool, restarts: int,
            last: Obj | None, cid: str | None) -> Obj:
    out: Obj = {"name": name, "image": image, "imageID": image_id(image) if cid else "",
                "ready": ready, "started": ready, "restartCount": restarts,
                "state": state, "lastState": last or {}}
    if cid:
        out["containerID"] = cid
    return out


def running(name: str, image: str, *, started_at: float, restarts: int = 0,
            last: Obj | None = None, ready: bool = True, cid: str | None = None) -> Obj:
    """A running container's status (``last``: a :func:`terminated` state)."""
    return _status(name, image, {"running": {"startedAt": iso(started_at)}}, ready=ready,
                   restarts=restarts, last=last, cid=cid or container_id(f"{name}{started_at}"))


def waiting(name: str, image: str, reason: str, message: str = "", *, restarts: int = 0,
            last: Obj | None = None, cid: str | None = None) -> Obj:
    """A waiting container's status: CrashLoopBackOff, ErrImagePull, ImagePullBackOff …"""
    state: Obj = {"reason": reason}
    if message:
        state["message"] = message
    return _status(name, image, {"waiting": state}, ready=False, restarts=restarts, last=last,
                   cid=cid)


def _conditions(ready: bool, scheduled: bool, at: str) -> list[Obj]:
    def c(kind: str, ok: bool) -> Obj:
        out: Obj = {"type": kind, "status": "True" if ok else "False",
                    "lastProbeTime": None, "lastTransitionTime": at}
        if not ok and kind in ("Ready", "ContainersReady"):
            out["reason"] = "ContainersNotReady"
        return out

    if not scheduled:
        return [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                 "lastTransitionTime": at, "reason": "Unschedulable"}]
    return [c("PodReadyToStartContainers", True), c("Initialized", True), c("Ready", ready),
            c("ContainersReady", ready), c("PodScheduled", True)]


def pod(name: str, namespace: str, *, node: str | None, containers: list[Obj],
        statuses: list[Obj] | None = None, owner: Obj | None = None,
        labels: dict[str, str] | None = None, phase: str = "Running",
        pod_ip: str | None = None, host_ip: str | None = None, created: float | None = None,
        started: float | None = None, reason: str | None = None, message: str | None = None,
        uid: str | None = None) -> Obj:
    """A Pod; ``node=None`` with phase Pending is an unscheduled pod."""
    statuses = statuses or []
    ready = phase == "Running" and bool(statuses) and all(s.get("ready") for s in statuses)
    at = iso(started if started is not None else created)
    status: Obj = {"phase": phase, "conditions": _conditions(ready, node is not None, at),
                   "qosClass": _qos(containers)}
    if node is not None:
        status.update(hostIP=host_ip or "10.0.0.1", podIP=pod_ip or "10.244.0.10",
                      podIPs=[{"ip": pod_ip or "10.244.0.10"}], startTime=at,
                      containerStatuses=statuses)
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    spec: Obj = {"containers": containers, "restartPolicy": "Always",
                 "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                 "serviceAccountName": "default", "schedulerName": "default-scheduler",
                 "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
                 "priority": 0}
    if node is not None:
        spec["nodeName"] = node
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": meta(name, namespace, labels=labels, created=created, uid=uid,
                             owners=[owner] if owner else None),
            "spec": spec, "status": status}


def _qos(containers: list[Obj]) -> str:
    res = [c.get("resources", {}) for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in res):
        return "BestEffort"
    if all(r.get("limits") and r.get("requests") == r.get("limits") for r in res):
        return "Guaranteed"
    return "Burstable"


def node(name: str, *, ready: bool = True, boot_id: str, cpu: str = "4",
         memory: str = "16323684Ki", labels: dict[str, str] | None = None,
         created: float | None = None, transition: float | None = None,
         kubelet_version: str = "v1.30.5", internal_ip: str = "10.0.1.23",
         provider_id: str | None = None) -> Obj:
    """A Node with its Ready condition (``ready=False``: the kubelet stopped posting status)."""
    at = iso(transition if transition is not None else created)
    ready_cond: Obj = (
        {"type": "Ready", "status": "True", "reason": "KubeletReady",
         "message": "kubelet is posting ready status"} if ready else
        {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
         "message": "Kubelet stopped posting node status."})
    pressure = [{"type": t, "status": "False" if ready else "Unknown",
                 "reason": r if ready else "NodeStatusUnknown",
                 "message": m if ready else "Kubelet stopped posting node status."}
                for t, r, m in (
                    ("MemoryPressure", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    ("PIDPressure", "KubeletHasSufficientPID",
                     "kubelet has sufficient PID available"))]
    conditions = [{**c, "lastHeartbeatTime": iso(), "lastTransitionTime": at}
                  for c in (*pressure, ready_cond)]
    base_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                   "kubernetes.io/arch": "amd64", **(labels or {})}
    spec: Obj = {"podCIDR": "10.244.0.0/24"}
    if provider_id:
        spec["providerID"] = provider_id
    if not ready:
        spec["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
                           "timeAdded": at}]
    alloc_cpu = f"{int(float(cpu) * 1000) - 100}m"
    capacity: dict[str, Any] = {"cpu": cpu, "memory": memory, "pods": "110",
                                "ephemeral-storage": "83873772Ki"}
    return {"kind": "Node", "apiVersion": "v1",
            "metadata": meta(name, labels=base_labels, created=created),
            "spec": spec,
            "status": {
                "capacity": capacity,
                "allocatable": {**capacity, "cpu": alloc_cpu},
                "conditions": conditions,
                "addresses": [{"type": "InternalIP", "address": internal_ip},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"bootID": boot_id, "machineID": boot_id.replace("-", ""),
                             "systemUUID": boot_id, "kernelVersion": "6.1.0-28-cloud-amd64",
                             "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "containerRuntimeVersion": "containerd://1.7.22",
                             "kubeletVersion": kubelet_version,
                             "kubeProxyVersion": kubelet_version, "operatingSystem": "linux",
                             "architecture": "amd64"},
            }}


def pod_metrics(name: str, namespace: str, usage: dict[str, tuple[float, float]], *,
                at: float | None = None, labels: dict[str, str] | None = None,
                window_s: int = 15) -> Obj:
    """metrics.k8s.io PodMetrics; ``usage``: container → (CPU cores, memory bytes)."""
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": meta(name, namespace, labels=labels, created=at),
            "timestamp": iso(at), "window": f"{window_s}s",
            "containers": [{"name": c, "usage": {"cpu": cpu_q(cores), "memory": mem_q(mem)}}
                           for c, (cores, mem) in usage.items()]}


def node_metrics(name: str, cores: float, num_bytes: float, *, at: float | None = None,
                 window_s: int = 20) -> Obj:
    """metrics.k8s.io NodeMetrics."""
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": meta(name, created=at), "timestamp": iso(at),
            "window": f"{window_s}s", "usage": {"cpu": cpu_q(cores), "memory": mem_q(num_bytes)}}
