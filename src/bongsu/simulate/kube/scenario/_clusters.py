"""One simulated cluster of the shop: its nodes, the shop's pods, the rest, the troubles.

:class:`ShopCluster` builds the objects of one :class:`~bongsu.simulate._topology.Site`
in a FakeCluster and moves them along as the generator's observer: each simulated
second advances the incidents and the HPA; each process sample becomes PodMetrics; each
user request counts in the cluster's edge proxy.
"""

from __future__ import annotations

from bongsu.simulate._fleet import Fleet
from bongsu.simulate._topology import NAMESPACE, Instance, System
from bongsu.simulate.kube import shapes
from bongsu.simulate.kube._cluster import FakeCluster
from bongsu.simulate.kube.scenario._changes import NodeFlap, Rollout
from bongsu.simulate.kube.scenario._extras import Extras
from bongsu.simulate.kube.scenario._incidents import (
    CrashLoop,
    Evictions,
    ImagePull,
    Incident,
    StuckVolume,
    Unschedulable,
)
from bongsu.simulate.kube.scenario._ingress import HOST, HaproxyRouter, NginxIngress
from bongsu.simulate.kube.scenario._shop import ShopWorkloads
from bongsu.simulate.kube.scenario._specs import COMMON, PRIVATE_ONLY, PUBLIC_ONLY
from bongsu.simulate.kube.scenario._world import World, uid

DAY = 86_400.0
METRICS_S = 15  # metrics-server's scrape interval
EVENT_SWEEP_S = 60
NGINX = "ingress-nginx-controller"
NGINX_IMAGES = ("registry.k8s.io/ingress-nginx/controller:v1.11.2",
                "registry.k8s.io/ingress-nginx/controller:v1.11.3")


class ShopCluster:
    """One site of the shop served as a Kubernetes cluster; see the module docstring."""

    def __init__(self, world: World, system: System, fleet: Fleet, seed: int) -> None:
        self.world = world
        self.site = world.site
        self.public = self.site.label == "public"
        self.shop = ShopWorkloads(world, system, fleet)
        # The public edge (ingress-nginx) is the Rollout incident's Deployment.
        self.extras = Extras(world, COMMON + (PUBLIC_ONLY[1:] if self.public else PRIVATE_ONLY),
                             seed)
        self.edge: NginxIngress | HaproxyRouter
        if self.public:
            self.edge = NginxIngress(self.site.name, pod=NGINX)
        else:
            self.edge = HaproxyRouter(self.site.name)
        self.incidents: list[Incident] = self._incidents()
        self._last_metrics = 0
        self._last_sweep = 0

    @classmethod
    def build(cls, cluster: FakeCluster, system: System, fleet: Fleet, start_ns: int,
              seed: int = 0) -> ShopCluster:
        site = next(i.site for i in system.instances if i.site.name == cluster.name)
        return cls(World(site, cluster, start_ns), system, fleet, seed)

    def _incidents(self) -> list[Incident]:
        w = self.world
        if self.public:
            def nginx_pod(pod: str) -> None:
                if isinstance(self.edge, NginxIngress):
                    self.edge.pod = pod

            return [
                CrashLoop(w, NAMESPACE, "recommendations", "ghcr.io/shop/recommendations:0.9.1"),
                ImagePull(w, NAMESPACE, "fraud-model", "ghcr.io/shop/fraud-model:2.0.0-rc1"),
                Unschedulable(w, NAMESPACE, "search-indexer", "ghcr.io/shop/search-indexer:1.4.0"),
                StuckVolume(w, "data", "kafka", "docker.io/bitnami/kafka:3.7.0", attach=True),
                Rollout(w, "ingress-nginx", NGINX, NGINX_IMAGES, on_pod=nginx_pod,
                        running=self.extras.running),
            ]
        return [
            Evictions(w, NAMESPACE, "report-batch", "registry.shop.internal/report-batch:3.1.0",
                      running=self.extras.running),
            Unschedulable(w, "monitoring", "metrics-agent",
                          "registry.shop.internal/metrics-agent:2.2.0", host_port=9100),
            StuckVolume(w, NAMESPACE, "invoice-archiver",
                        "registry.shop.internal/invoice-archiver:1.0.3"),
            NodeFlap(w, self.site.nodes[-1]),
        ]

    # -- set-up ---------------------------------------------------------------------
    def setup(self, t_ns: int) -> None:
        """Put the cluster's objects as they are at ``t_ns``."""
        w = self.world
        w.now = t_ns / 1e9
        created = w.now - 90 * DAY
        for ns in ("default", "kube-system", "monitoring", "data", NAMESPACE,
                   "ingress-nginx" if self.public else "openshift-ingress"):
            w.cluster.put(shapes.namespace(ns, created=created))
        for index, name in enumerate(self.site.nodes):
            labels = {"node-role.kubernetes.io/worker": "",
                      "topology.kubernetes.io/zone": (f"ap-northeast-2{'abc'[index % 3]}"
                                                     if self.public else "seoul-dc1")}
            if self.public:
                labels["node.kubernetes.io/instance-type"] = "m6i.xlarge"
            w.cluster.put(shapes.node(
                name, boot_id=uid(f"{self.site.name}/{name}/boot/0"), cpu="4",
                memory="16085796Ki", labels=labels, created=created,
                internal_ip=w.host_ip(name),
                provider_id=(f"aws:///ap-northeast-2{'abc'[index % 3]}/i-0{uid(name)[:16]}"
                             if self.public else None)))
        self.shop.setup(t_ns)
        self.extras.setup()
        for incident in self.incidents:
            incident.setup()
        cls = "nginx" if self.public else "openshift-default"
        address = "52.79.110.41" if self.public else "10.128.0.250"
        w.cluster.put(shapes.ingress("shop", NAMESPACE, rules=[(HOST, "/", "frontend", 8080)],
                                     ingress_class=cls, address=address, tls=True,
                                     created=created))
        self._metrics(t_ns)

    # -- the generator's observer ---------------------------------------------------
    def second(self, t_ns: int) -> None:
        w = self.world
        w.now = t_ns / 1e9
        self.shop.second(t_ns)
        for incident in self.incidents:
            incident.second()
        second = int(w.now)
        if second - self._last_metrics >= METRICS_S:
            self._metrics(t_ns)
        if second - self._last_sweep >= EVENT_SWEEP_S:
            self._last_sweep = second
            for recorder in w.recorders():
                recorder.expire()

    def _metrics(self, t_ns: int) -> None:
        self._last_metrics = int(t_ns / 1e9)
        self.extras.metrics()
        for index, name in enumerate(self.site.nodes):
            self.world.cluster.put(shapes.node_metrics(name, 0.8 + 0.3 * index,
                                                       (7.5 + index) * 2**30, at=t_ns / 1e9))

    def served(self, instance: Instance, method: str, status: int, duration_ns: int) -> None:
        self.edge.observe(method, status, duration_ns / 1e9)

    def process(self, t_ns: int, instance: Instance, cpu: float, rss: int) -> None:
        self.shop.process(t_ns, instance, cpu, rss)

    def oom_killed(self, t_ns: int, instance: Instance) -> None:
        self.world.now = t_ns / 1e9
        self.shop.oom_killed(t_ns, instance)
