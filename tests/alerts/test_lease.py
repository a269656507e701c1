"""The metadata lease on one SQLite file and on a real PostgreSQL: one holder at a time,
renewal keeps it, expiry hands it over, racing holders never both get it; the keeper that
cannot renew stops before another replica can take over. And the metadata schema on
PostgreSQL: every migration up and down, two replicas migrating a fresh database at once;
a bad ``BONGSU_META_URL`` stops ``bongsu server`` with a message naming it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import OperationalError

from agent.services import free_port, postgres_server
from bongsu.api import create_api
from bongsu.api.engine import engine_router
from bongsu.errors import SettingError, Unauthorized
from bongsu.meta.database import connect, downgrade, upgrade
from bongsu.meta.keys import KeyRing
from bongsu.meta.lease import Lease, LeaseKeeper, leases
from bongsu.query import QueryService
from bongsu.settings import Settings

MakeEngine = Callable[[], Engine]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pg_port() -> Iterator[int]:
    with postgres_server() as port:
        yield port


def _pg_database(port: int) -> str:
    """A fresh database on the throwaway cluster; its SQLAlchemy URL."""
    name = "t_" + secrets.token_hex(4)
    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                         autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:{port}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeEngine]:
    """Engines on one database, each with a pool of its own (one per replica)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    else:
        url = _pg_database(request.getfixturevalue("pg_port"))
    made: list[Engine] = []

    def make() -> Engine:
        made.append(connect(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


def test_one_holder_renewal_keeps_it_expiry_hands_it_over(engines: MakeEngine) -> None:
    clock = Clock()
    a = Lease(engines(), "alerts", "replica-a", clock)
    b = Lease(engines(), "alerts", "replica-b", clock)
    assert a.state() is None
    assert a.acquire(10) and not b.acquire(10)
    first = a.state()
    assert first is not None and (first.holder, first.epoch) == ("replica-a", 1)
    clock.now += 5
    assert a.acquire(10)  # renewed: now expires 15 s after the start
    clock.now += 8  # 13 s: past the first expiry, not the renewed one
    assert not b.acquire(10)
    renewed = a.state()
    assert renewed is not None
    assert renewed.acquired_us == first.acquired_us and renewed.epoch == 1
    assert renewed.expires_us == int((clock.now - 8 + 10) * 1e6)
    clock.now += 2  # 15 s: expired
    assert b.acquire(10) and not a.acquire(10)
    taken = b.state()
    assert taken is not None and (taken.holder, taken.epoch) == ("replica-b", 2)
    assert taken.acquired_us == int(clock.now * 1e6)
    assert not a.release()  # not a's to release
    assert b.release()  # a clean stop: the next try takes it, no TTL to wait out
    assert a.acquire(10)
    back = a.state()
    assert back is not None and (back.holder, back.epoch) == ("replica-a", 3)


@pytest.mark.parametrize("start", ["no row yet", "expired row"])
def test_racing_holders_never_both_get_it(engines: MakeEngine, start: str) -> None:
    shared = [engines() for _ in range(2)]  # two replicas' pools, four threads on each
    racers = 8
    for round in range(15):
        name = f"race-{round}"
        if start == "expired row":
            with shared[0].begin() as con:
                con.execute(insert(leases).values(name=name, holder="dead", expires_us=0,
                                                  acquired_us=0, renewed_us=0, epoch=1))
        barrier = threading.Barrier(racers)
        won: list[str] = []
        errors: list[BaseException] = []

        def race(i: int, name: str = name, barrier: threading.Barrier = barrier,
                 won: list[str] = won, errors: list[BaseException] = errors) -> None:
            lease = Lease(shared[i % 2], name, f"racer-{i}")
            try:
                barrier.wait(30)
                if lease.acquire(30):
                    won.append(lease.holder)
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert len(won) == 1, (round, won)
        state = Lease(shared[0], name, "reader").state()
        assert state is not None and state.holder == won[0]
        assert state.epoch == (2 if start == "expired row" else 1)


class _Partitioned(Lease):
    """A lease whose database stops answering when told to."""

    cut = False

    def acquire(self, ttl_s: float) -> bool:
        if self.cut:
            raise OperationalError("UPDATE leases", {}, ConnectionError("partitioned"))
        return super().acquire(ttl_s)


def _until(what: str, check: Callable[[], bool], timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_keeper_that_cannot_renew_stops_before_another_takes_over(
        engines: MakeEngine) -> None:
    ttl, renew = 2.0, 0.4
    a = LeaseKeeper(_Partitioned(engines(), "alerts", "replica-a"), ttl, renew)
    b = LeaseKeeper(Lease(engines(), "alerts", "replica-b"), ttl, renew)
    a.start()
    b.start()
    try:
        assert a.active() and not b.active()
        time.sleep(3 * renew)  # several renewals: a keeps it, b keeps waiting
        assert a.active() and not b.active() and a.takeovers == 1
        both: list[float] = []  # moments both counted themselves active, sampled

        def sample() -> None:
            while not done.is_set():
                if a.active() and b.active():
                    both.append(time.monotonic())
                time.sleep(0.002)

        done = threading.Event()
        sampler = threading.Thread(target=sample)
        sampler.start()
        cut_at = time.monotonic()
        a.lease.cut = True  # type: ignore[attr-defined]
        last = b.lease.state()  # a's last renewal: nothing renews it from now on
        assert last is not None and last.holder == "replica-a"
        try:
            a_stopped = _until("a to stop", lambda: not a.active())
            b_took = _until("b to take over", b.active)
        finally:
            done.set()
            sampler.join()
        assert both == []
        # a stops by itself (the margin before the expiry); b takes over only after it.
        assert a_stopped - cut_at <= ttl - a.margin_s + 1.0, a_stopped - cut_at
        assert b_took - cut_at >= ttl - a.margin_s - renew, b_took - cut_at
        assert a.errors > 0
        state = b.lease.state()
        assert state is not None and (state.holder, state.epoch) == ("replica-b", 2)
        assert state.acquired_us >= last.renewed_us + int(ttl * 1e6)
        a.lease.cut = False  # type: ignore[attr-defined]
        time.sleep(3 * renew)  # a back on the network: b's lease is not expired, a waits
        assert b.active() and not a.active()
        b.stop()  # a clean stop releases it: a takes over at its next try (≤ 1 s)
        _until("a to take over after b's release", a.active, timeout=5)
    finally:
        a.stop()
        b.stop()


def test_keeper_timing_is_checked() -> None:
    with pytest.raises(ValueError, match="renew_s"):
        LeaseKeeper(Lease.__new__(Lease), ttl_s=10, renew_s=9)
    assert Settings().alerts_lease() == (15.0, 5.0)
    with pytest.raises(SettingError, match="BONGSU_ALERTS_LEASE_RENEW_SECONDS: must be"):
        Settings.from_env({"BONGSU_ALERTS_LEASE_TTL_SECONDS": "5",
                           "BONGSU_ALERTS_LEASE_RENEW_SECONDS": "4"}).alerts_lease()
    with pytest.raises(SettingError, match="BONGSU_ALERTS_LEASE_TTL_SECONDS: must be"):
        Settings(alerts_lease_ttl_seconds=0).alerts_lease()


def test_the_metadata_schema_migrates_up_and_down_on_postgresql(
        pg_port: int, tmp_path: Path) -> None:
    reference = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    expected = set(inspect(reference).get_table_names())
    reference.dispose()
    assert {"ingest_keys", "alert_rules", "alert_outbox", "leases"} <= expected
    url = _pg_database(pg_port)
    # Two replicas starting at once on the fresh database: one migrates, one waits.
    made: list[Engine] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            made.append(connect(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(made) == 2, errors
    engine = made[0]
    try:
        assert set(inspect(engine).get_table_names()) == expected
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == expected
        # The one table the replica test does not write: ingest keys, times with a zone.
        ring, other = KeyRing(engine), KeyRing(made[1])
        info = ring.create("shop", "ci")
        assert other.resolve(f"Bearer {info.key}") == "shop"
        assert ring.revoke(info.prefix)
        [listed] = other.list()
        assert listed.revoked_at is not None and listed.revoked_at >= listed.created_at
        assert listed.created_at.utcoffset() is not None
    finally:
        for e in made:
            e.dispose()


def test_bad_meta_urls_name_the_setting() -> None:
    with pytest.raises(SettingError, match="BONGSU_META_URL: not a database URL"):
        connect("meta.sqlite")
    with pytest.raises(SettingError, match="BONGSU_META_URL: 'mysql' is not supported"):
        connect("mysql://root@127.0.0.1/meta")
    port = free_port()
    with pytest.raises(SettingError, match=f"BONGSU_META_URL: cannot connect to "
                                           f"postgresql\\+psycopg://bongsu:\\*\\*\\*@"
                                           f"127.0.0.1:{port}/meta"):
        connect(f"postgresql://bongsu:s3cret@127.0.0.1:{port}/meta")


def test_bongsu_server_refuses_a_bad_meta_url(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "bongsu", "server", "--data-dir", str(tmp_path / "data"),
         "--port", str(free_port()), "--otlp-port", str(free_port())],
        env={**os.environ, "BONGSU_META_URL": f"postgresql://bongsu:s3cret@127.0.0.1:{port}/m"},
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"BONGSU_META_URL: cannot connect to postgresql+psycopg://bongsu:***@127.0.0.1:" \
           f"{port}/m" in output, output
    assert "Traceback" not in output and "s3cret" not in output, output


class _NoStore:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine route read the store ({name})")


def _resolve(authorization: str | None) -> str:
    if authorization != "Bearer k1":
        raise Unauthorized("missing or unknown ingest key")
    return "shop"


def test_the_engine_route_says_who_holds_the_lease(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    keeper = LeaseKeeper(Lease(engine, "alerts", "replica-a"), ttl_s=15, renew_s=5)
    settings, none = Settings(), _NoStore()
    apps = [create_api(settings, none, _resolve, routers=[engine_router(k)],
                       queries=QueryService(cast(Any, none), settings), console=False)
            for k in (keeper, None)]
    key = {"Authorization": "Bearer k1"}
    try:
        with TestClient(apps[0]) as on, TestClient(apps[1]) as off:
            assert on.get("/api/v1/alerts/engine").status_code == 401
            refused = on.get("/api/v1/alerts/engine?tenant=x", headers=key)
            assert refused.status_code == 400 and refused.json()["detail"].startswith("tenant")
            before = on.get("/api/v1/alerts/engine", headers=key).json()
            assert before == {"enabled": True, "replica": "replica-a", "active": False,
                              "lease_ttl_s": 15.0, "lease_renew_s": 5.0, "lease": None}
            keeper.start()
            held = on.get("/api/v1/alerts/engine", headers=key).json()
            assert held["active"] and held["lease"]["holder"] == "replica-a"
            assert held["lease"]["held"] and held["lease"]["epoch"] == 1
            lease = held["lease"]
            assert lease["expires_ms"] - lease["renewed_ms"] == 15_000
            keeper.stop()
            released = on.get("/api/v1/alerts/engine", headers=key).json()
            assert not released["active"] and not released["lease"]["held"]
            assert released["lease"]["expires_ms"] == 0
            assert off.get("/api/v1/alerts/engine", headers=key).json() == {
                "enabled": False, "replica": None, "active": False, "lease_ttl_s": None,
                "lease_renew_s": None, "lease": None}
    finally:
        keeper.stop()
        engine.dispose()
