"""What an explainer knows about an event's object: pod, container, node, their state.

Example::

    ctx = context(event, pods)
    ctx.explained("readiness", "warning", f"{ctx.who} not ready{on_node(ctx.node)}")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bongsu.kube.explain.registry import PodLookup
from bongsu.kube.explain.text import container_of, shorten
from bongsu.kube.model import ContainerState, Explained, Kind, NormalEvent, PodState, Severity


@dataclass(frozen=True, slots=True)
class Context:
    """The event's object as a summary names it, with the pod's state when known."""

    event: NormalEvent
    pod: str | None
    container: str | None
    node: str | None
    pod_state: PodState | None
    container_state: ContainerState | None

    @property
    def who(self) -> str:
        """``"orders-7d9f-x2k container orders"``, ``"pod web-0"``, ``"node worker-2"``."""
        if self.pod is not None:
            if self.container:
                return f"{self.pod} container {self.container}"
            return f"pod {self.pod}"
        kind = self.event.object_kind or "object"
        return f"{kind.lower()} {self.event.object_name or '(unnamed)'}"

    def explained(self, kind: Kind, severity: Severity, summary: str) -> Explained:
        return Explained(kind=kind, severity=severity, summary=shorten(summary),
                         pod=self.pod, container=self.container, node=self.node)


def context(event: NormalEvent, pods: PodLookup,
            pick: Callable[[ContainerState], bool] | None = None) -> Context:
    """The context of ``event``; ``pick`` chooses the container when the event names none."""
    if event.object_kind == "Node":
        return Context(event, None, None, event.object_name or event.host or None, None, None)
    if event.object_kind != "Pod":
        return Context(event, None, None, event.host or None, None, None)
    state = pods(event.namespace, event.object_name)
    name = container_of(event)
    found: ContainerState | None = None
    if state is not None:
        if name is not None:
            found = next((c for c in state.containers if c.name == name), None)
        elif pick is not None:
            found = next((c for c in state.containers if pick(c)), None)
        elif len(state.containers) == 1:
            found = state.containers[0]
        if found is not None:
            name = found.name
    node = event.host or (state.node if state is not None else None) or None
    return Context(event, event.object_name, name, node, state, found)
