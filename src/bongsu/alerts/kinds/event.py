"""Event rules: stored Kubernetes episodes matching the rule's matchers.

One sample per episode's label set (cluster, namespace, object or pod, service, kind), so
an episode is one alert however many times its count is bumped afterwards; the episode
stops being seen once it falls out of the window, and the alert then resolves (after
``keep_firing_for``).

Example spec::

    {"kind": "crash_loop", "namespace": "shop", "min_count": 1, "window_s": 600}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import choice, no_unknown, number, text
from bongsu.alerts.model import Rule, Sample
from bongsu.kube.model import KINDS, SEVERITIES, Episode
from bongsu.store.reads import EventSearch

_US = 1_000_000
MAX_EPISODES = 1000  # per evaluation; a storm beyond this is one rule's worth of alerts
_MATCHERS = ("reason", "cluster", "namespace", "object", "service")


class Event:
    name = "event"

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(spec, {"kind", "severity", "min_count", "window_s", *_MATCHERS})
        out: dict[str, Any] = {key: text(spec, key, None) for key in _MATCHERS}
        out["kind"] = choice(spec, "kind", KINDS, None) if spec.get("kind") else None
        out["severity"] = (choice(spec, "severity", SEVERITIES, None)
                           if spec.get("severity") else None)
        out["min_count"] = int(number(spec, "min_count", 1, low=1))
        out["window_s"] = number(spec, "window_s", 600, low=10, high=7 * 86_400)
        return out

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        spec = self.check(rule.spec)
        search = EventSearch(
            start_us=now_us - int(spec["window_s"] * _US), end_us=now_us,
            limit=MAX_EPISODES, cluster=spec["cluster"], namespace=spec["namespace"],
            kind=spec["kind"], reason=spec["reason"], severity=spec["severity"],
            object=spec["object"], service=spec["service"],
        )
        # Newest first: the first episode of a label set is the one its sample tells of.
        seen: dict[tuple[tuple[str, str], ...], Sample] = {}
        for ep in ctx.reads.kube_events(rule.tenant, search):
            if ep.count < spec["min_count"]:
                continue
            labels = episode_labels(ep)
            key = tuple(sorted(labels.items()))
            if key not in seen:
                seen[key] = Sample(
                    labels, True, float(ep.count), ep.summary, link=f"/events/{ep.id}",
                    details={"episode": ep.id, "reason": ep.reason, "message": ep.message,
                             "first_seen_us": ep.first_seen_us},
                )
        return list(seen.values())


def episode_labels(ep: Episode) -> dict[str, str]:
    """The label set of an episode's alert."""
    labels = {"cluster": ep.cluster, "namespace": ep.namespace, "kind": ep.kind,
              "object": f"{ep.object_kind}/{ep.object_name}"}
    if ep.pod:
        labels["pod"] = ep.pod
    if ep.service:
        labels["service"] = ep.service
    return labels
