"""Fixtures that serve simulated Kubernetes clusters on loopback (``bongsu.simulate.kube``).

``fake_cluster`` is one cluster, its API server and a kubeconfig for it;
``fake_clusters`` makes as many as a test needs. All are stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bongsu.simulate.kube import ApiServer, FakeCluster


@dataclass
class ServedCluster:
    """A FakeCluster, the ApiServer serving it, and a kubeconfig that reaches it."""

    cluster: FakeCluster
    server: ApiServer
    kubeconfig: Path

    @property
    def url(self) -> str:
        return self.server.url


MakeCluster = Callable[..., ServedCluster]


@pytest.fixture
def fake_clusters(tmp_path: Path) -> Iterator[MakeCluster]:
    """``make(name, events_api="both", bookmark_interval_s=60.0)`` → a served cluster."""
    served: list[ServedCluster] = []

    def make(name: str = "kind", events_api: str = "both",
             bookmark_interval_s: float = 60.0) -> ServedCluster:
        cluster = FakeCluster(name=name, events_api=events_api)
        server = ApiServer(cluster, bookmark_interval_s=bookmark_interval_s).start()
        item = ServedCluster(cluster, server, server.kubeconfig(tmp_path / f"{name}.kubeconfig"))
        served.append(item)
        return item

    yield make
    for item in served:
        item.server.stop()


@pytest.fixture
def fake_cluster(fake_clusters: MakeCluster) -> ServedCluster:
    """One simulated cluster named ``kind`` serving both Event APIs."""
    return fake_clusters("kind")
