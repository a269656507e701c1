"""A HorizontalPodAutoscaler as compact state, and its scale-outs and scale-ins.

The HPA's status has what its ``SuccessfulRescale`` event lacks: the size before, and
each metric's current value beside its target (``status.currentMetrics`` against
``spec.metrics``). The metric that drove a scale is the one furthest above (or least
below) its target, since the controller takes the largest of the per-metric proposals.
autoscaling/v2 shapes are read, and the v1 ``targetCPUUtilizationPercentage`` too.

Example::

    state = hpa_state("public", obj)   # state.metrics == ["cpu 92% / 70%"]
    hpa_findings(previous, state, obj)[0].explained.summary
    # 'frontend HPA scaled out 3 → 5: cpu 92% of request, target 70%'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bongsu.kube._fields import (
    condition,
    integer,
    items,
    latest_managed_time_us,
    mapping,
    text,
    timestamp_us,
    to_json,
)
from bongsu.kube.explain import rescale_discriminator
from bongsu.kube.explain.text import shorten
from bongsu.kube.model import EpisodeKey, Explained, Finding, HpaState, Kind
from bongsu.kube.quantity import format_bytes, parse_quantity

HPA_CONTROLLER = "horizontal-pod-autoscaler"
"""The component that reports HPA rescales (``source.component`` of its events)."""

# The key under a metric entry that holds its body, by the entry's type.
_BODY = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
         "Object": "object", "External": "external"}


@dataclass(frozen=True, slots=True)
class Reading:
    """One metric of an HPA: its current value against its target."""

    name: str
    mode: str  # "Utilization" (percent of request), "AverageValue" (per pod), "Value"
    current: float | None
    target: float | None

    @property
    def ratio(self) -> float:
        if self.current is None or not self.target:
            return 0.0
        return self.current / self.target

    def short(self) -> str:
        """``"cpu 92% / 70%"``."""
        return f"{self.name} {self._value(self.current)} / {self._value(self.target)}"

    def phrase(self) -> str:
        """``"cpu 92% of request, target 70%"``, ``"memory 300 MiB per pod, target …"``."""
        unit = {"Utilization": " of request", "AverageValue": " per pod"}.get(self.mode, "")
        return f"{self.name} {self._value(self.current)}{unit}, target {self._value(self.target)}"

    def _value(self, value: float | None) -> str:
        if value is None:
            return "?"
        if self.mode == "Utilization":
            return f"{round(value)}%"
        if self.name == "memory":
            return format_bytes(value)
        return f"{value:g}"


def readings(obj: Mapping[str, Any]) -> list[Reading]:
    """The HPA's metrics, each with its current value when the status has one."""
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    v1_target = integer(spec, "targetCPUUtilizationPercentage")
    if v1_target is not None and not items(spec, "metrics"):
        current = integer(status, "currentCPUUtilizationPercentage")
        return [Reading("cpu", "Utilization", None if current is None else float(current),
                        float(v1_target))]
    currents = {_metric_id(m): m for m in items(status, "currentMetrics")}
    found: list[Reading] = []
    for metric in items(spec, "metrics"):
        body = mapping(metric, _BODY.get(text(metric, "type"), ""))
        target = mapping(body, "target")
        mode = text(target, "type") or "Value"
        now = mapping(currents.get(_metric_id(metric), {}),
                      _BODY.get(text(metric, "type"), ""), "current")
        found.append(Reading(_metric_name(body), mode, _amount(now, mode),
                             _amount(target, mode)))
    return found


def hpa_state(cluster: str, obj: Mapping[str, Any]) -> HpaState:
    """The compact state of a HorizontalPodAutoscaler (autoscaling/v2 or v1)."""
    meta = mapping(obj, "metadata")
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    target = mapping(spec, "scaleTargetRef")
    return HpaState(
        cluster=cluster,
        namespace=text(meta, "namespace"),
        name=text(meta, "name"),
        target_kind=text(target, "kind"),
        target_name=text(target, "name"),
        min_replicas=integer(spec, "minReplicas") or 1,
        max_replicas=integer(spec, "maxReplicas") or 0,
        current=integer(status, "currentReplicas") or 0,
        desired=integer(status, "desiredReplicas") or 0,
        metrics=[r.short() for r in readings(obj)],
    )


def hpa_findings(old: HpaState | None, new: HpaState, obj: Mapping[str, Any]) -> list[Finding]:
    """A scale-out or scale-in when the desired replicas change (from → to needs ``old``)."""
    if old is None or old.desired == new.desired or new.desired <= 0:
        return []
    before = old.desired or old.current
    out = new.desired > before
    kind: Kind = "hpa_scale_out" if out else "hpa_scale_in"
    at = (timestamp_us(mapping(obj, "status").get("lastScaleTime"))
          or latest_managed_time_us(obj) or 0)
    summary = f"{new.name} HPA scaled {'out' if out else 'in'} {before} → {new.desired}"
    known = [r for r in readings(obj) if r.current is not None]
    if known:
        summary += ": " + max(known, key=lambda r: r.ratio).phrase()
    limited = condition(obj, "ScalingLimited")
    if text(limited, "status") == "True" and text(limited, "reason") == "TooManyReplicas":
        summary += f" (capped at max {new.max_replicas})"
    # The key and time of the controller's own SuccessfulRescale event: it stamps the
    # event and status.lastScaleTime in the same sync (both to the second), so the
    # watcher's episode id for the event and for this finding agree and the two merge
    # into one episode (apart from a sync that straddles a second boundary). The new size
    # tells this scale from the next (the event's "New size: N" gives the same).
    key = EpisodeKey(cluster=new.cluster, namespace=new.namespace,
                     object_kind="HorizontalPodAutoscaler", object_name=new.name,
                     reason="SuccessfulRescale", component=HPA_CONTROLLER,
                     discriminator=rescale_discriminator(new.desired))
    message = f"{before} → {new.desired} replicas of {new.target_kind} {new.target_name}"
    if new.metrics:
        message += "; " + ", ".join(new.metrics)
    return [Finding(key=key, explained=Explained(kind, "info", shorten(summary)), at_us=at,
                    message=message, raw=to_json(mapping(obj, "status")))]


def _metric_id(metric: Mapping[str, Any]) -> tuple[str, str, str]:
    body = mapping(metric, _BODY.get(text(metric, "type"), ""))
    return text(metric, "type"), _metric_name(body), text(body, "container")


def _metric_name(body: Mapping[str, Any]) -> str:
    return text(body, "name") or text(mapping(body, "metric"), "name") or "metric"


def _amount(value: Mapping[str, Any], mode: str) -> float | None:
    if mode == "Utilization":
        percent = integer(value, "averageUtilization")
        return None if percent is None else float(percent)
    if mode == "AverageValue":
        return parse_quantity(value.get("averageValue"))
    return parse_quantity(value.get("value"))
