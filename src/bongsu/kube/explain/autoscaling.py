"""The HPA controller's ``SuccessfulRescale``: "New size: 5; reason: cpu … above target".

The event gives the new size and the reason; the state diff (``bongsu.kube.autoscaling``)
adds the previous size and the metric against its target.
"""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line
from bongsu.kube.model import Explained, Kind, NormalEvent

_RESCALE = re.compile(r"New size: (\d+); reason: (.*)")


@explainer(reasons=("SuccessfulRescale",))
def rescaled(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    match = _RESCALE.search(first_line(event.message))
    size, why = (match.group(1), match.group(2).strip()) if match else ("?", event.message)
    kind: Kind = "hpa_scale_in" if scaled_in(why) else "hpa_scale_out"
    verb = "in" if kind == "hpa_scale_in" else "out"
    return ctx.explained(kind, "info",
                         f"{event.object_name} HPA scaled {verb} to {size}: {why}")


def scaled_in(reason: str) -> bool:
    """Whether an HPA rescale reason means fewer replicas.

    "… above target" and "below Spec.MinReplicas" grow; "All metrics below target",
    "… below target" and "above Spec.MaxReplicas" shrink.
    """
    lower = reason.lower()
    if "spec.maxreplicas" in lower or "spec.minreplicas" in lower:
        return "above" in lower
    return "below target" in lower


EXPLAINERS: tuple[Explainer, ...] = (rescaled,)
