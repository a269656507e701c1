"""Timestamps, quantities and object references as the API server writes them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


def iso(at: float | None = None) -> str:
    """An RFC 3339 Time (whole seconds): ``2026-12-01T22:16:31Z``."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def micro(at: float | None = None) -> str:
    """A MicroTime, as in ``eventTime``: ``2026-12-01T22:16:31.123456Z``."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def cpu(cores: float) -> str:
    """A CPU quantity: ``153m`` when whole millicores, else nanocores (``12345678n``)."""
    nano = round(cores * 1e9)
    if nano % 1_000_000 == 0:
        return f"{nano // 1_000_000}m"
    return f"{nano}n"


def memory(num_bytes: float) -> str:
    """A memory quantity in KiB (``123456Ki``), the unit metrics-server reports."""
    return f"{round(num_bytes / 1024)}Ki"


def meta(name: str, namespace: str | None = None, *, labels: dict[str, str] | None = None,
         annotations: dict[str, str] | None = None, created: float | None = None,
         uid: str | None = None, owners: list[Obj] | None = None) -> Obj:
    out: Obj = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    if uid is not None:
        out["uid"] = uid
    out["creationTimestamp"] = iso(created)
    if labels:
        out["labels"] = dict(labels)
    if annotations:
        out["annotations"] = dict(annotations)
    if owners:
        out["ownerReferences"] = owners
    return out


def owner_ref(obj: Obj, controller: bool = True) -> Obj:
    """An ownerReference to ``obj`` (a ReplicaSet, StatefulSet, DaemonSet, Deployment)."""
    m = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": m["name"],
            "uid": m["uid"], "controller": controller, "blockOwnerDeletion": True}


def object_ref(obj: Obj, field_path: str | None = None) -> Obj:
    """An ObjectReference, as in an Event's ``involvedObject``."""
    m = obj["metadata"]
    ref: Obj = {"kind": obj["kind"], "apiVersion": obj["apiVersion"], "name": m["name"]}
    if m.get("namespace"):
        ref["namespace"] = m["namespace"]
    if m.get("uid"):
        ref["uid"] = m["uid"]
    if m.get("resourceVersion"):
        ref["resourceVersion"] = m["resourceVersion"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref
