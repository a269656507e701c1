"""Deployments, ReplicaSets, StatefulSets and DaemonSets as compact state; rollouts.

A rollout marker is a change of the pod template's images, seen on the Deployment,
StatefulSet or DaemonSet; the revision (the Deployment's
``deployment.kubernetes.io/revision`` annotation, the StatefulSet's
``status.updateRevision``, the DaemonSet's template generation) is kept in the state and
named in the summary. A Deployment's ReplicaSets are not diffed: each revision is a new
ReplicaSet and the Deployment's own change already marks it.

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
    """A ``rollout`` marker when the pod template's images change.

    The image change arrives in the frame of the spec write; the Deployment's revision
    annotation (and a StatefulSet's ``updateRevision``) follows in a later frame written
    by the controller, so a revision change alone is not a second rollout. The revision
    shown is the one the controller will give it (the current one + 1) until then.
    Template changes that keep the images (an env var, a config hash) are left to the
    controller's ``ScalingReplicaSet`` events.
    """
    if old is None or (new.kind == "ReplicaSet" and new.owner) or old.images == new.images:
        return []
    summary = (f"{new.kind.lower() or 'workload'} {new.name} rolled out "
               f"{_image_change(old.images, new.images)}")
    revision = _revision(old, new)
    if revision:
        summary += f", {revision}"
    key = EpisodeKey(cluster=new.cluster, namespace=new.namespace, object_kind=new.kind,
                     object_name=new.name, reason="Rollout", component=COMPONENT,
                     discriminator=",".join(new.images))
    message = f"images {', '.join(old.images)} → {', '.join(new.images)}"
    return [Finding(key=key, explained=Explained("rollout", "info", shorten(summary)),
                    at_us=_changed_at(obj), message=message,
                    raw=to_json({"metadata": mapping(obj, "metadata"),
                                 "spec": mapping(obj, "spec"),
                                 "status": mapping(obj, "status")}))]


def _revision(old: WorkloadState, new: WorkloadState) -> str:
    if new.kind == "StatefulSet":
        changed = new.revision and new.revision != old.revision
        return f"revision {new.revision}" if changed else ""
    if new.revision and new.revision != old.revision:
        return f"revision {new.revision}"
    if new.kind == "Deployment" and new.revision.isdigit():
        return f"revision {int(new.revision) + 1}"
    return f"revision {new.revision}" if new.revision else ""


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
    """When the pod template was last written: its field manager's ``managedFields`` time.

    The controller's own later writes (the revision annotation, the status) have entries
    of their own, so the time stays that of the change however many frames follow.
    """
    entries = items(mapping(obj, "metadata"), "managedFields")
    template = [timestamp_us(e.get("time")) for e in entries
                if "f:template" in mapping(e, "fieldsV1", "f:spec")]
    spec = [timestamp_us(e.get("time")) for e in entries if not e.get("subresource")]
    for times in (template, spec):
        known = [t for t in times if t is not None]
        if known:
            return max(known)
    progressing = condition(obj, "Progressing")
    return (timestamp_us(progressing.get("lastUpdateTime"))
            or timestamp_us(mapping(obj, "metadata").get("creationTimestamp")) or 0)
