"""The shop's two simulated Kubernetes clusters, following the traffic simulator.

:class:`KubeSimulation` serves both clusters (API servers, kubeconfigs, edge-proxy
Prometheus endpoints) and is the generator's observer; :class:`ShopCluster` is one of
them, usable alone in tests.

Example::

    kube = KubeSimulation(seed=7, directory=tmp / "kube", start_ns=start_ns).start()
    for export in generate(7, start_ns, 1800, rate=5, observer=kube):
        pass                                      # an hour of cluster life in seconds
    kube.clusters["aws-apne2"].cluster.list_all("v1", "Pod")
    kube.stop()
"""

from __future__ import annotations

from bongsu.simulate.kube.scenario._clusters import ShopCluster
from bongsu.simulate.kube.scenario._ingress import HaproxyRouter, MetricsEndpoint, NginxIngress
from bongsu.simulate.kube.scenario._simulation import KubeSimulation, Served

__all__ = ["HaproxyRouter", "KubeSimulation", "MetricsEndpoint", "NginxIngress", "Served",
           "ShopCluster"]
