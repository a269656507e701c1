"""Kubernetes Events in one shape: core/v1 and events.k8s.io/v1 become a ``NormalEvent``.

The two APIs serve the same Event under different names (``involvedObject`` /
``regarding``, ``message`` / ``note``, ``source`` / ``deprecatedSource``, ``count`` /
``deprecatedCount``), and real clusters fill them unevenly: scheduler events have null
``firstTimestamp``/``lastTimestamp``, no ``count`` and ``source: {}``; they carry
``eventTime`` and, once repeated, ``series``. The rules:

========== ===================================================================
field      taken from, first present wins
========== ===================================================================
last seen  ``series.lastObservedTime``, ``lastTimestamp`` / ``deprecatedLastTimestamp``,
           ``eventTime``, ``metadata.creationTimestamp``
first seen ``firstTimestamp`` / ``deprecatedFirstTimestamp``, ``eventTime``, then last seen
component  ``source.component`` / ``deprecatedSource.component``, ``reportingComponent`` /
           ``reportingController``
count      ``series.count``, ``count``, ``deprecatedCount``, else 1
========== ===================================================================

``normalise`` never raises: a missing or malformed field gets a neutral value, and an
object that is not an Event gives ``None``. It expects the API's JSON (camelCase keys,
as in a watch frame's ``raw_object``), not the client's snake_case model objects.

Example::

    ev = normalise("private", frame["raw_object"])
    if ev is not None:
        print(ev.object_kind, ev.object_name, ev.reason, ev.count)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import integer, mapping, text, timestamp_us, to_json
from bongsu.kube.model import NormalEvent

_EVENT_API_VERSIONS = frozenset({"v1", "events.k8s.io/v1", "events.k8s.io/v1beta1"})

# Cluster-scoped kinds: their events live in "default" but the object has no namespace.
_CLUSTER_SCOPED = frozenset({"Node", "Namespace", "PersistentVolume", "StorageClass",
                             "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                             "CSINode", "VolumeAttachment", "PriorityClass"})


def normalise(cluster: str, obj: Mapping[str, Any]) -> NormalEvent | None:
    """``obj`` (a core/v1 or events.k8s.io/v1 Event as JSON) in one shape; None if not one."""
    if not isinstance(obj, Mapping) or not _is_event(obj):
        return None
    involved = mapping(obj, "involvedObject") or mapping(obj, "regarding")
    meta = mapping(obj, "metadata")
    source = mapping(obj, "source") or mapping(obj, "deprecatedSource")
    series = mapping(obj, "series")

    object_kind = text(involved, "kind")
    object_name = text(involved, "name") or text(involved, "uid")
    namespace = text(involved, "namespace")
    if not namespace and object_kind not in _CLUSTER_SCOPED:
        namespace = text(meta, "namespace")

    event_time = timestamp_us(obj.get("eventTime"))
    last_seen = _first(timestamp_us(series.get("lastObservedTime")),
                       timestamp_us(obj.get("lastTimestamp")),
                       timestamp_us(obj.get("deprecatedLastTimestamp")),
                       event_time,
                       timestamp_us(meta.get("creationTimestamp")))
    first_seen = _first(timestamp_us(obj.get("firstTimestamp")),
                        timestamp_us(obj.get("deprecatedFirstTimestamp")),
                        event_time, last_seen) or 0
    last_seen = max(last_seen or 0, first_seen)

    count = _first(integer(series, "count"), integer(obj, "count"),
                   integer(obj, "deprecatedCount")) or 1
    return NormalEvent(
        cluster=cluster,
        uid=text(meta, "uid"),
        namespace=namespace,
        object_kind=object_kind,
        object_name=object_name,
        object_uid=text(involved, "uid"),
        field_path=text(involved, "fieldPath"),
        reason=text(obj, "reason"),
        message=text(obj, "message") or text(obj, "note"),
        type=text(obj, "type") or "Normal",
        component=(text(source, "component") or text(obj, "reportingComponent")
                   or text(obj, "reportingController")),
        host=text(source, "host"),
        count=max(count, 1),
        first_seen_us=first_seen,
        last_seen_us=last_seen,
        raw=to_json(obj),
    )


def _is_event(obj: Mapping[str, Any]) -> bool:
    kind = obj.get("kind")
    version = obj.get("apiVersion")
    if kind is None and version is None:
        # Items of a List response carry neither; recognise them by their shape.
        return isinstance(obj.get("involvedObject") or obj.get("regarding"), Mapping)
    return kind == "Event" and (version is None or (isinstance(version, str)
                                                    and version in _EVENT_API_VERSIONS))


def _first(*values: int | None) -> int | None:
    for value in values:
        if value is not None:
            return value
    return None

