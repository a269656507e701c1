"""A Node as compact state, and its Ready ↔ NotReady transitions and reboots.

Example::

    state = node_state("private", obj)
    findings = node_findings(previous, state, obj)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import (
    condition,
    items,
    latest_managed_time_us,
    mapping,
    string_map,
    text,
    timestamp_us,
    to_json,
)
from bongsu.kube.explain.text import shorten
from bongsu.kube.model import EpisodeKey, Explained, Finding, NodeState
from bongsu.kube.pods import COMPONENT
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
    """Ready changes and reboots between ``old`` and ``new``.

    A node first seen NotReady yields its ``node_not_ready`` episode too (a node that is
    down when the watcher starts is the first thing to show); the key carries the Ready
    condition's ``lastTransitionTime``, so a relist does not make a second one.
    """
    findings: list[Finding] = []
    if (old is None and not new.ready) or (old is not None and old.ready != new.ready):
        findings.append(_ready_change(new, obj))
    if old is not None and old.boot_id and new.boot_id and old.boot_id != new.boot_id:
        findings.append(_rebooted(old, new, obj))
    return findings


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


def _rebooted(old: NodeState, new: NodeState, obj: Mapping[str, Any]) -> Finding:
    times = [timestamp_us(c.get("lastTransitionTime"))
             for c in items(mapping(obj, "status"), "conditions")]
    known = [t for t in times if t is not None]
    at = max(known) if known else latest_managed_time_us(obj) or 0
    summary = (f"node {new.name} rebooted (boot id {old.boot_id[:8]} → {new.boot_id[:8]}): "
               "its containers were restarted")
    key = EpisodeKey(cluster=new.cluster, namespace="", object_kind="Node",
                     object_name=new.name, reason="Rebooted", component=COMPONENT,
                     discriminator=new.boot_id)
    return Finding(key=key, explained=Explained("node_rebooted", "warning", shorten(summary),
                                                node=new.name),
                   at_us=at, message=f"boot id {old.boot_id} → {new.boot_id}",
                   raw=to_json(mapping(obj, "status", "nodeInfo")))
