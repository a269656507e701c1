"""The scheduler's ``FailedScheduling``: why no node fits, and host-port conflicts.

A HostPort conflict has no reason of its own: it is a ``FailedScheduling`` whose message
says ``node(s) didn't have free ports for the requested pod ports``.
"""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line
from bongsu.kube.model import Explained, NormalEvent

_AVAILABLE = re.compile(r"(\d+/\d+) nodes are available:?\s*(.*)", re.DOTALL)

# Scheduler wording → shorter wording for a one-line summary.
_SHORTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"node\(s\) had (?:untolerated )?taint \{([^:}]+)[^}]*\}"
                r"(?:, that the pod didn't tolerate)?"), r"untolerated taint \1"),
    (re.compile(r"node\(s\) didn't match Pod's node affinity/selector"),
     "node affinity/selector mismatch"),
    (re.compile(r"node\(s\) didn't have free ports for the requested pod ports"),
     "host port in use"),
    (re.compile(r"node\(s\) had volume node affinity conflict"), "volume zone conflict"),
    (re.compile(r"node\(s\) were unschedulable"), "cordoned"),
    (re.compile(r"node\(s\) "), ""),
)


def _port_conflict(event: NormalEvent) -> bool:
    return "free ports" in event.message


@explainer(reasons=("FailedScheduling",), when=_port_conflict)
def hostport_conflict(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    return ctx.explained("hostport_conflict", "warning",
                         f"pod {ctx.pod or event.object_name} cannot be scheduled: "
                         f"its host port is taken ({nodes_summary(event.message)})")


@explainer(reasons=("FailedScheduling", "NotTriggerScaleUp"))
def failed_scheduling(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    detail = nodes_summary(event.message)
    if event.reason == "NotTriggerScaleUp":
        detail = f"cluster autoscaler will not add a node: {detail}"
    return ctx.explained("scheduling", "warning",
                         f"pod {ctx.pod or event.object_name} cannot be scheduled: {detail}")


def nodes_summary(message: str) -> str:
    """``"0/3 nodes: 2 Insufficient cpu, 1 untolerated taint node-role…"`` of a message."""
    # Since 1.24 the preemption verdict follows the reasons ("… preemption: 0/3 nodes are
    # available: 3 Preemption is not helpful …"); it repeats the count, not the cause.
    line = first_line(message).split(" preemption:", 1)[0].strip()
    match = _AVAILABLE.search(line)
    if match is None:
        return line.rstrip(".") or "no reason given"
    counts, detail = match.groups()
    detail = detail.strip().rstrip(".")
    for pattern, shorter in _SHORTER:
        detail = pattern.sub(shorter, detail)
    return f"{counts} nodes: {detail}" if detail else f"{counts} nodes available"


EXPLAINERS: tuple[Explainer, ...] = (hostport_conflict, failed_scheduling)
