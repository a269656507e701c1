"""The watch gate over a real hub and a simulated cluster served on loopback: the hub
connects only while the lease is held, disconnects at once when it is lost (no thread
left, no request after), and connects again — from fresh watches — when it is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bongsu.kube.config import parse_clusters
from bongsu.kube.gate import WatchGate
from bongsu.kube.hub import KubeHub, KubeSetup
from bongsu.kube.watch import Timing
from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of

NS = "shop"


def _pod(name: str) -> dict[str, Any]:
    return shapes.pod(name, NS, node="node-1",
                      containers=[shapes.container("web", "ghcr.io/shop/web:1.2.0")])


def _watch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("bongsu-kube-seoul")]


def _until(what: str, check: Callable[[], Any], timeout: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_hub_watches_only_while_the_lease_is_held(tmp_path: Path) -> None:
    cluster = FakeCluster(name="seoul")
    cluster.put(shapes.node("node-1", boot_id="6f1d2c3e-1111-4a5b-8c9d-0e1f2a3b4c5d"))
    cluster.put(_pod("web-0"))
    server = ApiServer(cluster).start()
    store = DuckDBStore.open(tmp_path / "t.duckdb", 500.0, {})
    hub = KubeHub(KubeSetup(parse_clusters(f"seoul={server.kubeconfig(tmp_path / 'k')}"),
                            timing=Timing(silent_s=30, backoff_max_s=0.5)),
                  store, reads_of(store, 10, 1000))
    held = threading.Event()
    gate = WatchGate(hub, held.is_set, poll_s=0.05)
    try:
        gate.start()
        time.sleep(1.0)
        # A standby lists its clusters but reaches none of them.
        assert [c.name for c in hub.clusters("default")] == ["seoul"]
        assert len(server.requests) == 0 and _watch_threads() == []
        assert hub.clusters("default")[0].state != "connected"

        held.set()
        _until("connected", lambda: hub.clusters("default")[0].state == "connected", 60)
        _until("web-0 seen", lambda: [p.name for p in hub.pods("default", None, NS, None)]
               == ["web-0"], 60)
        assert server.watches() and gate.watching and gate.starts == 1

        held.clear()
        gone_s = _until("every watch thread gone", lambda: _watch_threads() == [], timeout=5)
        assert not gate.watching
        requests = len(server.requests)
        cluster.put(_pod("web-1"))
        time.sleep(1.0)
        assert len(server.requests) == requests  # nothing asked after the pause
        assert hub.pods("default", None, NS, None) == []  # nothing shown as live either
        print(f"watches stopped {gone_s:.2f} s after the lease was lost")

        held.set()
        _until("web-0 and web-1 seen", lambda: sorted(
            p.name for p in hub.pods("default", None, NS, None)) == ["web-0", "web-1"], 60)
        assert len(server.requests) > requests and gate.starts == 2
    finally:
        gate.close()
        server.stop()
        store.close()
    assert _watch_threads() == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("bongsu-kube-")]
