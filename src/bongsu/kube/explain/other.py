"""Everything no other explainer takes: severity from the type, the message's first line."""

from __future__ import annotations

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line
from bongsu.kube.model import Explained, NormalEvent, Severity


@explainer(fallback=True)
def other(event: NormalEvent, pods: PodLookup) -> Explained:
    """``Warning`` → warning, anything else → info; "<object>: <reason>: <first line>"."""
    ctx = context(event, pods)
    severity: Severity = "warning" if event.type == "Warning" else "info"
    line = first_line(event.message)
    summary = f"{ctx.who}: {event.reason or 'event'}" + (f": {line}" if line else "")
    return ctx.explained("other", severity, summary)


EXPLAINERS: tuple[Explainer, ...] = (other,)
