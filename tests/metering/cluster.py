"""The simulated cluster the metering tests meter: two nodes, two namespaces, teams by pod
label, containers under and over their requests, one without usage, one pod Pending.

``SPEC`` is what each container requests and uses (what the tests recompute by hand).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bongsu.simulate.kube import FakeCluster, shapes

MI = 2**20
GI = 2**30
NODES = {"node-a": (4.0, 16 * GI), "node-b": (2.0, 8 * GI)}  # cores, bytes


@dataclass(frozen=True)
class Spec:
    namespace: str
    pod: str
    container: str
    node: str | None
    workload: str
    team: str
    cpu_request: float
    memory_request: int
    cpu_usage: float | None  # None: metrics.k8s.io reports nothing for it
    memory_usage: int | None


SPEC = (
    Spec("shop", "checkout-7d9f8b6c5d-a1", "checkout", "node-a", "checkout", "payments",
         0.5, 512 * MI, 0.2, 768 * MI),  # memory over its request
    Spec("shop", "checkout-7d9f8b6c5d-a1", "envoy", "node-a", "checkout", "payments",
         0.1, 64 * MI, 0.3, 32 * MI),  # CPU over its request
    Spec("shop", "checkout-7d9f8b6c5d-b2", "checkout", "node-b", "checkout", "payments",
         0.5, 512 * MI, 0.25, 256 * MI),
    Spec("shop", "cart-5c6d7e8f9a-c3", "cart", "node-a", "cart", "storefront",
         0.25, 256 * MI, 0.1, 128 * MI),
    Spec("pay", "ledger-6b7c8d9e0f-d4", "ledger", "node-b", "ledger", "payments",
         1.0, 1 * GI, 0.5, 512 * MI),
    Spec("pay", "batch-4a5b6c7d8e-e5", "batch", "node-a", "batch", "",  # no team label
         0.2, 128 * MI, None, None),
    Spec("shop", "cart-5c6d7e8f9a-p6", "cart", None, "cart", "storefront",  # Pending
         0.25, 256 * MI, None, None),
)
METERED = tuple(s for s in SPEC if s.node is not None)


def populate(cluster: FakeCluster) -> None:
    """Put the nodes, workloads, pods and pod metrics of ``SPEC`` into ``cluster``."""
    for name, (cores, memory) in NODES.items():
        cluster.put(shapes.node(name, boot_id=f"boot-{name}", cpu=f"{cores:g}",
                                memory=f"{memory // 1024}Ki"))
    started = time.time() - 600
    owners = {}
    for namespace in sorted({s.namespace for s in SPEC}):
        cluster.put(shapes.namespace(namespace))
    for s in SPEC:
        key = (s.namespace, s.workload)
        if key not in owners:
            dep = cluster.put(shapes.deployment(s.workload, s.namespace, replicas=1,
                                                image=f"{s.workload}:1"))
            owners[key] = cluster.put(shapes.replicaset(dep, s.pod.split("-")[1], replicas=1))
    for pod in dict.fromkeys(s.pod for s in SPEC):
        mine = [s for s in SPEC if s.pod == pod]
        first = mine[0]
        labels = {"app": first.workload, "pod-template-hash": pod.split("-")[1]}
        if first.team:
            labels["team"] = first.team
        containers = [shapes.container(s.container, f"{s.workload}:1",
                                       cpu_request=f"{round(s.cpu_request * 1000)}m",
                                       memory_request=f"{s.memory_request // MI}Mi",
                                       memory_limit=None) for s in mine]
        running = first.node is not None
        cluster.put(shapes.pod(
            pod, first.namespace, node=first.node, containers=containers,
            statuses=[shapes.running(s.container, f"{s.workload}:1", started_at=started)
                      for s in mine] if running else None,
            phase="Running" if running else "Pending",
            owner=shapes.owner_ref(owners[(first.namespace, first.workload)]),
            labels=labels, created=started, started=started if running else None))
        usage = {s.container: (s.cpu_usage, float(s.memory_usage)) for s in mine
                 if s.cpu_usage is not None and s.memory_usage is not None}
        if usage:
            cluster.put(shapes.pod_metrics(pod, first.namespace, usage))
