"""The episode book: count bumps, re-sightings, reopening after a gap, loading what is stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from bongsu.kube.autoscaling import HPA_CONTROLLER, hpa_findings, hpa_state
from bongsu.kube.episodes import EpisodeBook
from bongsu.kube.events import normalise
from bongsu.kube.explain import episode_key, explain_event, no_pods, stored_episode_key
from bongsu.kube.model import (
    Episode,
    EpisodeKey,
    Explained,
    Finding,
    NormalEvent,
    episode_id,
)
from bongsu.kube.writer import EpisodeWriter
from bongsu.simulate.kube import shapes
from bongsu.simulate.kube.shapes import messages as msg

T0 = 1_764_000_000_000_000
S = 1_000_000
KEY = EpisodeKey("seoul", "shop", "Pod", "orders-7d9f-x2k", "BackOff", "kubelet")
WHY = Explained("crash_loop", "critical", "orders-7d9f-x2k container orders is crash-looping",
                pod="orders-7d9f-x2k", container="orders", node="node-1")


def _event(count: int, last_s: float, uid: str = "u1", first_s: float = 0,
           message: str = "Back-off restarting failed container orders") -> NormalEvent:
    return NormalEvent(
        cluster="seoul", uid=uid, namespace="shop", object_kind="Pod",
        object_name="orders-7d9f-x2k", object_uid="p1", field_path="spec.containers{orders}",
        reason="BackOff", message=message, type="Warning", component="kubelet", host="node-1",
        count=count, first_seen_us=T0 + int(first_s * S), last_seen_us=T0 + int(last_s * S),
        raw=f'{{"count": {count}}}',
    )


def test_count_bumps_stay_one_episode() -> None:
    book = EpisodeBook("default")
    first = book.event(KEY, _event(1, 0), WHY)
    assert first is not None
    episode, opened = first
    assert opened and episode.count == 1 and episode.raw == '{"count": 1}'
    assert episode.id == episode_id("default", KEY, T0)
    for n in range(2, 101):
        change = book.event(KEY, _event(n, 15 * n), WHY)
        assert change is not None and change[1] is False and change[0].id == episode.id
    assert change[0].count == 100 and change[0].last_seen_us == T0 + 1500 * S
    assert change[0].first_seen_us == T0
    # A relist that shows the same Event again: nothing to save or announce.
    assert book.event(KEY, _event(100, 1500), WHY) is None
    # An older sighting arriving late never moves the count back.
    assert book.event(KEY, _event(50, 750), WHY) is None


def test_two_event_objects_of_one_key_add_up() -> None:
    book = EpisodeBook("default")
    book.event(KEY, _event(3, 10, uid="a"), WHY)
    change = book.event(KEY, _event(2, 20, uid="b", first_s=15), WHY)
    assert change is not None and change[0].count == 5 and not change[1]
    change = book.event(KEY, _event(4, 30, uid="a"), WHY)
    assert change is not None and change[0].count == 6


def test_a_gap_of_more_than_an_hour_starts_a_new_episode() -> None:
    book = EpisodeBook("default")
    one = book.event(KEY, _event(5, 60), WHY)
    two = book.event(KEY, _event(1, 60 + 3601, uid="u2", first_s=60 + 3601), WHY)
    assert one is not None and two is not None
    assert two[1] is True and two[0].id != one[0].id and two[0].count == 1
    assert two[0].first_seen_us == T0 + 3661 * S


def test_what_the_store_holds_is_not_opened_again() -> None:
    book = EpisodeBook("default")
    stored = book.event(KEY, _event(7, 100), WHY)
    assert stored is not None
    finding = Finding(
        key=dataclasses.replace(KEY, reason="OOMKilled", component="bongsu",
                                discriminator="containerd://abc@1"),
        explained=Explained("oom_killed", "critical", "orders OOM-killed"),
        at_us=T0 + 50 * S, message="OOMKilled, exit 137", raw="{}",
    )
    f = book.finding(finding)
    assert f is not None and f[1] and f[0].source == "state" and f[0].count == 1
    assert book.finding(finding) is None  # seen again: nothing

    restarted = EpisodeBook("default")  # a server restart: the store's rows come back
    restarted.load([stored[0], f[0]], since_us=T0 - 7200 * S)
    assert restarted.event(KEY, _event(7, 100), WHY) is None  # the relist's re-sighting
    assert restarted.finding(finding) is None
    bumped = restarted.event(KEY, _event(8, 115), WHY)
    assert bumped is not None and bumped == (dataclasses.replace(
        stored[0], count=8, last_seen_us=T0 + 115 * S, raw='{"count": 8}'), False)


def test_old_news_is_saved_but_not_announced() -> None:
    book = EpisodeBook("default")
    book.load([], since_us=T0)
    old = book.event(KEY, _event(3, -10, first_s=-20), WHY)
    assert old is not None and old[1] is False
    new = book.event(dataclasses.replace(KEY, reason="Failed"), _event(1, 5, uid="x"), WHY)
    assert new is not None and new[1] is True


def test_prune_forgets_what_cannot_merge_again() -> None:
    book = EpisodeBook("default")
    book.event(KEY, _event(1, 0), WHY)
    book.event(dataclasses.replace(KEY, object_name="b"), _event(1, 4000, uid="b"), WHY)
    assert len(book) == 2 and book.prune(T0 + 3600 * S) == 1 and len(book) == 1


class _Store:
    def __init__(self, fail: int = 0) -> None:
        self.saved: list[list[Episode]] = []
        self.fail = fail

    def save_kube_episodes(self, episodes: Sequence[Episode]) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError("disk full")
        self.saved.append(list(episodes))


def test_writer_merges_retries_and_bounds() -> None:
    store = _Store(fail=1)
    writer = EpisodeWriter(store, max_pending=3)
    book = EpisodeBook("default")
    for n in range(1, 6):
        change = book.event(KEY, _event(n, n), WHY)
        assert change is not None
        writer.put(change[0])
    for name in ("b", "c", "d"):
        change = book.event(dataclasses.replace(KEY, object_name=name), _event(1, 1, uid=name), WHY)
        assert change is not None
        writer.put(change[0])
    writer.start()  # (started after the puts so what merges and what drops is fixed)
    assert writer.flush(10)
    writer.close()
    written = [ep for batch in store.saved for ep in batch]
    assert writer.failures == 1 and writer.pending == 0
    # Merged by id: the first key's latest count was written, not five rows; the fourth
    # distinct episode found the map full and was dropped; the refused batch was retried.
    assert [(ep.object_name, ep.count) for ep in written] == [
        ("orders-7d9f-x2k", 5), ("b", 1), ("c", 1)]
    assert written[0].id == episode_id("default", KEY, T0)
    assert writer.saved == 3 and writer.dropped == 1


# -- an Event and the state finding of the same change (review items 1-4) ---------------

T0_S = T0 // S


def _hpa(desired: int, at_s: float, current: int = 3) -> dict[str, Any]:
    target = shapes.deployment("frontend", "shop", replicas=current, image="shop/frontend:2")
    return shapes.hpa("frontend", "shop", target=target, min_replicas=2, max_replicas=10,
                      current=current, desired=desired, cpu_current=92 if desired > current
                      else 20, last_scale=at_s)


def _rescale(size: int, up: bool, at_s: float) -> tuple[EpisodeKey, NormalEvent, Explained]:
    """The HPA controller's SuccessfulRescale, stamped in the sync that set lastScaleTime."""
    raw = shapes.event(_hpa(size, at_s), "SuccessfulRescale", msg.rescaled(size, up=up),
                       component=HPA_CONTROLLER, first=at_s)
    ev = normalise("seoul", raw)
    assert ev is not None
    return episode_key(ev), ev, explain_event(ev, no_pods)


