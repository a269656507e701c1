"""Namespaces, workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet), HPAs, Ingresses.

Example::

    d = deployment("frontend", "shop", replicas=3, image="ghcr.io/shop/frontend:1.8.2",
                   revision=4)
    rs = replicaset(d, "7d9f8c6b5", replicas=3)   # owned by d, same template
    h = hpa("frontend", "shop", target=d, min_replicas=2, max_replicas=10,
            current=3, desired=5, cpu_current=92, cpu_target=70, last_scale=t)
"""

from __future__ import annotations

import copy

from bongsu.simulate.kube.shapes._common import Obj, iso, meta, owner_ref
from bongsu.simulate.kube.shapes._pods import container


def namespace(name: str, created: float | None = None) -> Obj:
    return {"kind": "Namespace", "apiVersion": "v1",
            "metadata": meta(name, labels={"kubernetes.io/metadata.name": name},
                             created=created),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _template(app: str, containers: list[Obj], extra: dict[str, str] | None = None) -> Obj:
    return {"metadata": {"labels": {"app": app, **(extra or {})}},
            "spec": {"containers": containers, "restartPolicy": "Always",
                     "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}}


def deployment(name: str, namespace: str, *, replicas: int, image: str, revision: int = 1,
               containers: list[Obj] | None = None, ready: int | None = None,
               updated: int | None = None, available: int | None = None,
               created: float | None = None, labels: dict[str, str] | None = None) -> Obj:
    """A Deployment whose status says how many replicas are ready, updated and available."""
    ready = replicas if ready is None else ready
    containers = containers or [container(name, image)]
    return {"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {**meta(name, namespace, labels={"app": name, **(labels or {})},
                                annotations={"deployment.kubernetes.io/revision": str(revision)},
                                created=created), "generation": revision},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": _template(name, containers),
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
            "status": {"observedGeneration": revision, "replicas": replicas,
                       "updatedReplicas": replicas if updated is None else updated,
                       "readyReplicas": ready,
                       "availableReplicas": ready if available is None else available,
                       **({"unavailableReplicas": replicas - ready} if ready < replicas else {}),
                       "conditions": [
                           {"type": "Available",
                            "status": "True" if ready >= max(1, replicas * 3 // 4) else "False",
                            "reason": "MinimumReplicasAvailable",
                            "message": "Deployment has minimum availability."},
                           {"type": "Progressing", "status": "True",
                            "reason": "NewReplicaSetAvailable",
                            "message": f'ReplicaSet "{name}" has successfully progressed.'}]}}


def replicaset(owner: Obj, pod_template_hash: str, *, replicas: int, ready: int | None = None,
               created: float | None = None) -> Obj:
    """The ReplicaSet ``<deployment>-<hash>`` of a Deployment, with its template and revision."""
    dep_name = owner["metadata"]["name"]
    template = copy.deepcopy(owner["spec"]["template"])
    template["metadata"]["labels"]["pod-template-hash"] = pod_template_hash
    ready = replicas if ready is None else ready
    revision = owner["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    return {"kind": "ReplicaSet", "apiVersion": "apps/v1",
            "metadata": meta(f"{dep_name}-{pod_template_hash}", owner["metadata"]["namespace"],
                             labels={"app": dep_name, "pod-template-hash": pod_template_hash},
                             annotations={"deployment.kubernetes.io/revision": revision,
                                          "deployment.kubernetes.io/desired-replicas":
                                              str(owner["spec"]["replicas"]),
                                          "deployment.kubernetes.io/max-replicas":
                                              str(owner["spec"]["replicas"] + 1)},
                             created=created, owners=[owner_ref(owner)]),
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {"app": dep_name,
                                                  "pod-template-hash": pod_template_hash}},
                     "template": template},
            "status": {"replicas": replicas, "fullyLabeledReplicas": replicas,
                       "readyReplicas": ready, "availableReplicas": ready,
                       "observedGeneration": 1}}


def statefulset(name: str, namespace: str, *, replicas: int, image: str,
                ready: int | None = None, containers: list[Obj] | None = None,
                created: float | None = None) -> Obj:
    ready = replicas if ready is None else ready
    return {"kind": "StatefulSet", "apiVersion": "apps/v1",
            "metadata": {**meta(name, namespace, labels={"app": name}, created=created),
                         "generation": 1},
            "spec": {"replicas": replicas, "serviceName": name,
                     "selector": {"matchLabels": {"app": name}},
                     "template": _template(name, containers or [container(name, image)]),
                     "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready,
                       "currentReplicas": replicas, "updatedReplicas": replicas,
                       "availableReplicas": ready,
                       "currentRevision": f"{name}-6c9b8d7f5",
                       "updateRevision": f"{name}-6c9b8d7f5"}}


