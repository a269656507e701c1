"""Server-side printing: meta.k8s.io/v1 Tables, which kubectl asks for on ``get``.

kubectl sends ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and prints the
cells as they come, so the columns here are the ones a real API server's printers use
(``kubectl get pods``: NAME READY STATUS RESTARTS AGE, and so on).

Example::

    table(resource, [pod], include="Metadata")["rows"][0]["cells"][:3]  # [name, "1/1", "Running"]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bongsu.simulate.kube._resources import Resource

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority (1: only with -o wide)


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    return datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def age(ts: str | None, now: datetime | None = None) -> str:
    """A duration the way kubectl shows it: 45s, 12m, 3h20m, 5d."""
    then = _parse(ts)
    if then is None:
        return "<unknown>"
    s = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    if s < 120:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m{s % 60}s" if s % 60 else f"{s // 60}m"
    if s < 3 * 3600:
        return f"{s // 60}m"
    if s < 8 * 3600:
        return f"{s // 3600}h{s % 3600 // 60}m" if s % 3600 // 60 else f"{s // 3600}h"
    if s < 48 * 3600:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def pod_status(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods`` (Evicted, CrashLoopBackOff, Running …)."""
    status = pod.get("status", {})
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    reason = status.get("reason") or status.get("phase", "Unknown")
    for c in status.get("containerStatuses") or []:
        state = c.get("state", {})
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            t = state["terminated"]
            reason = t.get("reason") or f"ExitCode:{t.get('exitCode', 0)}"
    return str(reason)


def _pod_cells(pod: Obj) -> list[Any]:
    status = pod.get("status", {})
    containers = status.get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers", [])) or len(containers)
    ready = sum(1 for c in containers if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in containers)
    last = max((c.get("lastState", {}).get("terminated", {}).get("finishedAt", "")
                for c in containers), default="")
    restart_text = f"{restarts} ({age(last)} ago)" if restarts and last else str(restarts)
    return [pod["metadata"]["name"], f"{ready}/{total}", pod_status(pod), restart_text,
            age(pod["metadata"].get("creationTimestamp")), status.get("podIP") or "<none>",
            pod.get("spec", {}).get("nodeName") or "<none>", "<none>", "<none>"]


def _event_cells(ev: Obj) -> list[Any]:
    obj = ev.get("involvedObject") or ev.get("regarding") or {}
    series = ev.get("series") or {}
    last = (series.get("lastObservedTime") or ev.get("lastTimestamp")
            or ev.get("deprecatedLastTimestamp") or ev.get("eventTime"))
    first = (ev.get("firstTimestamp") or ev.get("deprecatedFirstTimestamp")
             or ev.get("eventTime"))
    source = ev.get("source") or ev.get("deprecatedSource") or {}
    component = source.get("component") or ev.get("reportingComponent") \
        or ev.get("reportingController") or ""
    count = series.get("count") or ev.get("count") or ev.get("deprecatedCount") or 1
    return [age(last), ev.get("type", ""), ev.get("reason", ""),
            f"{str(obj.get('kind', '')).lower()}/{obj.get('name', '')}",
            ev.get("message") or ev.get("note") or "", obj.get("fieldPath", ""),
            ", ".join(p for p in (component, source.get("host", "")) if p), age(first),
            count, ev["metadata"]["name"]]


def _node_cells(node: Obj) -> list[Any]:
    conditions = node.get("status", {}).get("conditions", [])
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    labels = node["metadata"].get("labels", {})
    roles = ",".join(sorted(k.rsplit("/", 1)[1] for k in labels
                            if k.startswith("node-role.kubernetes.io/"))) or "<none>"
    info = node.get("status", {}).get("nodeInfo", {})
    return [node["metadata"]["name"], status, roles,
            age(node["metadata"].get("creationTimestamp")), info.get("kubeletVersion", ""),
            info.get("osImage", ""), info.get("kernelVersion", ""),
            info.get("containerRuntimeVersion", "")]


def _deployment_cells(d: Obj) -> list[Any]:
    s = d.get("status", {})
    return [d["metadata"]["name"], f"{s.get('readyReplicas', 0)}/{d['spec'].get('replicas', 1)}",
            s.get("updatedReplicas", 0), s.get("availableReplicas", 0),
            age(d["metadata"].get("creationTimestamp"))]


def _replicaset_cells(rs: Obj) -> list[Any]:
    s = rs.get("status", {})
    return [rs["metadata"]["name"], rs["spec"].get("replicas", 1), s.get("replicas", 0),
            s.get("readyReplicas", 0), age(rs["metadata"].get("creationTimestamp"))]


def _statefulset_cells(sts: Obj) -> list[Any]:
    s = sts.get("status", {})
    wanted = sts["spec"].get("replicas", 1)
    return [sts["metadata"]["name"], f"{s.get('readyReplicas', 0)}/{wanted}",
            age(sts["metadata"].get("creationTimestamp"))]


def _daemonset_cells(ds: Obj) -> list[Any]:
    s = ds.get("status", {})
    selector = ds.get("spec", {}).get("template", {}).get("spec", {}).get("nodeSelector", {})
    return [ds["metadata"]["name"], s.get("desiredNumberScheduled", 0),
            s.get("currentNumberScheduled", 0), s.get("numberReady", 0),
            s.get("updatedNumberScheduled", 0), s.get("numberAvailable", 0),
            ",".join(f"{k}={v}" for k, v in selector.items()) or "<none>",
            age(ds["metadata"].get("creationTimestamp"))]


