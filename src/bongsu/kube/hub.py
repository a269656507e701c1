"""The hub: every watched cluster of the server, the live view the API reads, and the
parts they share (the episode writer, the service links, the ingress scrapers).

It implements :class:`bongsu.kube.model.KubeView`. With no cluster configured it is an
empty view and starts no thread. Listeners (``subscribe``) hear every episode change as
``(episode, opened)`` on a watch thread of its cluster, in the order the cluster made the
changes and outside its lock (a slow listener stalls no reader); a listener that raises
is logged and skipped, never stopping a watch. What fails (resources, the usage read,
ingress scrapes, the writer, the explainers) is in ``clusters()`` and ``health()``.
Nothing here waits on a cluster: an unreachable one retries on its own threads while the
API, ingest and the other clusters carry on.

Among replicas only one watches (:mod:`bongsu.kube.gate` starts and stops it on a lease):
:meth:`KubeHub.pause` disconnects every watch and scraper and leaves fresh, unstarted
watches in their place (the clusters listed, nothing connected), and :meth:`KubeHub.start`
connects again, from what the store holds.

Threads: per cluster ``bongsu-kube-<cluster>-connect`` (discovery), ``-<resource>`` (one
list + watch loop each), ``-points`` (state points and metrics.k8s.io usage); shared
``bongsu-kube-writer`` (episodes to the store), ``bongsu-kube-links`` (every 15 s: which
pod runs which service, from the telemetry's ``k8s.pod.name``) and ``bongsu-kube-scrape``
(the ingress endpoints).

Example::

    hub = KubeHub(KubeSetup.from_settings(settings), store, reads)
    hub.subscribe(lambda episode, opened: print(episode.summary) if opened else None)
    hub.start()
    hub.clusters("default")
    hub.close()
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from bongsu.kube.cluster import ClusterWatch
from bongsu.kube.config import ClusterSpec, IngressSpec, load_clusters, parse_ingress
from bongsu.kube.episodes import LOAD_WINDOW_US, REOPEN_AFTER_US
from bongsu.kube.explain import Registry, builtin_registry
from bongsu.kube.model import (
    ClusterStatus,
    Episode,
    HpaState,
    IngressRoute,
    NodeState,
    PodState,
    WatcherHealth,
    WorkloadState,
)
from bongsu.kube.sampler import Intervals
from bongsu.kube.scrape import Scraper, ScrapeTarget
from bongsu.kube.watch import Timing, describe_error
from bongsu.kube.writer import EpisodeWriter
from bongsu.settings import Settings
from bongsu.store.batch import Batch
from bongsu.store.reads import PodLink

log = logging.getLogger("bongsu.kube.hub")

Listener = Callable[[Episode, bool], None]
LINK_INTERVAL_S = 15.0
_LINK_WINDOW_US = 3_600_000_000  # pods that sent telemetry within the hour


class HubStore(Protocol):
    """The store's write side, as far as the hub uses it."""

    def save_kube_episodes(self, episodes: Sequence[Episode]) -> None: ...

    def load(self, batch: Batch, lsn: int | None) -> bool: ...

    def link_kube_episodes(
        self, tenant: str, cluster: str, links: Sequence[tuple[str, str, str]]
    ) -> int: ...


