"""One cluster's metering rows for one hour.

Containers' figures come from the stored points (:meth:`MeteringReads.metering_usage`);
the team of each container is its pod's ``team_label`` in the live view at compute time
(a pod gone since has none: its hours go to team ``""``), and each node's capacity is the
live view's, held for the minutes of the hour the cluster has points in (a node the
watcher no longer lists has no capacity row). Recomputing an hour replaces it.

Example::

    containers, nodes = hour_rows(meter, view, "default", "private", hour_us, "team")
    meter.save_metering_hour("default", "private", hour_us, containers, nodes)
"""

from __future__ import annotations

import dataclasses

from bongsu.kube.model import KubeView
from bongsu.store.metering import HOUR_US, ContainerHour, MeteringReads, NodeHour

GIB = float(2**30)


def hour_rows(reads: MeteringReads, view: KubeView, tenant: str, cluster: str, hour_us: int,
              team_label: str) -> tuple[list[ContainerHour], list[NodeHour]]:
    """The hour's container and node rows (see the module docstring)."""
    if hour_us % HOUR_US:
        raise ValueError(f"hour_us: {hour_us} is not the start of an hour")
    usage, minutes = reads.metering_usage(tenant, cluster, hour_us)
    teams = {(p.namespace, p.name): p.labels.get(team_label, "")
             for p in view.pods(tenant, cluster, None, None)}
    containers = [dataclasses.replace(c, team=teams.get((c.namespace, c.pod), ""))
                  for c in usage]
    nodes = [NodeHour(cluster, hour_us, n.name, minutes, n.cpu_capacity * minutes / 60,
                      n.memory_capacity / GIB * minutes / 60)
             for n in view.nodes(tenant, cluster)
             if minutes and n.cpu_capacity is not None and n.memory_capacity is not None]
    return containers, nodes
