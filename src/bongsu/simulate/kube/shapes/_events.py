"""core/v1 Events as the components post them.

The kubelet and the controllers post the legacy shape: ``source{component,host}``,
first/last timestamps and a count, ``eventTime`` null. The scheduler posts through
events.k8s.io: first/last timestamps null, no count, ``eventTime`` and later ``series``,
``source: {}``, the component in ``reportingComponent`` (see FACTS).

Example::

    ev = event(pod_obj, "BackOff", msg.backoff_restart(...), type="Warning",
               component="kubelet", host="node-1", field_path="spec.containers{frontend}")
    sched = scheduler_event(pod_obj, "FailedScheduling", msg.failed_scheduling(...))
"""

from __future__ import annotations

import time

from bongsu.simulate.kube.shapes._common import Obj, iso, micro, object_ref

KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
DEPLOYMENTS = "deployment-controller"
REPLICASETS = "replicaset-controller"
NODES = "node-controller"
HPA = "horizontal-pod-autoscaler"
CONTROLLER_MANAGER = "kube-controller-manager"


def event_name(involved_name: str, at: float) -> str:
    """``<object>.<hex nanoseconds>``, the name the event broadcaster gives an Event."""
    return f"{involved_name}.{int(at * 1e9):x}"


def event(involved: Obj, reason: str, message: str, *, type: str = "Normal",
          component: str, host: str | None = None, field_path: str | None = None,
          first: float | None = None, last: float | None = None, count: int = 1,
          name: str | None = None, ref: Obj | None = None) -> Obj:
    """A legacy-recorder Event about ``involved`` (an object, or pass ``ref`` directly)."""
    first = time.time() if first is None else first
    last = first if last is None else last
    involved_ref = ref or object_ref(involved, field_path)
    namespace = involved_ref.get("namespace", "default")
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {"kind": "Event", "apiVersion": "v1",
            "metadata": {"name": name or event_name(involved_ref["name"], first),
                         "namespace": namespace, "creationTimestamp": iso(first)},
            "involvedObject": involved_ref, "reason": reason, "message": message,
            "source": source, "firstTimestamp": iso(first), "lastTimestamp": iso(last),
            "count": count, "type": type, "eventTime": None,
            "reportingComponent": component, "reportingInstance": host or ""}


def scheduler_event(involved: Obj, reason: str, message: str, *,
                    type: str = "Warning",
                    at: float | None = None, series: tuple[int, float] | None = None,
                    name: str | None = None, instance: str = "default-scheduler-cp-1") -> Obj:
    """An events.k8s.io-recorder Event (the scheduler's), stored in the core/v1 shape."""
    at = time.time() if at is None else at
    ref = object_ref(involved)
    out: Obj = {"kind": "Event", "apiVersion": "v1",
                "metadata": {"name": name or event_name(ref["name"], at),
                             "namespace": ref.get("namespace", "default"),
                             "creationTimestamp": iso(at)},
                "involvedObject": ref, "reason": reason, "message": message, "source": {},
                "firstTimestamp": None, "lastTimestamp": None, "type": type,
                "eventTime": micro(at), "action": "Scheduling",
                "reportingComponent": "default-scheduler", "reportingInstance": instance}
    if series is not None:
        count, last = series
        out["series"] = {"count": count, "lastObservedTime": micro(last)}
    return out


def node_ref(node_name: str) -> Obj:
    """The involvedObject of a kubelet's Node events: the uid is the node's name."""
    return {"kind": "Node", "name": node_name, "uid": node_name}