def _scale(before: int, after: int, at_s: float) -> Finding:
    obj = _hpa(after, at_s, current=before)
    found = hpa_findings(hpa_state("seoul", _hpa(before, at_s - 600, current=before)),
                         hpa_state("seoul", obj), obj)
    assert len(found) == 1
    return found[0]


def test_an_event_and_its_finding_are_announced_once() -> None:
    at = T0_S + 10
    key, ev, why = _rescale(5, True, at)
    finding = _scale(3, 5, at)
    for event_first in (True, False):
        book = EpisodeBook("default")
        if event_first:
            one, two = book.event(key, ev, why), book.finding(finding)
        else:
            two, one = book.finding(finding), book.event(key, ev, why)
        assert one is not None and two is not None
        assert one[0].id == two[0].id  # one row in the store
        assert [one[1], two[1]] == ([True, False] if event_first else [False, True])
    # After a restart the stored row (whichever path wrote it last) counts for both.
    stored = book.event(key, dataclasses.replace(ev, count=2, last_seen_us=ev.last_seen_us
                                                 + 5 * S), why)
    assert stored is not None
    for row in (stored[0], dataclasses.replace(stored[0], source="state")):
        restarted = EpisodeBook("default", stored_key=stored_episode_key)
        restarted.load([row], since_us=T0 - 7200 * S)
        seen = [restarted.event(key, ev, why), restarted.finding(finding)]
        assert all(change is None or change[1] is False for change in seen), (row.source, seen)


