"""Pod lifecycle events: crash loops, probe failures and kills, evictions, start-up steps."""

from __future__ import annotations

import dataclasses
import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line, last_exit, on_node, plural, root_cause
from bongsu.kube.model import Explained, NormalEvent
from bongsu.kube.quantity import format_bytes, parse_quantity


def _is_image_backoff(event: NormalEvent) -> bool:
    return "pulling image" in event.message.lower()


@explainer(reasons=("BackOff",), when=lambda ev: not _is_image_backoff(ev))
def crash_loop(event: NormalEvent, pods: PodLookup) -> Explained:
    """``Back-off restarting failed container …``, with the last exit from the pod's state."""
    ctx = context(event, pods, pick=lambda c: c.waiting_reason == "CrashLoopBackOff")
    found = ctx.container_state
    if found is not None and found.waiting_reason in {"ImagePullBackOff", "ErrImagePull"}:
        # An old kubelet's bare "Back-off" wording; the pod's state says which back-off.
        return ctx.explained("image_pull", "critical",
                             f"{ctx.who}{on_node(ctx.node)} cannot pull image {found.image}: "
                             f"{found.waiting_reason}")
    summary = f"{ctx.who} is crash-looping"
    if found is not None:
        summary += f" (restarted {plural(found.restarts, 'time')})"
        if found.last_termination is not None:
            summary += f"; last exit: {last_exit(found.last_termination, found.memory_limit)}"
        summary += f" (node {ctx.node})" if ctx.node else ""
    else:
        # No pod state yet (the pod is not listed, or the event came first): no exit known.
        summary += (f"{on_node(ctx.node)}: the kubelet backs off restarting it"
                    f" ({plural(event.count, 'back-off')} so far)")
    return ctx.explained("crash_loop", "critical", summary)


_PROBE = re.compile(r"\b(liveness|readiness|startup) probe\b", re.IGNORECASE)


@explainer(reasons=("Killing",), when=lambda ev: _PROBE.search(ev.message) is not None)
def probe_kill(event: NormalEvent, pods: PodLookup) -> Explained:
    """``Container x failed liveness probe, will be restarted``: the cause of a restart."""
    ctx = context(event, pods)
    probe = _probe_name(event.message)
    return ctx.explained("container_restart", "warning",
                         f"{ctx.who} restarted: {probe} probe failed{on_node(ctx.node)}")


@explainer(reasons=("Unhealthy",))
def unhealthy(event: NormalEvent, pods: PodLookup) -> Explained:
    """Probe failures: readiness → ``readiness``, liveness/startup → ``container_restart``."""
    ctx = context(event, pods)
    line = first_line(event.message)
    probe = _probe_name(event.message)
    detail = root_cause(line.split(":", 1)[1].strip()) if ":" in line else line
    if probe == "readiness":
        return ctx.explained("readiness", "warning",
                             f"{ctx.who} not ready{on_node(ctx.node)}: "
                             f"readiness probe failed: {detail}")
    if probe in {"liveness", "startup"}:
        return ctx.explained("container_restart", "warning",
                             f"{ctx.who} {probe} probe failed{on_node(ctx.node)}: {detail}")
    return ctx.explained("readiness", "warning", f"{ctx.who} unhealthy{on_node(ctx.node)}: {line}")


def _probe_name(message: str) -> str:
    match = re.search(r"\b(liveness|readiness|startup)\b", message, re.IGNORECASE)
    return match.group(1).lower() if match else "health"


_SCHEDULED_TO = re.compile(r"Successfully assigned \S+ to (\S+)")


@explainer(reasons=("Scheduled", "Pulling", "Pulled", "Created", "Started"),
           when=lambda ev: ev.type != "Warning")
def pod_started(event: NormalEvent, pods: PodLookup) -> Explained:
    """The steps of a pod's start: information, not trouble."""
    ctx = context(event, pods)
    if event.reason == "Scheduled":
        match = _SCHEDULED_TO.search(event.message)
        node = match.group(1) if match else ctx.node
        ctx = dataclasses.replace(ctx, node=node)
        return ctx.explained("pod_started", "info", f"pod {ctx.pod} scheduled{on_node(node)}")
    steps = {"Pulling": "pulling image", "Pulled": "pulled image", "Created": "created",
             "Started": "started"}
    summary = f"{ctx.who} {steps[event.reason]}"
    if event.reason in {"Pulling", "Pulled"}:
        image = re.search(r'image "([^"]+)"', event.message)
        summary += f" {image.group(1)}" if image else ""
        if "already present" in event.message:
            summary += " (already present)"
    return ctx.explained("pod_started", "info", summary + on_node(ctx.node))


_LOW_ON = re.compile(r"low on resource: ([\w-]+)")
_THRESHOLD = re.compile(r"Threshold quantity: ([^,]+), available: ([^.\s]+)")
_USING = re.compile(r"Container ([\w.-]+) was using ([^,]+), request is ([^,]+)")


@explainer(reasons=("Evicted",))
def evicted(event: NormalEvent, pods: PodLookup) -> Explained:
    """A kubelet eviction: which resource the node ran short of, and who used it."""
    ctx = context(event, pods)
    message = event.message
    low = _LOW_ON.search(message)
    if low:
        cause = f"node low on {low.group(1)}"
        threshold = _THRESHOLD.search(message)
        if threshold:
            cause += (f" ({_size(threshold.group(2))} left, "
                      f"threshold {_size(threshold.group(1))})")
        users = [f"{m.group(1)} used {_size(m.group(2))}, request {_size(m.group(3))}"
                 for m in _USING.finditer(message)]
        if users:
            cause += "; " + "; ".join(users)
    else:
        cause = first_line(message) or "evicted by the kubelet"
    return ctx.explained("evicted", "critical", f"pod {ctx.pod or event.object_name} evicted"
                                                f"{_from(ctx.node)}: {cause}")


def _from(node: str | None) -> str:
    return f" from {node}" if node else ""


def _size(text: str) -> str:
    value = parse_quantity(text.strip())
    # Eviction messages give memory/storage in bytes-quantities; a bare small number is kept.
    return format_bytes(value) if value is not None and value >= 1024 else text.strip()


EXPLAINERS: tuple[Explainer, ...] = (crash_loop, probe_kill, unhealthy, pod_started, evicted)
