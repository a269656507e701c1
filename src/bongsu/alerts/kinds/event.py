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

In an evaluation round (``Context.shared``) the event rules of one tenant and window read
that window's episodes once (at most ``window_limit``, newest first) and each picks its own
from them in memory, as its own read would have returned them: its first ``MAX_EPISODES``
matches in the same order, so the cap still holds per rule. A window holding more than the
shared read kept serves the rules with ``MAX_EPISODES`` matches among the kept ones; the
others read on their own, as outside a round. Count-over-time reads are shared too.

Example spec::

    {"kind": "crash_loop", "namespace": "shop", "min_count": 1, "window_s": 600}
    {"kind": "container_restart", "unless": ["crash_loop", "evicted"]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import choice, no_unknown, number, text
from bongsu.alerts.model import Rule, Sample
from bongsu.errors import RuleError, TooManyRows
from bongsu.kube.model import KINDS, SEVERITIES, Episode
from bongsu.store.reads import EventSearch, Reads

_US = 1_000_000
MAX_EPISODES = 1000  # per evaluation; a storm beyond this is one rule's worth of alerts
# Count-over-time reads per evaluation, for min_count > 1 on episodes that began before the
# window: 2.4-8 ms each on the shared, loaded 2-core test machine (1,000 took 2.4-4.5 s of
# a 10 s evaluation limit; 200 take 1.0-1.6 s); past them an episode is judged by its
# total, as before the window was counted (an overcount, of episodes seen in the window).
MAX_COUNT_READS = 200
# One round's shared read of a window: 5,000 episodes are ~50 ms to read and a few MB held
# (well under the default 10,000-row query cap); bench/alerts_eval.py's 10 min window holds
# ~160, a storm more (then rules whose matches are not all among them read their own).
WINDOW_EPISODES = 5 * MAX_EPISODES
_MATCHERS = ("reason", "cluster", "namespace", "object", "service")


class Event:
    """The event kind; ``max_episodes`` and ``window_limit`` are the caps above (tests
    lower them to reach them with a few hundred episodes)."""

    name = "event"

    def __init__(self, max_episodes: int = MAX_EPISODES,
                 window_limit: int = WINDOW_EPISODES) -> None:
        self._max_episodes = max_episodes
        self._window_limit = window_limit

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
            limit=self._max_episodes, cluster=spec["cluster"], namespace=spec["namespace"],
            kind=spec["kind"], reason=spec["reason"], severity=spec["severity"],
            object=spec["object"], service=spec["service"],
        )
        find = self._finder(ctx, rule.tenant, start_us, now_us)
        hidden = _objects_of(find, search, spec["unless"])
        # Newest first: the first episode of a label set is the one its sample tells of.
        seen: dict[tuple[tuple[str, str], ...], Sample] = {}
        needed, reads = spec["min_count"], 0
        for ep in find(search):
            if _object(ep) in hidden:
                continue
            count = ep.count
            if needed > 1 and count >= needed and ep.first_seen_us < start_us and (
                    reads < MAX_COUNT_READS):
                reads += 1  # counted per rule, shared or not: the cap means the same
                count = _count_since_shared(ctx, ep, start_us)
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

    def _finder(self, ctx: Context, tenant: str, start_us: int, end_us: int
                ) -> Callable[[EventSearch], list[Episode]]:
        """What answers the rule's searches (all over ``[start_us, end_us)``): the store,
        or in a round the window's shared episodes when they can tell."""
        if ctx.shared is None:
            return lambda search: ctx.reads.kube_events(tenant, search)
        limit = self._window_limit
        window = ctx.shared.get(("event window", tenant, start_us, end_us, limit),
                                lambda: _read_window(ctx.reads, tenant, start_us, end_us,
                                                     limit))

        def find(search: EventSearch) -> list[Episode]:
            found = None if window is None else window.first(search)
            return ctx.reads.kube_events(tenant, search) if found is None else found

        return find


@dataclass(frozen=True, slots=True)
class _Window:
    """The episodes overlapping one window as one read returned them (newest
    ``last_seen_us`` first, then by id), and the same per kind in the same order;
    ``complete`` when the read held every one (it returned fewer than its limit)."""

    episodes: list[Episode]
    by_kind: dict[str, list[Episode]]
    complete: bool

    def first(self, search: EventSearch) -> list[Episode] | None:
        """What ``Reads.kube_events`` answers ``search`` over this window with, or None
        when it cannot tell: the read was cut short and held fewer than the search's
        ``limit`` matches (a kept prefix of the order holds a search's first matches)."""
        pool = self.episodes if search.kind is None else self.by_kind.get(search.kind, [])
        out: list[Episode] = []
        for ep in pool:
            if _matches(ep, search):
                out.append(ep)
                if len(out) == search.limit:
                    return out
        return out if self.complete else None


def _read_window(reads: Reads, tenant: str, start_us: int, end_us: int, limit: int
                 ) -> _Window | None:
    """The window's episodes; None past the store's row cap (the rules then read their
    own, each capped at MAX_EPISODES)."""
    try:
        episodes = reads.kube_events(tenant, EventSearch(start_us=start_us, end_us=end_us,
                                                         limit=limit))
    except TooManyRows:
        return None
    by_kind: dict[str, list[Episode]] = {}
    for ep in episodes:
        by_kind.setdefault(ep.kind, []).append(ep)
    return _Window(episodes, by_kind, complete=len(episodes) < limit)


def _matches(ep: Episode, search: EventSearch) -> bool:
    """``search``'s filters as the store applies them (equal values; ``object`` a prefix of
    the object's name), the window aside."""
    if search.q is not None:
        raise ValueError("a shared window does not search text")  # no rule asks it
    return ((search.kind is None or ep.kind == search.kind)
            and (search.cluster is None or ep.cluster == search.cluster)
            and (search.namespace is None or ep.namespace == search.namespace)
            and (search.reason is None or ep.reason == search.reason)
            and (search.severity is None or ep.severity == search.severity)
            and (search.service is None or ep.service == search.service)
            and (search.pod is None or ep.pod == search.pod)
            and (search.object is None or ep.object_name.startswith(search.object)))


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


def _objects_of(find: Callable[[EventSearch], list[Episode]], search: EventSearch,
                kinds: list[str]) -> set[tuple[str, str, str, str]]:
    """The objects that have an episode of one of ``kinds`` in the search's window."""
    found: set[tuple[str, str, str, str]] = set()
    for other in kinds:
        each = EventSearch(start_us=search.start_us, end_us=search.end_us,
                           limit=search.limit, cluster=search.cluster,
                           namespace=search.namespace, kind=other,  # type: ignore[arg-type]
                           object=search.object, service=search.service)
        found.update(_object(ep) for ep in find(each))
    return found


def _count_since_shared(ctx: Context, ep: Episode, start_us: int) -> int:
    """:func:`_count_since`, once a round per episode, count as listed and window."""
    if ctx.shared is None:
        return _count_since(ctx.reads, ep, start_us)
    return ctx.shared.get(("event count since", ep.tenant, ep.id, ep.count, start_us),
                          lambda: _count_since(ctx.reads, ep, start_us))


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