def test_each_hpa_scale_is_its_own_episode() -> None:
    book = EpisodeBook("default")
    out_key, out_ev, out_why = _rescale(5, True, T0_S)
    in_key, in_ev, in_why = _rescale(3, False, T0_S + 600)  # ten minutes later: back in
    scale_out = book.event(out_key, out_ev, out_why)
    book.finding(_scale(3, 5, T0_S))
    scale_in = book.event(in_key, in_ev, in_why)
    in_finding = book.finding(_scale(5, 3, T0_S + 600))
    assert scale_out is not None and scale_in is not None and in_finding is not None
    assert scale_out[0].kind == "hpa_scale_out" and scale_in[0].kind == "hpa_scale_in"
    assert scale_in[1] is True and scale_in[0].id != scale_out[0].id
    assert in_finding[0].id == scale_in[0].id and in_finding[1] is False
    assert scale_in[0].count == 1 and "to 3" in scale_in[0].summary


def test_a_pruned_episode_is_not_announced_again() -> None:
    book = EpisodeBook("default")
    book.load([], since_us=T0 - 7200 * S)
    first = book.event(KEY, _event(1, 0), WHY)
    assert first is not None and first[1]
    assert book.prune(T0 + 3 * 3600 * S) == 1  # three hours later: forgotten
    # A long-TTL cluster's relist still shows the Event: saved, not news.
    again = book.event(KEY, _event(1, 0), WHY)
    assert again is not None and again[0].id == first[0].id and again[1] is False


def test_a_dropped_episode_is_written_at_its_next_sighting() -> None:
    store = _Store()
    book = EpisodeBook("default")
    writer = EpisodeWriter(store, max_pending=1, on_drop=book.forget)
    other = book.event(dataclasses.replace(KEY, object_name="b"), _event(1, 0, uid="b"), WHY)
    dropped = book.event(KEY, _event(3, 0), WHY)
    assert other is not None and dropped is not None
    writer.put(other[0])
    writer.put(dropped[0])  # the queue is full: dropped, and the book told so
    assert writer.dropped == 1
    writer.start()
    assert writer.flush(10)
    # The relist after the store caught up shows the same Event: written, not announced.
    again = book.event(KEY, _event(3, 0), WHY)
    assert again is not None and again[1] is False
    assert (again[0].id, again[0].count) == (dropped[0].id, 3)
    writer.put(again[0])
    assert writer.flush(10)
    writer.close()
    assert [ep.object_name for batch in store.saved for ep in batch] == ["b", KEY.object_name]
