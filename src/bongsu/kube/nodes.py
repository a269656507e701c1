"""A Node as compact state, and its Ready ↔ NotReady transitions.

Example::

    state = node_state("private", obj)
    findings = node_findings(previous, state, obj)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import (
    condition,
    latest_managed_time_us,
    mapping,
    string_map,
    text,
    timestamp_us,
    to_json,
)
from bongsu.kube.explain.text import shorten
from bongsu.kube.model import EpisodeKey, Explained, Finding, NodeState
from bongsu.kube.quantity import parse_quantity


def node_state(cluster: str, obj: Mapping[str, Any]) -> NodeState:
    """The compact state of a Node object."""
    meta = mapping(obj, "metadata")
    status = mapping(obj, "status")
    capacity = mapping(status, "capacity")
    return NodeState(
        cluster=cluster,
        name=text(meta, "name"),
        ready=text(condition(obj, "Ready"), "status") == "True",
        boot_id=text(mapping(status, "nodeInfo"), "bootID"),
        cpu_capacity=parse_quantity(capacity.get("cpu")),
        memory_capacity=parse_quantity(capacity.get("memory")),
        labels=string_map(meta, "labels"),
    )


def node_findings(old: NodeState | None, new: NodeState,
                  obj: Mapping[str, Any]) -> list[Finding]:
    """Ready changes between ``old`` and ``new``.

    A reboot (a new ``nodeInfo.bootID``) is not derived: the kubelet reports exactly that
    change as its ``Rebooted`` event, and a second episode of it would be a duplicate.

    A node first seen NotReady yields its ``node_not_ready`` episode too (a node that is
    down when the watcher starts is the first thing to show); the key carries the Ready
    condition's ``lastTransitionTime``, so a relist does not make a second one.
    """
    if (old is None and not new.ready) or (old is not None and old.ready != new.ready):
        return [_ready_change(new, obj)]
    return []


def _ready_change(node: NodeState, obj: Mapping[str, Any]) -> Finding:
    ready = condition(obj, "Ready")
    at = (timestamp_us(ready.get("lastTransitionTime")) or timestamp_us(
        ready.get("lastHeartbeatTime")) or latest_managed_time_us(obj) or 0)
    if node.ready:
        explained = Explained("node_ready", "info", shorten(f"node {node.name} is ready again"),
                              node=node.name)
    else:
        # Status Unknown: the kubelet stopped reporting; False: it reports a problem.
        status = text(ready, "status") or "missing"
        why = text(ready, "message") or text(ready, "reason")
        summary = f"node {node.name} is not ready (Ready {status})" + (f": {why}" if why else "")
        explained = Explained("node_not_ready", "critical", shorten(summary), node=node.name)
    reason = "NodeReady" if node.ready else "NodeNotReady"
    # The key of the event that reports the same transition: the kubelet's when it set the
    # condition itself (True/False), the node controller's when it marked it Unknown.
    # Each stamps the condition and records the event in one sync (both to the second),
    # so the episode ids agree and the event and this finding merge into one episode.
    reporter = "node-controller" if text(ready, "status") == "Unknown" else "kubelet"
    key = EpisodeKey(cluster=node.cluster, namespace="", object_kind="Node",
                     object_name=node.name, reason=reason, component=reporter)
    return Finding(key=key, explained=explained, at_us=at,
                   message=text(ready, "message") or reason, raw=to_json(ready))

