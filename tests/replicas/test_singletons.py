"""Two real ``bongsu server`` replicas (each its own data directory and DuckDB store) over
one PostgreSQL metadata database: every singleton job runs on exactly one of them.

Seen through the API (``GET /api/v1/leases`` on both agrees on one holder per lease) and
through the jobs' effects: a synthetic check probes a loopback target once per interval,
not twice; a report schedule mails one report to a real SMTP server; the Kubernetes
watches connect only from the holder of the metering lease (each replica reaches the one
simulated cluster through an API server of its own, so each server's requests say who
watched). The holder of the metering lease is killed with SIGKILL: the other replica
takes every lease it held over within 10 s (measured; on one host a dead pid is seen at
the next try, see :mod:`bongsu.meta.lease`), and the jobs resume there — the check after
a full interval (never twice in one), the watches from the survivor, a new schedule
mailed once and the first not again. The killed replica, started again, stands by; the
survivor's clean stop hands every lease over at once (released, not expired).

A holder frozen (SIGSTOP) past the TTL loses its leases to the other; woken (SIGCONT), it
stops at once: its watch connections close, it probes nothing, and it says it holds
nothing.
"""

from __future__ import annotations

import email.message
import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from agent.services import postgres_server
from alerts.receivers import SmtpReceiver, call, until
from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
from replicas.hits import HitTarget
from server_process import ServerProcess

TTL_S, RENEW_S = 8.0, 1.0
INTERVAL_S = 10.0  # the checks' shortest interval
TAKEOVER_S = 10.0  # what the issue asks
LEASES = ["alerts", "checks", "metering", "reports", "support"]
FAST = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
        "BONGSU_ALERTS_LEASE_TTL_SECONDS": str(TTL_S),
        "BONGSU_ALERTS_LEASE_RENEW_SECONDS": str(RENEW_S),
        "BONGSU_REPORTS_INTERVAL_SECONDS": "1", "BONGSU_KUBE_SILENT_SECONDS": "30",
        "BONGSU_KUBE_BACKOFF_MAX_SECONDS": "1", "BONGSU_KUBE_USAGE_INTERVAL_SECONDS": "1",
        "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "1"}


class Replica:
    """A server process and the API server through which it reaches the cluster."""

    def __init__(self, name: str, tmp: Path, cluster: FakeCluster, env: dict[str, str]) -> None:
        self.name = name
        self.kube = ApiServer(cluster).start()
        kubeconfig = self.kube.kubeconfig(tmp / f"{name}.kubeconfig")
        self.server = ServerProcess(tmp / name, {
            **env, "BONGSU_KUBE_CLUSTERS": f"{cluster.name}={kubeconfig}"})

    def leases(self) -> dict[str, Any]:
        status, body = call(self.server.api_url, "GET", "/api/v1/leases")
        assert status == 200, body
        return {lease["name"]: lease for lease in body["leases"]}

    def holds(self) -> set[str]:
        return {name for name, lease in self.leases().items() if lease["active"]}

    def watches(self) -> int:
        return len(self.kube.watches())

    def connected(self) -> int:
        """The server's open TCP connections to its cluster's API server, as the OS has them."""
        assert self.server.proc is not None
        return sum(1 for c in psutil.Process(self.server.proc.pid).net_connections("tcp")
                   if c.raddr and c.raddr.port == self.kube.port
                   and c.status == psutil.CONN_ESTABLISHED)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(tmp_path)
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def target() -> Iterator[HitTarget]:
    served = HitTarget().start()
    yield served
    served.stop()


def _mails(smtp: SmtpReceiver, schedule_id: str) -> list[email.message.EmailMessage]:
    return [m for _, m in list(smtp.messages)
            if str(m["X-Bongsu-Idempotency-Key"]).startswith(f"report-{schedule_id}-")]


def _one_holder_each(replicas: list[Replica]) -> dict[str, Replica]:
    """Each lease held by exactly one replica, and both replicas say which (the same)."""
    views = [r.leases() for r in replicas]
    holders: dict[str, Replica] = {}
    for name in LEASES:
        active = [r for r, view in zip(replicas, views, strict=True) if view[name]["active"]]
        assert len(active) == 1, (name, [v[name] for v in views])
        holder = active[0]
        mine = views[replicas.index(holder)][name]
        for view in views:
            assert view[name]["lease"]["holder"] == mine["replica"], (name, view[name])
            assert view[name]["lease"]["held"], view[name]
        holders[name] = holder
    return holders


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def _wait(what: str, check: Callable[[], Any], timeout: float) -> float:
    """Seconds until ``check`` is true (fails naming ``what`` after ``timeout``)."""
    started = time.monotonic()
    until(what, check, timeout=timeout)
    return time.monotonic() - started


