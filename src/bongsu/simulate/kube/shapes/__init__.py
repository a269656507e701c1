"""Real-shaped Kubernetes objects: pods, nodes, workloads, HPAs, ingresses, events, metrics.

Each builder returns the JSON dict a real API server would return (``kind`` and
``apiVersion`` included), ready for ``FakeCluster.put``. Messages are in
:mod:`bongsu.simulate.kube.shapes.messages`, worded as the components word them.

Example::

    from bongsu.simulate.kube import shapes
    from bongsu.simulate.kube.shapes import messages as msg

    node = shapes.node("ip-10-0-1-23", boot_id="0c6a…")
    ev = shapes.event(node, "Rebooted", msg.rebooted("ip-10-0-1-23", "0c6a…"),
                      type="Warning", component="kubelet", host="ip-10-0-1-23",
                      ref=shapes.node_ref("ip-10-0-1-23"))
"""

from __future__ import annotations

from bongsu.simulate.kube.shapes import messages
from bongsu.simulate.kube.shapes._common import (
    cpu,
    iso,
    memory,
    meta,
    micro,
    object_ref,
    owner_ref,
)
from bongsu.simulate.kube.shapes._events import (
    CONTROLLER_MANAGER,
    DEPLOYMENTS,
    HPA,
    KUBELET,
    NODES,
    REPLICASETS,
    SCHEDULER,
    event,
    event_name,
    node_ref,
    scheduler_event,
)
from bongsu.simulate.kube.shapes._pods import (
    container,
    container_id,
    image_id,
    node,
    node_metrics,
    pod,
    pod_metrics,
    running,
    terminated,
    waiting,
)
from bongsu.simulate.kube.shapes._workloads import (
    daemonset,
    deployment,
    hpa,
    ingress,
    namespace,
    replicaset,
    statefulset,
)

__all__ = [
    "CONTROLLER_MANAGER", "DEPLOYMENTS", "HPA", "KUBELET", "NODES", "REPLICASETS", "SCHEDULER",
    "container", "container_id", "cpu", "daemonset", "deployment", "event", "event_name", "hpa",
    "image_id", "ingress", "iso", "memory", "messages", "meta", "micro", "namespace", "node",
    "node_metrics", "node_ref", "object_ref", "owner_ref", "pod", "pod_metrics", "replicaset",
    "running", "scheduler_event", "statefulset", "terminated", "waiting",
]
