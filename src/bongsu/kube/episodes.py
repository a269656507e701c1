"""Episodes: Kubernetes Events and state findings merged into one row per episode key.

An :class:`EpisodeBook` holds the open episodes of one tenant (all its clusters):

- An Event merges into the episode of its :class:`~bongsu.kube.model.EpisodeKey`. The
  count is the sum over the Event objects (uids) merged into it of each one's latest
  ``count``, so 100 count bumps of one Event make count 100, and a relist that shows the
  same Event again changes nothing.
- An Event for a key whose episode was last seen more than ``reopen_after_us`` (1 h)
  before it starts a new episode (a new ``first_seen``, so a new id).
- A :class:`~bongsu.kube.model.Finding` (a termination, an HPA scale …) is an episode of
  its own, its id fixed by its key and ``at_us``; seen again, it changes nothing.
- An id is announced (``opened``) once, whichever path sees it first: an HPA rescale or a
  node's Ready change is both a controller's Event and a state finding with the same key
  and time (so one id, one row), and the second of the two is an update.

What the store already holds is loaded first (:meth:`EpisodeBook.load`, the store's
``kube_recent_episodes`` of the last 2 h), so after a relist, a 410, a dropped connection
or a server restart nothing is *opened* (announced) twice. Anything last seen before that
window is saved (the store's upsert keeps one row) but not announced: it is old news. The
per-uid counts of a loaded episode are not stored, so its stored count is a floor: an
Event seen again adds nothing until its own count passes it (a second Event of the same
key that expired from Kubernetes meanwhile makes the count an undercount, never a double).

:meth:`EpisodeBook.prune` forgets what was last seen before a horizon and stops announcing
anything from before it; :meth:`EpisodeBook.forget` drops one episode the writer could not
keep (its next sighting is then written again, not announced).

Example::

    book = EpisodeBook("default")
    book.load(store_reads.kube_recent_episodes("default", "seoul", since_us), since_us)
    change = book.event(key, normal_event, explained)   # None when nothing changed
    if change is not None:
        episode, opened = change
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bongsu.kube.model import Episode, EpisodeKey, Explained, Finding, NormalEvent, episode_id

StoredKey = Callable[[Episode], EpisodeKey]
"""The key of a stored event episode (its discriminator, if any, rebuilt from the row)."""


def _plain_key(ep: Episode) -> EpisodeKey:
    return EpisodeKey(ep.cluster, ep.namespace, ep.object_kind, ep.object_name, ep.reason,
                      ep.component)

REOPEN_AFTER_US = 3_600_000_000  # a gap of an hour: the same trouble again, a new episode
LOAD_WINDOW_US = 2 * 3_600_000_000  # what the watcher loads from the store at start


@dataclass(slots=True)
class _Open:
    episode: Episode  # ``raw`` kept empty here: the raw object goes to the store only
    uids: dict[str, int] = field(default_factory=dict)  # Event uid → its latest count
    floor: int = 0  # the stored count of a loaded episode (its uids are not known)


class EpisodeBook:
    """The open episodes of one tenant; not thread-safe (callers hold one lock)."""

    def __init__(self, tenant: str, reopen_after_us: int = REOPEN_AFTER_US,
                 stored_key: StoredKey = _plain_key) -> None:
        self.tenant = tenant
        self._reopen = reopen_after_us
        self._stored_key = stored_key
        self._open: dict[EpisodeKey, _Open] = {}  # events' episodes by key
        self._findings: dict[str, int] = {}  # finding episode id → at_us
        # Every id announced (or loaded), by either path, → its last seen: one
        # announcement per id when an Event and a finding share it.
        self._announced: dict[str, int] = {}
        self.known_since_us = 0  # everything stored since then has been loaded

    def __len__(self) -> int:
        return len(self._open) + len(self._findings)

    def load(self, episodes: Iterable[Episode], since_us: int) -> None:
        """Take what the store holds (last seen since ``since_us``) as already announced."""
        self.known_since_us = max(self.known_since_us, since_us)
        for ep in episodes:
            self._announced[ep.id] = max(ep.last_seen_us, self._announced.get(ep.id, 0))
            if ep.source == "state":
                self._findings[ep.id] = ep.last_seen_us
                continue
            key = self._stored_key(ep)
            known = self._open.get(key)
            if known is None or known.episode.last_seen_us < ep.last_seen_us:
                self._open[key] = _Open(dataclasses.replace(ep, raw="{}"), floor=ep.count)

    def event(self, key: EpisodeKey, ev: NormalEvent, explained: Explained,
              service: str | None = None) -> tuple[Episode, bool] | None:
        """Merge one sighting of an Event; the episode to save and whether it is new."""
        entry = self._open.get(key)
        if entry is not None and ev.last_seen_us - entry.episode.last_seen_us > self._reopen:
            entry = None  # the same trouble after an hour's quiet: a new episode
        if entry is None:
            first = ev.first_seen_us or ev.last_seen_us
            previous = self._open.get(key)
            if previous is not None and first <= previous.episode.last_seen_us:
                first = ev.last_seen_us  # an Event object that outlived its episode's gap
            count = max(1, ev.count - (previous.uids.get(ev.uid, 0) if previous else 0))
            ep = Episode(
                id=episode_id(self.tenant, key, first), tenant=self.tenant,
                cluster=_i(key.cluster), namespace=_i(key.namespace),
                object_kind=_i(key.object_kind), object_name=_i(key.object_name),
                kind=explained.kind, reason=_i(key.reason), severity=explained.severity,
                summary=explained.summary, message=ev.message, count=count,
                first_seen_us=first, last_seen_us=max(first, ev.last_seen_us),
                component=_i(key.component), source="event", service=service,
                pod=explained.pod, container=explained.container, node=explained.node,
            )
            self._open[key] = _Open(ep, {ev.uid: ev.count})
            return dataclasses.replace(ep, raw=ev.raw), self._announce(ep)
        ep = entry.episode
        before = (ep.count, ep.last_seen_us, ep.message, ep.summary, ep.service)
        if ev.count < entry.uids.get(ev.uid, 0) and ev.last_seen_us <= ep.last_seen_us:
            return None  # an older sighting (a relist racing a watch frame)
        entry.uids[ev.uid] = max(ev.count, 1)
        ep.count = max(entry.floor, sum(entry.uids.values()), ep.count)
        if ev.last_seen_us >= ep.last_seen_us:
            ep.last_seen_us = ev.last_seen_us
            ep.message = ev.message
            ep.kind, ep.severity, ep.summary = explained.kind, explained.severity, explained.summary
            ep.pod = explained.pod or ep.pod
            ep.container = explained.container or ep.container
            ep.node = explained.node or ep.node
        ep.service = service or ep.service
        if (ep.count, ep.last_seen_us, ep.message, ep.summary, ep.service) == before:
            return None
        self._announced[ep.id] = ep.last_seen_us
        return dataclasses.replace(ep, raw=ev.raw), False

    def finding(self, finding: Finding, service: str | None = None) -> tuple[Episode, bool] | None:
        """One sighting of a state finding; None when it was seen (or stored) before."""
        key, explained = finding.key, finding.explained
        id_ = episode_id(self.tenant, key, finding.at_us)
        if id_ in self._findings:
            return None
        self._findings[id_] = finding.at_us
        ep = Episode(
            id=id_, tenant=self.tenant, cluster=_i(key.cluster), namespace=_i(key.namespace),
            object_kind=_i(key.object_kind), object_name=_i(key.object_name),
            kind=explained.kind, reason=_i(key.reason), severity=explained.severity,
            summary=explained.summary, message=finding.message, count=1,
            first_seen_us=finding.at_us, last_seen_us=finding.at_us,
            component=_i(key.component), source="state", service=service,
            pod=explained.pod, container=explained.container, node=explained.node,
            raw=finding.raw,
        )
        return ep, self._announce(ep)

    def _announce(self, ep: Episode) -> bool:
        """Whether ``ep`` is news: not announced before by either path, nor old."""
        known = ep.id in self._announced
        self._announced[ep.id] = max(ep.last_seen_us, self._announced.get(ep.id, 0))
        return not known and ep.last_seen_us >= self.known_since_us

    def forget(self, episode: Episode) -> None:
        """The writer dropped ``episode``: its next sighting is written again (an Event
        seen on a relist, say), though not announced again."""
        if episode.source == "state":
            self._findings.pop(episode.id, None)
            return
        for key, entry in list(self._open.items()):
            if entry.episode.id == episode.id:
                del self._open[key]

    def prune(self, before_us: int) -> int:
        """Forget episodes last seen before ``before_us`` (nothing merges into them again)
        and announce nothing from before it (a relist showing one is old news)."""
        self.known_since_us = max(self.known_since_us, before_us)
        stale = [k for k, e in self._open.items() if e.episode.last_seen_us < before_us]
        for k in stale:
            del self._open[k]
        old = [i for i, at in self._findings.items() if at < before_us]
        for i in old:
            del self._findings[i]
        gone = [i for i, at in self._announced.items() if at < before_us]
        for i in gone:
            del self._announced[i]
        return len(stale) + len(old)


def _i(text: str) -> str:
    # Names repeat across thousands of episodes; one copy of each.
    return sys.intern(text)
