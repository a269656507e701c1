"""Node events: NotReady (type Normal!) and Ready, reboots, kernel and system OOM kills.

``NodeNotReady`` arrives on the Node (type Normal, from the node controller or the
kubelet) and on each of its pods (type Warning, "Node is not ready"). ``Rebooted`` names
the node in ``involvedObject.uid``; ``normalise`` already falls back to it for the name.
"""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line
from bongsu.kube.model import Explained, NormalEvent
from bongsu.kube.quantity import format_bytes


@explainer(reasons=("NodeNotReady",))
def node_not_ready(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    if event.object_kind == "Pod":
        # One per pod of the node: the node's own episode is the one that pages.
        where = f"its node {ctx.node}" if ctx.node else "its node"
        return ctx.explained("node_not_ready", "warning",
                             f"pod {ctx.pod} marked not ready: {where} is not ready")
    by = f" (reported by {event.component})" if event.component else ""
    return ctx.explained("node_not_ready", "critical", f"node {ctx.node} is not ready{by}")


@explainer(reasons=("NodeReady",))
def node_ready(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    return ctx.explained("node_ready", "info", f"node {ctx.node} is ready")


_BOOT_ID = re.compile(r"boot id: ?([0-9a-fA-F-]+)")


@explainer(reasons=("Rebooted",))
def rebooted(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    node = event.object_name or event.object_uid or event.host
    boot = _BOOT_ID.search(event.message)
    detail = f" (new boot id {boot.group(1)[:8]})" if boot else ""
    return Explained("node_rebooted", "warning",
                     f"node {node} rebooted{detail}: its containers were restarted",
                     node=node or ctx.node)


_KILLED = re.compile(r"Killed process (\d+) \(([^)]+)\)")
_ANON_RSS = re.compile(r"anon-rss:(\d+)kB")
_VICTIM = re.compile(r"victim process: ([^,]+), pid: (\d+)")


@explainer(reasons=("OOMKilling", "SystemOOM"))
def node_oom(event: NormalEvent, pods: PodLookup) -> Explained:
    """The kernel's OOM killer on a node (node-problem-detector's ``OOMKilling``, the
    kubelet's ``SystemOOM``); a container's own OOM kill comes from the pod's status."""
    ctx = context(event, pods)
    node = ctx.node or event.host
    killed = _KILLED.search(event.message) or _VICTIM.search(event.message)
    if killed is None:
        what = first_line(event.message) or event.reason
    elif killed.re is _KILLED:
        what = f"process {killed.group(2)} (pid {killed.group(1)})"
        rss = _ANON_RSS.search(event.message)
        if rss:
            what += f", {format_bytes(int(rss.group(1)) * 1024)} resident"
    else:
        what = f"process {killed.group(1)} (pid {killed.group(2)})"
    # "Memory cgroup out of memory": a container's limit; otherwise the node ran out.
    scope = ("cgroup" if event.reason == "OOMKilling"
             and "memory cgroup" in event.message.lower() else "system")
    return ctx.explained("oom_killed", "critical",
                         f"node {node}: kernel OOM killer ({scope}) killed {what}")


_PRESSURE = ("NodeHasDiskPressure", "NodeHasInsufficientMemory", "NodeHasInsufficientPID",
             "EvictionThresholdMet", "FreeDiskSpaceFailed", "ImageGCFailed")


@explainer(reasons=_PRESSURE)
def node_pressure(event: NormalEvent, pods: PodLookup) -> Explained:
    """Resource pressure on a node: type Normal for the NodeHas… reasons, still a warning."""
    ctx = context(event, pods)
    return ctx.explained("other", "warning",
                         f"node {ctx.node}: {event.reason}: {first_line(event.message)}")


EXPLAINERS: tuple[Explainer, ...] = (node_not_ready, node_ready, rebooted, node_oom,
                                     node_pressure)
