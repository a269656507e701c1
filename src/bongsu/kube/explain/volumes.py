"""Volumes that do not mount, attach or map: ``FailedMount``, ``FailedAttachVolume`` …"""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import first_line, on_node, quoted_after, root_cause
from bongsu.kube.model import Explained, NormalEvent

_VERB = {"FailedMount": "mount", "FailedAttachVolume": "attach", "FailedMapVolume": "map"}
_UNMOUNTED = re.compile(r"unmounted volumes=\[([^\]]*)\]")


@explainer(reasons=tuple(_VERB))
def volume_failed(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    message = first_line(event.message)
    volume = quoted_after(message, "volume")
    if volume is None:
        unmounted = _UNMOUNTED.search(message)
        volume = unmounted.group(1) if unmounted else None
    subject = f"volume {volume}" if volume else "a volume"
    return ctx.explained("volume_mount", "warning",
                         f"pod {ctx.pod or event.object_name} cannot {_VERB[event.reason]} "
                         f"{subject}{on_node(ctx.node)}: {_cause(message)}")


def _cause(message: str) -> str:
    lower = message.lower()
    if "multi-attach" in lower:
        return "already attached to another node (Multi-Attach)"
    if "timed out waiting for the condition" in lower or "context deadline exceeded" in lower:
        return "timed out waiting for it"
    # "MountVolume.SetUp failed for volume "config" : configmap "orders-config" not found"
    if " : " in message:
        return root_cause(message.rsplit(" : ", 1)[1].strip())
    return root_cause(message)


EXPLAINERS: tuple[Explainer, ...] = (volume_failed,)
