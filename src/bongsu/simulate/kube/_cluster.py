"""A thread-safe Kubernetes object store with a resourceVersion counter and watch history.

Every ``put`` and ``delete`` takes the next resourceVersion and is kept in a bounded
history, so a watch can resume from any version still in it; older versions (or all,
after :meth:`FakeCluster.compact`) answer 410 Gone, as etcd compaction makes a real API
server do. Objects are stored whole, as the JSON dicts a real server returns; Events in
the core/v1 shape (the API server shows them as events.k8s.io/v1 on demand).

Example::

    cluster = FakeCluster(name="seoul")
    cluster.put(shapes.namespace("shop"))
    pod = cluster.put(shapes.pod("frontend-7d9f8c-x2k4p", "shop", node="node-1"))
    pod["metadata"]["resourceVersion"]  # "2"
    cluster.delete("v1", "Pod", "shop", "frontend-7d9f8c-x2k4p")
"""

from __future__ import annotations

import bisect
import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bongsu.errors import BongsuError
from bongsu.simulate.kube._eventshape import core_from_events_v1
from bongsu.simulate.kube._resources import BY_KIND, EVENTS_APIS, EventsApi

Obj = dict[str, Any]
HISTORY = 20_000  # changes kept for resuming watches; a real etcd compacts every 5 min


class UnknownKind(BongsuError):
    """``put`` got an object whose apiVersion/kind the simulated server does not serve."""