class HubReads(Protocol):
    def kube_recent_episodes(self, tenant: str, cluster: str, since_us: int) -> list[Episode]: ...

    def pod_links(self, tenant: str, since_us: int) -> list[PodLink]: ...


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class KubeSetup:
    """What the settings say to watch, checked (a :class:`SettingError` names the bad part)."""

    clusters: Sequence[ClusterSpec] = ()
    ingress: Sequence[IngressSpec] = ()
    tenant: str = "default"
    timing: Timing = field(default_factory=Timing)
    intervals: Intervals = field(default_factory=Intervals)
    scrape_interval_s: float = 15.0
    registry: Registry = field(default_factory=builtin_registry)
    """The explainers every cluster uses (a server or a test may bring its own)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> KubeSetup:
        specs = load_clusters(settings.kube_clusters)
        return cls(
            specs, parse_ingress(settings.kube_ingress, specs), settings.kube_tenant,
            Timing(silent_s=settings.kube_silent_seconds,
                   backoff_max_s=settings.kube_backoff_max_seconds),
            Intervals(usage_s=settings.kube_usage_interval_seconds,
                      state_s=settings.kube_state_interval_seconds),
            settings.kube_scrape_interval_seconds,
        )


class KubeHub:
    """All watched clusters of one server (see the module docstring)."""

    def __init__(self, setup: KubeSetup, store: HubStore, reads: HubReads) -> None:
        tenant, ingress, scrape_interval_s = setup.tenant, setup.ingress, setup.scrape_interval_s
        self.tenant = tenant
        self._store = store
        self._reads = reads
        self._registry = setup.registry
        self._listeners: list[Listener] = []
        self._links: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._fresh_links: set[tuple[str, str, str]] = set()  # new in the last refresh
        self._backends: dict[tuple[str, str], str] = {}  # (namespace, Service) → service
        self._stop = threading.Event()
        self.writer = EpisodeWriter(store, on_drop=self._dropped)
        self._writing = False  # the writer's thread started (once: it outlives a pause)
        self._setup = setup
        self.watches = self._new_watches()
        self._scrapers = [
            Scraper(ScrapeTarget(t.cluster, t.url, t.namespace, t.service), tenant,
                    service_of=self._service_of)
            for t in ingress
        ]
        self.scrape_errors: dict[str, str] = {}  # url → the last scrape's error
        self._scrape_interval_s = scrape_interval_s
        self._threads: list[threading.Thread] = []

    def _new_watches(self) -> list[ClusterWatch]:
        setup = self._setup
        return [ClusterWatch(spec, self.tenant, setup.timing, setup.intervals, self._emit,
                             lambda: self._links, self._load_points, registry=setup.registry)
                for spec in setup.clusters]

    @property
    def watching(self) -> bool:
        """Whether anything is configured to watch or scrape (else start does nothing)."""
        return bool(self.watches or self._scrapers)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(episode, opened)`` for every episode change from now on."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Load what the store holds, then start watching (returns at once)."""
        if not self.watching:
            return
        since = _now_us() - LOAD_WINDOW_US
        for watch in self.watches:
            try:
                stored = self._reads.kube_recent_episodes(self.tenant, watch.name, since)
            except Exception as exc:  # not fatal: at worst, recent episodes announce again
                log.error("cluster %s: could not load recent episodes: %s", watch.name,
                          describe_error(exc))
                stored = []
            watch.load(stored, since)
            log.info("cluster %s: %d episodes of the last %d h loaded", watch.name,
                     len(stored), LOAD_WINDOW_US // 3_600_000_000)
        self._refresh_links()
        if not self._writing:
            self._writing = True
            self.writer.start()
        for watch in self.watches:
            watch.start()
        self._threads = [
            threading.Thread(target=self._every, args=(LINK_INTERVAL_S, self._housekeeping),
                             name="bongsu-kube-links", daemon=True),
        ]
        if self._scrapers:
            self._threads.append(threading.Thread(
                target=self._every, args=(self._scrape_interval_s, self._scrape),
                name="bongsu-kube-scrape", daemon=True))
        for t in self._threads:
            t.start()

    def close(self) -> None:
        """Stop every thread; write what is pending."""
        self._stop_watching()
        self.writer.close()

    def pause(self) -> None:
        """Disconnect every watch and scraper now and write what they found; fresh watches
        take their place, so :meth:`start` connects again (this replica lost the lease)."""
        self._stop_watching()
        self.writer.flush()
        self.watches = self._new_watches()
        self.scrape_errors = {}
        self._threads = []
        self._stop = threading.Event()

    def _stop_watching(self) -> None:
        self._stop.set()
        for watch in self.watches:
            watch.signal_stop()  # every cluster at once: a slow one does not hold up the rest
        for watch in self.watches:
            watch.close()
        for t in self._threads:
            t.join(10)

    # -- the episode path --------------------------------------------------------------

    def _emit(self, episode: Episode, opened: bool) -> None:
        self.writer.put(episode)
        for listener in self._listeners:
            try:
                listener(episode, opened)
            except Exception:
                log.exception("an episode listener failed")

    def _dropped(self, episode: Episode) -> None:
        for watch in self.watches:
            if watch.name == episode.cluster:
                watch.forget(episode)

    # -- periodic work -----------------------------------------------------------------

    def _every(self, interval_s: float, work: Callable[[], None]) -> None:
        while not self._stop.wait(interval_s):
            try:
                work()
            except Exception:
                log.exception("kube housekeeping failed")

    def _housekeeping(self) -> None:
        self._refresh_links()
        horizon = _now_us() - REOPEN_AFTER_US - LOAD_WINDOW_US
        for watch in self.watches:
            watch.prune(horizon)

    def _refresh_links(self) -> None:
        try:
            rows = self._reads.pod_links(self.tenant, _now_us() - _LINK_WINDOW_US)
        except Exception as exc:
            log.warning("pod links could not be read: %s", describe_error(exc))
            return
        names = [w.name for w in self.watches]
        links: dict[tuple[str, str, str], tuple[str, str]] = {}
        for row in rows:  # most recently seen first: the first of a pod wins
            if row.cluster is not None:
                links.setdefault((row.cluster, row.namespace or "", row.pod),
                                 (row.service, row.instance))
        for row in rows:  # telemetry without k8s.cluster.name: any cluster's pod of that name
            if row.cluster is None:
                for name in names:
                    links.setdefault((name, row.namespace or "", row.pod),
                                     (row.service, row.instance))
        fresh = links.keys() - self._links.keys()
        self._links = links
        for watch in self.watches:
            watch.link(links)
        self._link_stored(fresh | self._fresh_links)
        self._fresh_links = set(fresh)

    def _link_stored(self, keys: set[tuple[str, str, str]]) -> None:
        """Episodes stored before their pod was linked get its service. The links new in
        the previous refresh are applied again: an episode still in the writer's queue
        then (it writes about once a second) is stored by now."""
        by_cluster: dict[str, list[tuple[str, str, str]]] = {}
        for cluster, namespace, pod in keys:
            found = self._links.get((cluster, namespace, pod))
            if found is not None:
                by_cluster.setdefault(cluster, []).append((namespace, pod, found[0]))
        for cluster, links in by_cluster.items():
            try:
                self._store.link_kube_episodes(self.tenant, cluster, links)
            except Exception as exc:
                log.warning("cluster %s: episodes could not be linked to services: %s",
                            cluster, describe_error(exc))

    def _scrape(self) -> None:
        # One snapshot per round: the scraper asks for a backend's service per series.
        self._backends = {
            (route.namespace, route.backend_service): route.service
            for watch in self.watches for route in watch.routes_now() if route.service
        }
        now = _now_us()
        for scraper in self._scrapers:
            url = scraper.target.url
            try:
                table = scraper.scrape(now)
            except Exception as exc:
                error = describe_error(exc)
                if self.scrape_errors.get(url) != error:
                    log.warning("ingress %s (%s): %s", url, scraper.target.cluster, error)
                self.scrape_errors[url] = error
                continue
            if self.scrape_errors.pop(url, None) is not None:
                log.info("ingress %s: scraping again", url)
            self._load_points(table)

    def _load_points(self, table: pa.Table) -> None:
        if table.num_rows:
            self._store.load(Batch(metrics=table), None)

    def _service_of(self, namespace: str, service: str) -> str | None:
        """The Bongsu service behind a Kubernetes Service (an ingress backend)."""
        return self._backends.get((namespace, service))

    # -- KubeView ----------------------------------------------------------------------

    def _mine(self, tenant: str, cluster: str | None) -> list[ClusterWatch]:
        if tenant != self.tenant:
            return []
        return [w for w in self.watches if cluster is None or w.name == cluster]

    def clusters(self, tenant: str) -> list[ClusterStatus]:
        errors = dict(self.scrape_errors)  # a copy: the scrape thread changes it
        return [dataclasses.replace(w.status(), scrape_targets={
            s.target.url: errors.get(s.target.url) for s in self._scrapers
            if s.target.cluster == w.name}) for w in self._mine(tenant, None)]

    def health(self, tenant: str) -> WatcherHealth:
        if tenant != self.tenant:
            return WatcherHealth()
        w = self.writer
        return WatcherHealth(saved=w.saved, pending=w.pending, dropped=w.dropped,
                             write_failures=w.failures, write_error=w.last_error,
                             explainer_failures=self._registry.failures)

    def nodes(self, tenant: str, cluster: str | None) -> list[NodeState]:
        return [n for w in self._mine(tenant, cluster) for n in w.nodes_now()]

    def pods(self, tenant: str, cluster: str | None, namespace: str | None,
             service: str | None) -> list[PodState]:
        return [p for w in self._mine(tenant, cluster) for p in w.pods_now()
                if (namespace is None or p.namespace == namespace)
                and (service is None or p.service == service)]

    def workloads(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[WorkloadState]:
        return [x for w in self._mine(tenant, cluster) for x in w.workloads_now()
                if namespace is None or x.namespace == namespace]

    def hpas(self, tenant: str, cluster: str | None,
             namespace: str | None) -> list[HpaState]:
        return [x for w in self._mine(tenant, cluster) for x in w.hpas_now()
                if namespace is None or x.namespace == namespace]

    def ingresses(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[IngressRoute]:
        return [x for w in self._mine(tenant, cluster) for x in w.routes_now()
                if namespace is None or x.namespace == namespace]
