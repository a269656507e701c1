"""A lease taken over from another holder tells the previous tenure
(:class:`bongsu.meta.lease.Handover`), and the check runner of the new holder probes no
check in the previous holder's last interval: over a real metadata database, a real
DuckDB store, a loopback target, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.receivers import until
from bongsu.meta.database import connect
from bongsu.meta.lease import Handover, Lease, LeaseKeeper
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of
from bongsu.synthetics.definition import check_from_dict
from bongsu.synthetics.model import CheckResult
from bongsu.synthetics.repo import CheckRepo
from bongsu.synthetics.runner import Runner
from replicas.hits import HitTarget

T0 = 1_800_000_000.0
TTL_S = 8.0
_US = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def target() -> Iterator[HitTarget]:
    served = HitTarget().start()
    yield served
    served.stop()


def test_a_takeover_waits_out_the_previous_holders_last_interval(
        tmp_path: Path, target: HitTarget) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    store = DuckDBStore.open(tmp_path / "b.duckdb")  # the new holder's own store
    clock = Clock()
    a = LeaseKeeper(Lease(engine, "checks", "host/1/aa", clock), TTL_S, 1.0)
    b = LeaseKeeper(Lease(engine, "checks", "host/2/bb", clock), TTL_S, 1.0)
    repo = CheckRepo(engine)
    unseen = repo.put(check_from_dict({
        "name": "unseen", "type": "http", "interval_s": 10,
        "target": {"url": target.url("/unseen"), "timeout_s": 5}},
        tenant="default", check_id="c_unseen"))
    seen = repo.put(check_from_dict({
        "name": "seen", "type": "http", "interval_s": 10,
        "target": {"url": target.url("/seen"), "timeout_s": 5}},
        tenant="default", check_id="c_seen"))
    runner = Runner(repo, store, reads_of(store, 10, 1000), clock=clock, refresh_s=0,
                    active=b.active, handover=lambda: b.handover)
    try:
        assert a.try_once() and a.handover is None  # the first holder: nobody before it
        assert not b.try_once() and b.handover is None
        clock.now = T0 + 1
        assert a.try_once()  # a renewal, the last
        # What the previous holder stored where the new one sees it (a shared store).
        store.save_check_results([CheckResult("default", seen.id, int((T0 + 1) * _US), "up",
                                              "up", name="seen")])
        clock.now = T0 + 2
        assert a.lease.release()  # a clean stop
        assert b.try_once()
        assert b.handover == Handover("host/1/aa", int(T0 * _US), int((T0 + 2) * _US))

        runner.tick()  # at T0 + 2: nothing due
        clock.now = T0 + 11.5
        runner.tick()  # "seen" is due one interval after its last stored probe
        until("the seen check probed", lambda: target.times("/seen"))
        clock.now = T0 + 11.9
        runner.tick()
        assert target.times("/unseen") == []  # the previous holder may have probed it
        clock.now = T0 + 12.0  # one interval after the previous holder's last moment
        runner.tick()
        until("the unseen check probed", lambda: target.times("/unseen"))
        runner.tick()
        rows = until("its result stored", lambda: reads_of(store, 10, 1000).check_results(
            "default", unseen.id, 0, 2**62, 100))
        # On time, not late: no "unknown" row for a slot the previous holder covered.
        assert [(r.ts_us, r.status) for r in rows] == [(int((T0 + 12) * _US), "up")]
        assert len(target.times("/seen")) == 1 and len(target.times("/unseen")) == 1

        # Taken back by the same holder after its own stop: nobody else came between.
        b.stop()
        assert b.try_once() and b.handover is None
    finally:
        runner.stop()
        store.close()
        engine.dispose()