@pytest.mark.timeout(900)
def test_one_replica_runs_each_singleton_and_the_other_takes_over(
        tmp_path: Path, smtp: SmtpReceiver, target: HitTarget) -> None:
    cluster = FakeCluster(name="seoul")
    cluster.put(shapes.node("node-1", boot_id="6f1d2c3e-1111-4a5b-8c9d-0e1f2a3b4c5d"))
    cluster.put(shapes.pod("web-0", "shop", node="node-1", containers=[
        shapes.container("web", "ghcr.io/shop/web:1.2.0")]))
    with postgres_server() as pg_port:
        env = {**FAST, "BONGSU_META_URL": f"postgresql://postgres@127.0.0.1:{pg_port}/postgres"}
        replicas = [Replica(name, tmp_path, cluster, env) for name in ("r1", "r2")]
        try:
            # The first one up takes every lease; the second stands by.
            leader, other = replicas
            leader.server.start(timeout=180)
            until("the first replica to hold every lease",
                  lambda: leader.holds() == set(LEASES), timeout=30)
            other.server.start(timeout=180)
            holders = _one_holder_each(replicas)
            assert set(holders.values()) == {leader}

            # The watches: only the metering lease's holder lists and watches the cluster.
            until("the leader's watches", lambda: leader.watches() >= 2, timeout=60)
            status, seen = call(leader.server.api_url, "GET", "/api/v1/kube/pods")
            assert status == 200, seen
            assert len(other.kube.requests) == 0, list(other.kube.requests)

            # A check made through one replica, probed by the holder of "checks" alone.
            status, check = call(other.server.api_url, "POST", "/api/v1/checks", {
                "name": "Shop", "type": "http", "interval_s": INTERVAL_S,
                "target": {"url": target.url("/shop"), "timeout_s": 5}})
            assert status == 201, check
            # A report schedule: the owed day is mailed once, by the holder of "reports".
            status, channel = call(other.server.api_url, "POST", "/api/v1/channels", {
                "name": "reports mail", "type": "email", "config": {
                    "host": "127.0.0.1", "port": smtp.port, "username": "alerts",
                    "password": "pw", "from": "bongsu@example.net", "to": ["boss@example.net"],
                    "ca_file": str(smtp.cert), "timeout_s": 10}})
            assert status == 201, channel
            status, daily = call(other.server.api_url, "POST", "/api/v1/report-schedules", {
                "name": "Daily", "kind": "performance", "every": "daily", "at": "00:00",
                "channel_id": channel["id"]})
            assert status == 201, daily
            until("the daily report mailed", lambda: _mails(smtp, daily["id"]), timeout=240)
            until("three probes", lambda: len(target.times("/shop")) >= 3, timeout=60)
            probes = target.times("/shop")
            # One probe per interval: a second replica probing too would halve a gap.
            assert all(INTERVAL_S - 0.5 <= g <= INTERVAL_S + 5 for g in _gaps(probes)), probes
            assert _one_holder_each(replicas) == holders  # nothing changed hands meanwhile
            checker = holders["checks"]
            status, rows = call(checker.server.api_url, "GET",
                                f"/api/v1/checks/{check['id']}/results?from=0")
            assert status == 200 and len(rows["results"]) >= 3, rows
            assert len(other.kube.requests) == 0, list(other.kube.requests)

            # SIGKILL the metering lease's holder: the other takes what it held, in < 10 s.
            lost = leader.holds()
            assert "metering" in lost
            probes_before = len(target.times("/shop"))
            leader.server.kill()
            killed = time.time()
            took_s = _wait("the survivor to hold every lease", lambda: other.holds() == set(
                LEASES), timeout=TAKEOVER_S)
            views = other.leases()
            for name in lost:
                assert views[name]["lease"]["epoch"] == 2, views[name]  # taken over once
            # Connecting takes the kubernetes client's discovery and lists: a few seconds
            # (2.8 s measured), more on a loaded machine; the lease is what must move in 10 s.
            watch_s = _wait("the survivor's watches", lambda: other.watches() >= 2,
                            timeout=60)
            watched_at = len(leader.kube.watches())
            status, seen = call(other.server.api_url, "GET", "/api/v1/kube/pods")
            assert status == 200 and [p["name"] for p in seen["pods"]] == ["web-0"], seen
            print(f"takeover after kill -9: leases {took_s:.2f} s, watches {watch_s:.2f} s "
                  f"(TTL {TTL_S:g} s)")
            assert took_s < TAKEOVER_S

            # The check resumes on the survivor, never twice in one interval.
            until("a probe after the kill", lambda: [
                t for t in target.times("/shop") if t > killed], timeout=3 * INTERVAL_S + 10)
            until("two probes after the kill", lambda: len(
                [t for t in target.times("/shop") if t > killed]) >= 2, timeout=INTERVAL_S + 10)
            probes = target.times("/shop")
            assert len(probes) > probes_before
            assert all(g >= INTERVAL_S - 0.5 for g in _gaps(probes)), _gaps(probes)
            assert max(_gaps(probes)) <= 2 * INTERVAL_S + TAKEOVER_S + 2, _gaps(probes)

            # A new schedule is mailed once by the survivor; the first is not mailed again.
            status, second = call(other.server.api_url, "POST", "/api/v1/report-schedules", {
                "name": "Daily 2", "kind": "performance", "every": "daily", "at": "00:00",
                "channel_id": channel["id"]})
            assert status == 201, second
            until("the second report mailed", lambda: _mails(smtp, second["id"]), timeout=240)
            assert len(_mails(smtp, daily["id"])) == 1 and len(_mails(smtp, second["id"])) == 1

            # The killed replica, started again, stands by: it watches nothing.
            leader.server.start(timeout=180)
            time.sleep(3 * RENEW_S)
            assert leader.holds() == set() and other.holds() == set(LEASES)
            assert len(leader.kube.watches()) == watched_at  # no watch from the standby

            # A clean stop hands every lease over at once: released, not expired.
            other.server.stop()
            stopped_watches = other.watches()
            handed_s = _wait("the restarted replica to hold every lease",
                             lambda: leader.holds() == set(LEASES), timeout=TTL_S / 2)
            until("its watches", lambda: len(leader.kube.watches()) > watched_at, timeout=60)
            print(f"handover after a clean stop: {handed_s:.2f} s")
            assert other.watches() == stopped_watches
            time.sleep(2)
            assert len(_mails(smtp, daily["id"])) == 1 and len(_mails(smtp, second["id"])) == 1
            assert all(g >= INTERVAL_S - 0.5 for g in _gaps(target.times("/shop")))
        finally:
            for r in replicas:
                r.server.stop()
                r.kube.stop()


