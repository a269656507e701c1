"""Event rules: stored Kubernetes episodes matching the rule's matchers.

One sample per episode's label set (cluster, namespace, object or pod, service, kind), so
an episode is one alert however many times its count is bumped afterwards; the episode
stops being seen once it falls out of the window, and the alert then resolves (after
``keep_firing_for``).

``min_count`` counts the occurrences inside the window (from the episode's count over
time), not the episode's total: a loop that made 500 back-offs yesterday and one now is
one now. ``unless`` leaves an episode out while its object has an episode of one of those
kinds in the window: a crash-looping container's restarts are the crash loop's alert, not
a second one.

Example spec::

    {"kind": "crash_loop", "namespace": "shop", "min_count": 1, "window_s": 600}
    {"kind": "container_restart", "unless": ["crash_loop", "evicted"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import choice, no_unknown, number, text
from bongsu.alerts.model import Rule, Sample
from bongsu.errors import RuleError
from bongsu.kube.model import KINDS, SEVERITIES, Episode
from bongsu.store.reads import EventSearch, Reads

_US = 1_000_000
MAX_EPISODES = 1000  # per evaluation; a storm beyond this is one rule's worth of alerts
# Count-over-time reads per evaluation, for min_count > 1 on episodes that began before the
# window: 2.4-8 ms each on the shared, loaded 2-core test machine (1,000 took 2.4-4.5 s of
# a 10 s evaluation limit; 200 take 1.0-1.6 s); past them an episode is judged by its
# total, as before the window was counted (an overcount, of episodes seen in the window).
MAX_COUNT_READS = 200
_MATCHERS = ("reason", "cluster", "namespace", "object", "service")


class Event:
    name = "event"

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(spec, {"kind", "severity", "min_count", "window_s", "unless", *_MATCHERS})
        out: dict[str, Any] = {key: text(spec, key, None) for key in _MATCHERS}
        out["kind"] = choice(spec, "kind", KINDS, None) if spec.get("kind") else None
        out["severity"] = (choice(spec, "severity", SEVERITIES, None)
                           if spec.get("severity") else None)
        out["min_count"] = int(number(spec, "min_count", 1, low=1))
        out["window_s"] = number(spec, "window_s", 600, low=10, high=7 * 86_400)
        out["unless"] = _kinds(spec, "unless")
        return out

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        spec = self.check(rule.spec)
        start_us = now_us - int(spec["window_s"] * _US)
        search = EventSearch(
            start_us=start_us, end_us=now_us,
            limit=MAX_EPISODES, cluster=spec["cluster"], namespace=spec["namespace"],
            kind=spec["kind"], reason=spec["reason"], severity=spec["severity"],
            object=spec["object"], service=spec["service"],
        )
        hidden = _objects_of(ctx.reads, rule.tenant, search, spec["unless"])
        # Newest first: the first episode of a label set is the one its sample tells of.
        seen: dict[tuple[tuple[str, str], ...], Sample] = {}
        needed, reads = spec["min_count"], 0
        for ep in ctx.reads.kube_events(rule.tenant, search):
            if _object(ep) in hidden:
                continue
            count = ep.count
            if needed > 1 and count >= needed and ep.first_seen_us < start_us and (
                    reads < MAX_COUNT_READS):
                reads += 1
                count = _count_since(ctx.reads, ep, start_us)
            if count < needed:
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


def _kinds(spec: Mapping[str, Any], key: str) -> list[str]:
    raw = spec.get(key, [])
    if not isinstance(raw, list):
        raise RuleError(f"spec.{key}", f"expected a list of kinds, got {raw!r}")
    for i, item in enumerate(raw):
        if item not in KINDS:
            raise RuleError(f"spec.{key}[{i}]",
                            f"expected one of {', '.join(KINDS)}, got {item!r}")
    return [str(k) for k in raw]


def _object(ep: Episode) -> tuple[str, str, str, str]:
    return ep.cluster, ep.namespace, ep.object_kind, ep.object_name


def _objects_of(reads: Reads, tenant: str, search: EventSearch,
                kinds: list[str]) -> set[tuple[str, str, str, str]]:
    """The objects that have an episode of one of ``kinds`` in the search's window."""
    found: set[tuple[str, str, str, str]] = set()
    for other in kinds:
        each = EventSearch(start_us=search.start_us, end_us=search.end_us,
                           limit=MAX_EPISODES, cluster=search.cluster,
                           namespace=search.namespace, kind=other,  # type: ignore[arg-type]
                           object=search.object, service=search.service)
        found.update(_object(ep) for ep in reads.kube_events(tenant, each))
    return found


def _count_since(reads: Reads, ep: Episode, start_us: int) -> int:
    """How many times ``ep`` happened from ``start_us`` on (its count within the window),
    from its count over time; an episode that began inside the window needs no read (with
    min_count 1 neither: an episode overlapping the window was seen in it at least once)."""
    found = reads.kube_event(ep.tenant, ep.id)
    if found is None:  # gone since it was listed (retention): as listed
        return ep.count
    _, points = found
    before = max((p.count for p in points if p.ts_us < start_us), default=0)
    return max(ep.count - before, 0)