@dataclass(frozen=True)
class Change:
    """One write to the store, as a watch frame will show it."""

    rv: int
    type: str  # "ADDED", "MODIFIED", "DELETED"
    collection: str
    namespace: str
    obj: Obj


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeCluster:
    """The objects of one simulated cluster; see the module docstring."""

    def __init__(self, name: str = "kind", events_api: EventsApi = "both",
                 history: int = HISTORY) -> None:
        if events_api not in EVENTS_APIS:
            raise ValueError(f"events_api must be one of {EVENTS_APIS}, not {events_api!r}")
        self.name = name
        self.events_api = events_api
        self._history_cap = history
        self._lock = threading.RLock()  # watch loops list under the condition
        self.changed = threading.Condition(self._lock)  # notified on every write
        self._rv = 1
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self._history: list[Change] = []
        self._floor = 1  # a watch may resume from any version >= this
        self.url: str | None = None  # set by the ApiServer that serves this cluster

    # -- writes ---------------------------------------------------------------------
    def put(self, obj: Obj) -> Obj:
        """Create or replace ``obj`` (ADDED or MODIFIED); returns the stored copy.

        Fills in what the API server would (uid, creationTimestamp, namespace
        ``default``) and sets ``metadata.resourceVersion`` to the next version.
        """
        obj = copy.deepcopy(obj)
        if obj.get("apiVersion") == "events.k8s.io/v1":
            obj = core_from_events_v1(obj)
        res = BY_KIND.get((obj.get("apiVersion", ""), obj.get("kind", "")))
        if res is None:
            raise UnknownKind(f"not served: {obj.get('apiVersion')}/{obj.get('kind')}")
        meta = obj.setdefault("metadata", {})
        if "name" not in meta:
            raise ValueError("object without metadata.name")
        namespace = meta.setdefault("namespace", "default") if res.namespaced else ""
        if not res.namespaced:
            meta.pop("namespace", None)
        key = (namespace, meta["name"])
        with self._lock:
            objects = self._objects.setdefault(res.collection, {})
            old = objects.get(key)
            meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
            meta.setdefault("creationTimestamp",
                            old["metadata"]["creationTimestamp"] if old else now_iso())
            if not res.watchable:  # metrics: no versions, no history
                objects[key] = obj
                return copy.deepcopy(obj)
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            objects[key] = obj
            self._record(Change(self._rv, "MODIFIED" if old else "ADDED", res.collection,
                                namespace, obj))
            return copy.deepcopy(obj)

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        """Remove an object (a DELETED frame for watchers); the removed copy, or None."""
        res = BY_KIND.get((api_version, kind))
        if res is None:
            raise UnknownKind(f"not served: {api_version}/{kind}")
        key = ((namespace or "default") if res.namespaced else "", name)
        with self._lock:
            old = self._objects.get(res.collection, {}).pop(key, None)
            if old is None or not res.watchable:
                return copy.deepcopy(old)
            self._rv += 1
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._record(Change(self._rv, "DELETED", res.collection, key[0], gone))
            return copy.deepcopy(gone)

    def update(self, api_version: str, kind: str, namespace: str | None, name: str,
               change: Callable[[Obj], None]) -> Obj:
        """Read, change in place and put back one object (KeyError when absent)."""
        current = self.get(api_version, kind, namespace, name)
        if current is None:
            raise KeyError(f"{kind} {namespace}/{name}")
        change(current)
        return self.put(current)

    def compact(self) -> None:
        """Forget all history: a watch or continue token from an older version gets 410."""
        with self._lock:
            self._history.clear()
            self._floor = self._rv
            self.changed.notify_all()

    def _record(self, change: Change) -> None:
        self._history.append(change)
        if len(self._history) > self._history_cap:
            drop = len(self._history) - self._history_cap // 2
            self._floor = self._history[drop - 1].rv
            del self._history[:drop]
        self.changed.notify_all()

    # -- reads ----------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    @property
    def floor(self) -> int:
        """The oldest resourceVersion a watch can still resume from."""
        with self._lock:
            return self._floor

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        res = BY_KIND[(api_version, kind)]
        key = ((namespace or "default") if res.namespaced else "", name)
        with self._lock:
            obj = self._objects.get(res.collection, {}).get(key)
            return copy.deepcopy(obj) if obj is not None else None

    def find(self, collection: str, namespace: str, name: str) -> Obj | None:
        """One object of a collection by namespace ("" when cluster-scoped) and name."""
        with self._lock:
            obj = self._objects.get(collection, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def objects(self, collection: str, namespace: str | None = None) -> tuple[list[Obj], int]:
        """Every object of a collection (in one namespace, or all), sorted, and the version."""
        with self._lock:
            items = sorted(self._objects.get(collection, {}).items())
            return ([copy.deepcopy(o) for (ns, _), o in items
                     if namespace is None or ns == namespace], self._rv)

    def changes_after(self, rv: int, collection: str) -> list[Change] | None:
        """Changes to ``collection`` after ``rv``; None when ``rv`` is below the floor.

        The caller holds :attr:`changed` (this reads under the same lock).
        """
        if rv < self._floor:
            return None
        start = bisect.bisect_right(self._history, rv, key=lambda c: c.rv)
        return [c for c in self._history[start:] if c.collection == collection]

    def list_all(self, api_version: str, kind: str) -> list[Obj]:
        """Every object of one kind, across namespaces (tests and the scenario read this)."""
        return self.objects(BY_KIND[(api_version, kind)].collection)[0]

    # -- clients --------------------------------------------------------------------
    def kubeconfig(self, path: Path | str, context: str | None = None,
                   user: str | None = None, url: str | None = None) -> Path:
        """Write a kubeconfig for the official client and kubectl to reach this cluster."""
        server = url or self.url
        if server is None:
            raise ValueError(f"cluster {self.name!r} is not served yet: start an ApiServer")
        path = Path(path)
        context = context or self.name
        user = user or f"{self.name}-admin"
        path.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: {self.name}\n  cluster:\n    server: {server}\n"
            f"users:\n- name: {user}\n  user:\n    token: simulated-{self.name}\n"
            f"contexts:\n- name: {context}\n  context:\n    cluster: {self.name}\n"
            f"    user: {user}\n    namespace: default\n"
            f"current-context: {context}\n"
        )
        return path
