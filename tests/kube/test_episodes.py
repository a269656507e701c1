"""The episode book: count bumps, re-sightings, reopening after a gap, loading what is stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bongsu.kube.episodes import EpisodeBook
from bongsu.kube.model import (
    Episode,
    EpisodeKey,
    Explained,
    Finding,
    NormalEvent,
    episode_id,
)
from bongsu.kube.writer import EpisodeWriter

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
