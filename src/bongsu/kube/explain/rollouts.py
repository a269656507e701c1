"""The Deployment controller's ``ScalingReplicaSet``: the steps of a rollout."""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line
from bongsu.kube.model import Explained, NormalEvent

# "Scaled up replica set web-7d9f to 3", since 1.26 also "… from 1 to 3" / "… to 0 from 1".
_SCALED = re.compile(r"Scaled (up|down) replica set (\S+) (?:from (\d+) )?to (\d+)"
                     r"(?: from (\d+))?")


@explainer(reasons=("ScalingReplicaSet",))
def scaling_replica_set(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    match = _SCALED.search(first_line(event.message))
    if match is None:
        step = first_line(event.message)
    else:
        direction, replica_set, before, after, before_late = match.groups()
        step = f"scaled {direction} replica set {replica_set} to {after}"
        if before or before_late:
            step += f" (from {before or before_late})"
    return ctx.explained("rollout", "info", f"{event.object_name} rollout: {step}")


EXPLAINERS: tuple[Explainer, ...] = (scaling_replica_set,)