def daemonset(name: str, namespace: str, *, nodes: int, image: str, ready: int | None = None,
              containers: list[Obj] | None = None, created: float | None = None) -> Obj:
    ready = nodes if ready is None else ready
    return {"kind": "DaemonSet", "apiVersion": "apps/v1",
            "metadata": {**meta(name, namespace, labels={"app": name}, created=created),
                         "generation": 1},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": _template(name, containers or [container(name, image)]),
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"desiredNumberScheduled": nodes, "currentNumberScheduled": nodes,
                       "numberReady": ready, "updatedNumberScheduled": nodes,
                       "numberAvailable": ready, "numberMisscheduled": 0,
                       "observedGeneration": 1}}


def hpa(name: str, namespace: str, *, target: Obj, min_replicas: int, max_replicas: int,
        current: int, desired: int, cpu_current: int | None, cpu_target: int = 70,
        cpu_average: str | None = None, memory_target_bytes: str | None = None,
        memory_current: str | None = None, last_scale: float | None = None,
        created: float | None = None) -> Obj:
    """An autoscaling/v2 HPA on CPU utilisation (and optionally average memory)."""
    metrics: list[Obj] = [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_target}}}]
    current_metrics: list[Obj] = []
    if cpu_current is not None:
        current_metrics.append({"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": cpu_current,
                                       **({"averageValue": cpu_average} if cpu_average
                                          else {})}}})
    if memory_target_bytes:
        metrics.append({"type": "Resource", "resource": {
            "name": "memory", "target": {"type": "AverageValue",
                                         "averageValue": memory_target_bytes}}})
        if memory_current:
            current_metrics.append({"type": "Resource", "resource": {
                "name": "memory", "current": {"averageValue": memory_current}}})
    status: Obj = {"currentReplicas": current, "desiredReplicas": desired,
                   "currentMetrics": current_metrics,
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size",
                        "lastTransitionTime": iso(created)},
                       {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                        "message": "the HPA was able to successfully calculate a replica count "
                                   "from cpu resource utilization (percentage of request)",
                        "lastTransitionTime": iso(created)},
                       {"type": "ScalingLimited",
                        "status": "True" if desired >= max_replicas else "False",
                        "reason": "TooManyReplicas" if desired >= max_replicas
                        else "DesiredWithinRange",
                        "message": "the desired replica count is more than the maximum replica "
                                   "count" if desired >= max_replicas
                        else "the desired count is within the acceptable range",
                        "lastTransitionTime": iso(created)}]}
    if last_scale is not None:
        status["lastScaleTime"] = iso(last_scale)
    return {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
            "metadata": meta(name, namespace, created=created),
            "spec": {"scaleTargetRef": {"apiVersion": target["apiVersion"],
                                        "kind": target["kind"],
                                        "name": target["metadata"]["name"]},
                     "minReplicas": min_replicas, "maxReplicas": max_replicas,
                     "metrics": metrics},
            "status": status}


def ingress(name: str, namespace: str, *, rules: list[tuple[str, str, str, int]],
            ingress_class: str = "nginx", address: str | None = None, tls: bool = False,
            created: float | None = None) -> Obj:
    """A networking.k8s.io/v1 Ingress; ``rules``: (host, path, backend service, port)."""
    by_host: dict[str, list[Obj]] = {}
    for host, path, service, port in rules:
        by_host.setdefault(host, []).append(
            {"path": path, "pathType": "Prefix",
             "backend": {"service": {"name": service, "port": {"number": port}}}})
    spec: Obj = {"ingressClassName": ingress_class,
                 "rules": [{"host": h, "http": {"paths": paths}} for h, paths in by_host.items()]}
    if tls:
        spec["tls"] = [{"hosts": list(by_host), "secretName": f"{name}-tls"}]
    lb = {"ingress": [{"ip": address}]} if address else {}
    return {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
            "metadata": {**meta(name, namespace, created=created), "generation": 1},
            "spec": spec, "status": {"loadBalancer": lb}}