def _hpa_targets(hpa: Obj) -> str:
    current = {m.get("resource", {}).get("name"): m.get("resource", {}).get("current", {})
               for m in hpa.get("status", {}).get("currentMetrics") or []
               if m.get("type") == "Resource"}
    parts = []
    for m in hpa["spec"].get("metrics", []):
        if m.get("type") != "Resource":
            continue
        name = m["resource"]["name"]
        target = m["resource"].get("target", {})
        now = current.get(name, {})
        shown = now.get("averageUtilization")
        if "averageUtilization" in target:
            parts.append(f"{name}: {'<unknown>' if shown is None else f'{shown}%'}"
                         f"/{target['averageUtilization']}%")
        else:
            parts.append(f"{name}: {now.get('averageValue', '<unknown>')}"
                         f"/{target.get('averageValue', '')}")
    return ", ".join(parts) or "<none>"


def _hpa_cells(hpa: Obj) -> list[Any]:
    ref = hpa["spec"]["scaleTargetRef"]
    return [hpa["metadata"]["name"], f"{ref['kind']}/{ref['name']}", _hpa_targets(hpa),
            hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"],
            hpa.get("status", {}).get("currentReplicas", 0),
            age(hpa["metadata"].get("creationTimestamp"))]


def _ingress_cells(ing: Obj) -> list[Any]:
    spec = ing.get("spec", {})
    hosts = ",".join(r.get("host", "*") for r in spec.get("rules", [])) or "*"
    lb = ing.get("status", {}).get("loadBalancer", {}).get("ingress", [])
    address = ",".join(x.get("ip") or x.get("hostname", "") for x in lb)
    ports = "80, 443" if spec.get("tls") else "80"
    return [ing["metadata"]["name"], spec.get("ingressClassName") or "<none>", hosts, address,
            ports, age(ing["metadata"].get("creationTimestamp"))]


def _namespace_cells(ns: Obj) -> list[Any]:
    return [ns["metadata"]["name"], ns.get("status", {}).get("phase", "Active"),
            age(ns["metadata"].get("creationTimestamp"))]


def _default_cells(obj: Obj) -> list[Any]:
    return [obj["metadata"]["name"], age(obj["metadata"].get("creationTimestamp"))]


_S, _I = "string", "integer"
PRINTERS: dict[str, tuple[list[Column], Callable[[Obj], list[Any]]]] = {
    "Pod": ([("Name", _S, 0), ("Ready", _S, 0), ("Status", _S, 0), ("Restarts", _S, 0),
             ("Age", _S, 0), ("IP", _S, 1), ("Node", _S, 1), ("Nominated Node", _S, 1),
             ("Readiness Gates", _S, 1)], _pod_cells),
    "Event": ([("Last Seen", _S, 0), ("Type", _S, 0), ("Reason", _S, 0), ("Object", _S, 0),
               ("Message", _S, 0), ("Subobject", _S, 1), ("Source", _S, 1),
               ("First Seen", _S, 1), ("Count", _I, 1), ("Name", _S, 1)], _event_cells),
    "Node": ([("Name", _S, 0), ("Status", _S, 0), ("Roles", _S, 0), ("Age", _S, 0),
              ("Version", _S, 0), ("OS-Image", _S, 1), ("Kernel-Version", _S, 1),
              ("Container-Runtime", _S, 1)], _node_cells),
    "Deployment": ([("Name", _S, 0), ("Ready", _S, 0), ("Up-to-date", _I, 0),
                    ("Available", _I, 0), ("Age", _S, 0)], _deployment_cells),
    "ReplicaSet": ([("Name", _S, 0), ("Desired", _I, 0), ("Current", _I, 0), ("Ready", _I, 0),
                    ("Age", _S, 0)], _replicaset_cells),
    "StatefulSet": ([("Name", _S, 0), ("Ready", _S, 0), ("Age", _S, 0)], _statefulset_cells),
    "DaemonSet": ([("Name", _S, 0), ("Desired", _I, 0), ("Current", _I, 0), ("Ready", _I, 0),
                   ("Up-to-date", _I, 0), ("Available", _I, 0), ("Node Selector", _S, 0),
                   ("Age", _S, 0)], _daemonset_cells),
    "HorizontalPodAutoscaler": ([("Name", _S, 0), ("Reference", _S, 0), ("Targets", _S, 0),
                                 ("MinPods", _S, 0), ("MaxPods", _I, 0), ("Replicas", _I, 0),
                                 ("Age", _S, 0)], _hpa_cells),
    "Ingress": ([("Name", _S, 0), ("Class", _S, 0), ("Hosts", _S, 0), ("Address", _S, 0),
                 ("Ports", _S, 0), ("Age", _S, 0)], _ingress_cells),
    "Namespace": ([("Name", _S, 0), ("Status", _S, 0), ("Age", _S, 0)], _namespace_cells),
}
_DEFAULT: tuple[list[Column], Callable[[Obj], list[Any]]] = (
    [("Name", _S, 0), ("Age", _S, 0)], _default_cells)


def _row_object(obj: Obj, res: Resource, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}


def table(res: Resource, objects: list[Obj], include: str = "Metadata",
          list_meta: Obj | None = None, headers: bool = True) -> Obj:
    """The Table for ``objects`` of ``res``; ``include`` is the ``includeObject`` parameter."""
    columns, cells = PRINTERS.get(res.kind, _DEFAULT)
    rows = []
    for obj in objects:
        row: Obj = {"cells": cells(obj)}
        partial = _row_object(obj, res, include)
        if partial is not None:
            row["object"] = partial
        rows.append(row)
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta or {},
                "rows": rows}
    if headers:
        out["columnDefinitions"] = [
            {"name": name, "type": kind, "format": "name" if name == "Name" else "",
             "description": "", "priority": prio} for name, kind, prio in columns]
    return out
