"""``bongsu simulate --kube``: the shop's two clusters served on loopback, moving with it.

Each cluster gets an :class:`~bongsu.simulate.kube.ApiServer`, a kubeconfig written to
``DIR/<cluster>.kubeconfig`` and its edge proxy's Prometheus endpoint, whose URL is
written to ``DIR/<cluster>.ingress``. The simulation is the generator's observer, so
the clusters follow the traffic actually generated.

Example::

    with KubeSimulation(seed=7, directory=Path("kube")) as kube:
        run("http://127.0.0.1:4318", seed=7, observer=kube)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bongsu.simulate._fleet import Fleet
from bongsu.simulate._topology import SITES, Instance, build_system
from bongsu.simulate.kube._cluster import FakeCluster
from bongsu.simulate.kube._server import ApiServer
from bongsu.simulate.kube.scenario._clusters import ShopCluster
from bongsu.simulate.kube.scenario._ingress import MetricsEndpoint


@dataclass
class Served:
    """One served cluster: its objects, API server, edge endpoint and files."""

    shop: ShopCluster
    server: ApiServer
    edge: MetricsEndpoint
    kubeconfig: Path
    label: str

    @property
    def cluster(self) -> FakeCluster:
        return self.shop.world.cluster


class KubeSimulation:
    """Serve the shop's clusters for the generator seeded ``seed``; see the module docstring.

    ``port`` (0: any free ports) is the first API server's port; the next cluster's is
    ``port + 1``, the edge endpoints ``port + 10`` and ``port + 11``.
    """

    def __init__(self, seed: int, directory: Path, port: int = 0, failover: bool = False,
                 start_ns: int | None = None, bookmark_interval_s: float = 60.0) -> None:
        self.seed = seed
        self.directory = directory
        self.port = port
        self.system = build_system(random.Random(seed))  # the generator's, name for name
        self.fleet = Fleet(self.system, failover)
        self.start_ns = start_ns
        self.bookmark_interval_s = bookmark_interval_s
        self.clusters: dict[str, Served] = {}

    def start(self, say: Callable[[str], None] | None = None) -> KubeSimulation:
        self.directory.mkdir(parents=True, exist_ok=True)
        t_ns = self.start_ns if self.start_ns is not None else time.time_ns()
        for index, site in enumerate(SITES):
            # The private cluster serves core/v1 Events only, the public one both APIs.
            cluster = FakeCluster(site.name, events_api="both" if site.label == "public"
                                  else "core")
            shop = ShopCluster.build(cluster, self.system, self.fleet, t_ns, self.seed + index)
            shop.setup(t_ns)
            server = ApiServer(cluster, port=self.port + index if self.port else 0,
                               bookmark_interval_s=self.bookmark_interval_s).start()
            edge = MetricsEndpoint(shop.edge.registry,
                                   port=self.port + 10 + index if self.port else 0)
            kubeconfig = server.kubeconfig(self.directory / f"{site.name}.kubeconfig")
            (self.directory / f"{site.name}.ingress").write_text(edge.url + "\n")
            self.clusters[site.name] = Served(shop, server, edge, kubeconfig, site.label)
            if say is not None:
                say(f"kube: {site.name} ({site.label}) API {server.url}, kubeconfig "
                    f"{kubeconfig}, {'ingress-nginx' if site.label == 'public' else 'router'} "
                    f"metrics {edge.url}")
        return self

    def stop(self) -> None:
        for served in self.clusters.values():
            served.server.stop()
            served.edge.stop()

    def __enter__(self) -> KubeSimulation:
        return self.start() if not self.clusters else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- the generator's Observer ---------------------------------------------------
    def second(self, t_ns: int) -> None:
        for served in self.clusters.values():
            served.shop.second(t_ns)

    def _shop(self, instance: Instance) -> ShopCluster | None:
        served = self.clusters.get(instance.site.name)
        return served.shop if served is not None else None

    def served(self, t_ns: int, instance: Instance, method: str, route: str, status: int,
               duration_ns: int) -> None:
        shop = self._shop(instance)
        if shop is not None:
            shop.served(instance, method, status, duration_ns)

    def process(self, t_ns: int, instance: Instance, cpu: float, rss: int) -> None:
        shop = self._shop(instance)
        if shop is not None:
            shop.process(t_ns, instance, cpu, rss)

    def oom_killed(self, t_ns: int, instance: Instance) -> None:
        shop = self._shop(instance)
        if shop is not None:
            shop.oom_killed(t_ns, instance)
