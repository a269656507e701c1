"""Deployments, ReplicaSets, StatefulSets and DaemonSets as compact state; rollouts.

A rollout is a change of the pod template: its images, or the revision the controller
keeps (the Deployment's ``deployment.kubernetes.io/revision`` annotation, the
StatefulSet's ``status.updateRevision``, the DaemonSet's template generation). A
Deployment's ReplicaSets are not diffed: each revision is a new ReplicaSet and the
Deployment's own change already marks it.

Example::

    state = workload_state("private", obj)
    workload_findings(previous, state, obj)[0].explained.summary
    # 'deployment orders rolled out image shop/orders:1.8.3 (was 1.8.2), revision 7'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import (
    condition,
    integer,
    items,
    latest_managed_time_us,
    mapping,
    string_map,
    text,
    timestamp_us,
    to_json,
)
from bongsu.kube.explain.text import shorten
from bongsu.kube.model import EpisodeKey, Explained, Finding, WorkloadState
from bongsu.kube.pods import COMPONENT

_REVISION = "deployment.kubernetes.io/revision"
_DAEMONSET_GENERATION = "deprecated.daemonset.template.generation"


def workload_state(cluster: str, obj: Mapping[str, Any]) -> WorkloadState:
    """The compact state of a Deployment, ReplicaSet, StatefulSet or DaemonSet."""
    meta = mapping(obj, "metadata")
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    kind = text(obj, "kind")
    annotations = string_map(meta, "annotations")
    containers = items(mapping(spec, "template", "spec"), "containers")
    if kind == "DaemonSet":
        desired = integer(status, "desiredNumberScheduled") or 0
        ready = integer(status, "numberReady") or 0
        available = integer(status, "numberAvailable") or 0
        revision = annotations.get(_DAEMONSET_GENERATION, "")
    else:
        replicas = integer(spec, "replicas")
        desired = 1 if replicas is None else replicas  # the API's default
        ready = integer(status, "readyReplicas") or 0
        available = integer(status, "availableReplicas") or 0
        revision = (text(status, "updateRevision") if kind == "StatefulSet"
                    else annotations.get(_REVISION, ""))
    owner = next((text(o, "name") for o in items(meta, "ownerReferences")
                  if text(o, "kind") == "Deployment"), None)
    return WorkloadState(
        cluster=cluster,
        namespace=text(meta, "namespace"),
        kind=kind,
        name=text(meta, "name"),
        desired=max(desired, 0),
        ready=ready,
        available=available,
        images=[text(c, "image") for c in containers],
        owner=owner or None,
        revision=revision,
    )


def workload_findings(old: WorkloadState | None, new: WorkloadState,
                      obj: Mapping[str, Any]) -> list[Finding]:
    """A ``rollout`` marker when the template's images or the revision change."""
    if old is None or (new.kind == "ReplicaSet" and new.owner):
        return []
    images_changed = old.images != new.images
    revision_changed = bool(old.revision and new.revision and old.revision != new.revision)
    if not images_changed and not revision_changed:
        return []
    summary = f"{new.kind.lower() or 'workload'} {new.name} rolled out"
    if images_changed:
        summary += " " + _image_change(old.images, new.images)
    else:
        summary += " a new pod template (images unchanged)"
    if new.revision:
        label = new.revision if new.kind == "StatefulSet" else f"revision {new.revision}"
        summary += f", {label}"
    key = EpisodeKey(cluster=new.cluster, namespace=new.namespace, object_kind=new.kind,
                     object_name=new.name, reason="Rollout", component=COMPONENT,
                     discriminator=f"{new.revision}:{','.join(new.images)}")
    message = f"images {', '.join(old.images)} → {', '.join(new.images)}"
    return [Finding(key=key, explained=Explained("rollout", "info", shorten(summary)),
                    at_us=_changed_at(obj), message=message,
                    raw=to_json({"metadata": mapping(obj, "metadata"),
                                 "status": mapping(obj, "status")}))]


def _image_change(before: list[str], after: list[str]) -> str:
    """``"image shop/orders:1.8.3 (was 1.8.2)"``; several changed images are listed."""
    changes: list[str] = []
    for index, image in enumerate(after):
        was = before[index] if index < len(before) else None
        if was == image:
            continue
        if was is None:
            changes.append(image)
            continue
        repository, _, tag = was.rpartition(":")
        same_repository = repository and image.startswith(repository + ":") and "/" not in tag
        changes.append(f"{image} (was {tag if same_repository else was})")
    if not changes:  # only removals
        return "images " + ", ".join(after)
    return ("image " if len(changes) == 1 else "images ") + ", ".join(changes)


def _changed_at(obj: Mapping[str, Any]) -> int:
    # The Deployment controller stamps Progressing when it creates the new ReplicaSet;
    # other kinds have no such time, so the object's last write stands in for it.
    progressing = condition(obj, "Progressing")
    return (timestamp_us(progressing.get("lastUpdateTime"))
            or latest_managed_time_us(obj)
            or timestamp_us(mapping(obj, "metadata").get("creationTimestamp")) or 0)