@pytest.mark.timeout(600)
def test_a_frozen_holder_stops_its_jobs_at_once_when_it_wakes(
        tmp_path: Path, target: HitTarget) -> None:
    cluster = FakeCluster(name="seoul")
    cluster.put(shapes.node("node-1", boot_id="6f1d2c3e-1111-4a5b-8c9d-0e1f2a3b4c5d"))
    with postgres_server() as pg_port:
        env = {**FAST, "BONGSU_META_URL": f"postgresql://postgres@127.0.0.1:{pg_port}/postgres"}
        frozen, other = replicas = [Replica(name, tmp_path, cluster, env)
                                    for name in ("r1", "r2")]
        try:
            frozen.server.start(timeout=180)
            until("the first replica to hold every lease",
                  lambda: frozen.holds() == set(LEASES), timeout=30)
            other.server.start(timeout=180)
            status, check = call(other.server.api_url, "POST", "/api/v1/checks", {
                "name": "Shop", "type": "http", "interval_s": INTERVAL_S,
                "target": {"url": target.url("/shop"), "timeout_s": 5}})
            assert status == 201, check
            until("the holder's watch connections", lambda: frozen.connected() >= 2, timeout=60)
            until("a probe", lambda: target.times("/shop"), timeout=30)
            assert frozen.holds() == set(LEASES) and other.holds() == set()

            assert frozen.server.proc is not None
            os.kill(frozen.server.proc.pid, signal.SIGSTOP)
            try:
                took_s = _wait("the other replica to hold every lease",
                               lambda: other.holds() == set(LEASES), timeout=TTL_S + 10)
                # Not before the TTL: a stopped process is alive, so its lease stands.
                assert took_s >= TTL_S - 2 * RENEW_S - 1, took_s
                until("the new holder's watches", lambda: other.connected() >= 2, timeout=60)
            finally:
                os.kill(frozen.server.proc.pid, signal.SIGCONT)
            woke = time.time()
            closed_s = _wait("the woken replica's watches closed",
                             lambda: frozen.connected() == 0, timeout=5)
            assert frozen.holds() == set() and other.holds() == set(LEASES)
            print(f"a frozen holder: taken over after {took_s:.2f} s (TTL {TTL_S:g} s); "
                  f"woken, its watches closed in {closed_s:.2f} s")
            until("two probes by the new holder", lambda: len(
                [t for t in target.times("/shop") if t > woke]) >= 2, timeout=3 * INTERVAL_S + 10)
            assert frozen.connected() == 0
            # Never two probes in one interval: the woken one probed nothing.
            assert all(g >= INTERVAL_S - 0.5 for g in _gaps(target.times("/shop"))), \
                _gaps(target.times("/shop"))
        finally:
            for r in replicas:
                r.server.stop()
                r.kube.stop()
