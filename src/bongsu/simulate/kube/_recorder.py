"""Posting Events the way the components do: repeats bump the count of one Event.

client-go's event broadcaster keys an event on its involved object, type, reason,
message, component and host; a repeat within the window PATCHes the existing Event
(count + 1, a new lastTimestamp), which a watcher sees as MODIFIED of the same uid and
name. The scheduler's events.k8s.io recorder instead grows ``series`` (count,
lastObservedTime) and leaves first/last timestamps null. Kubernetes deletes an Event an
hour after its last update (``--event-ttl``); :meth:`EventRecorder.expire` does that.

Example::

    kubelet = EventRecorder(cluster, "kubelet", host="node-1")
    for _ in range(3):
        ev = kubelet.record(pod, "Warning", "BackOff", msg.backoff_restart(...),
                            field_path="spec.containers{frontend}")
    ev["count"]  # 3, one Event
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bongsu.simulate.kube import shapes
from bongsu.simulate.kube._cluster import FakeCluster

Obj = dict[str, Any]
WINDOW_S = 600.0  # the broadcaster's aggregation window: 10 minutes
TTL_S = 3600.0  # kube-apiserver --event-ttl


@dataclass
class _Seen:
    namespace: str
    name: str
    last: float


class EventRecorder:
    """Record Events from one ``component`` (on one ``host``); see the module docstring."""

    def __init__(self, cluster: FakeCluster, component: str, host: str | None = None, *,
                 series: bool = False, clock: Callable[[], float] = time.time,
                 window_s: float = WINDOW_S) -> None:
        self.cluster = cluster
        self.component = component
        self.host = host
        self.series = series  # the scheduler's style (events.k8s.io recorder)
        self.clock = clock
        self.window_s = window_s
        self._seen: dict[tuple[str, ...], _Seen] = {}  # key → the Event a repeat bumps
        self._posted: dict[tuple[str, str], float] = {}  # every live Event → last update

    def record(self, involved: Obj, type: str, reason: str, message: str,
               *, field_path: str | None = None, ref: Obj | None = None,
               host: str | None = None) -> Obj:
        """Post an Event, or bump the count of the same one seen within the window."""
        now = self.clock()
        ref = ref or shapes.object_ref(involved, field_path)
        host = host or self.host
        key = (ref.get("kind", ""), ref.get("namespace", ""), ref["name"], ref.get("uid", ""),
               ref.get("fieldPath", ""), type, reason, message, self.component, host or "")
        seen = self._seen.get(key)
        if seen is not None and now - seen.last <= self.window_s:
            stored = self.cluster.get("v1", "Event", seen.namespace, seen.name)
            if stored is not None:
                seen.last = now
                self._posted[(seen.namespace, seen.name)] = now
                return self.cluster.put(self._bump(stored, now))
        # The broadcaster names an Event <object>.<hex nanoseconds>; events posted in the same
        # simulated instant are told apart by the cluster's version counter.
        name = f"{ref['name']}.{int(now * 1e9) + self.cluster.resource_version:x}"
        if self.series:
            ev = shapes.scheduler_event(involved, reason, message, type=type, at=now, name=name)
            ev["involvedObject"] = ref
        else:
            ev = shapes.event(involved, reason, message, type=type, component=self.component,
                              host=host, first=now, ref=ref, name=name)
        stored = self.cluster.put(ev)
        where = (stored["metadata"]["namespace"], stored["metadata"]["name"])
        self._seen[key] = _Seen(*where, now)
        self._posted[where] = now
        if len(self._posted) > 4096:  # bounded: what has outlived its TTL is deleted and forgotten
            self.expire()
        return stored

    def _bump(self, ev: Obj, now: float) -> Obj:
        if self.series:
            count = int((ev.get("series") or {}).get("count", 1)) + 1
            ev["series"] = {"count": count, "lastObservedTime": shapes.micro(now)}
        else:
            ev["count"] = int(ev.get("count") or 1) + 1
            ev["lastTimestamp"] = shapes.iso(now)
        return ev

    def expire(self, ttl_s: float = TTL_S) -> int:
        """Delete this recorder's Events not updated for ``ttl_s``; how many were deleted."""
        now = self.clock()
        old = [where for where, last in self._posted.items() if now - last > ttl_s]
        for namespace, name in old:
            self.cluster.delete("v1", "Event", namespace, name)
            del self._posted[(namespace, name)]
        self._seen = {k: s for k, s in self._seen.items() if (s.namespace, s.name) in self._posted}
        return len(old)
