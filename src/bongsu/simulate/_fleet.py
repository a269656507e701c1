"""Which pods run when: the global load balancer's split, the HPA, and new pods' names.

Everything here is a pure function of time (epoch-aligned), so the traffic generator and
the simulated Kubernetes clusters (``bongsu.simulate.kube.scenario``) agree without
talking: the same replicas, the same pod names, the same share per cluster.

- **Load cycle**: every 30 minutes a campaign wave lifts the load to 2.5x for about four
  minutes (minutes 10-18 of the cycle, ramps included).
- **HPA** on the public cluster's frontend: target 70 % CPU, 2-5 replicas; it syncs every
  15 s, scales up at once and down only after five minutes of lower recommendations
  (the controller's defaults). Utilisation per pod is 60 % at the base load on 2 pods.
- **Load balancer**: 30 % of users to the private cluster, 70 % to the public one; with
  ``failover``, the private cluster's share drops to 0 for five minutes of every hour.

Example::

    fleet = Fleet(system)
    fleet.replicas(t_ns)                              # 2 … 5
    fleet.running("frontend", PUBLIC, t_ns)           # the instances serving now
    fleet.incarnation(instance, t_ns).pod             # an HPA pod's name in this cycle
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from bongsu.simulate._topology import HPA_MAX, HPA_MIN, HPA_SERVICE, PRIVATE, Instance, Site, System

CYCLE_S = 1800
PEAK = 2.5
SYNC_S = 15  # --horizontal-pod-autoscaler-sync-period
STABILIZE_S = 300  # --horizontal-pod-autoscaler-downscale-stabilization
CPU_TARGET = 70  # percent of request
BASE_UTILIZATION = 60  # percent, per pod at the base load on HPA_MIN pods
FAILOVER_PERIOD_S, FAILOVER_AT_S, FAILOVER_FOR_S = 3600, 40 * 60, 5 * 60
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def cycle_factor(t_ns: int) -> float:
    """How much the campaign wave lifts the load at ``t_ns`` (1.0 … PEAK)."""
    minute = (t_ns / 1e9 % CYCLE_S) / 60
    if 10 <= minute < 12:
        return 1 + (PEAK - 1) * (minute - 10) / 2
    if 12 <= minute < 16:
        return PEAK
    if 16 <= minute < 18:
        return PEAK - (PEAK - 1) * (minute - 16) / 2
    return 1.0


def recommendation(t_s: int) -> int:
    """The replicas the HPA computes at sync time ``t_s`` (before stabilisation)."""
    utilization = BASE_UTILIZATION * HPA_MIN * cycle_factor(t_s * 10**9)
    return min(HPA_MAX, max(HPA_MIN, math.ceil(utilization / CPU_TARGET)))


@dataclass(frozen=True)
class Incarnation:
    """One pod of an instance slot: its name and id for the time it runs."""

    pod: str
    instance_id: str
    started_ns: int


class Fleet:
    """The schedule of the shop's pods; see the module docstring."""

    def __init__(self, system: System, failover: bool = False) -> None:
        self.system = system
        self.failover = failover
        self._second = -1
        self._running: dict[tuple[str, str], list[Instance]] = {}

    def private_share(self, t_ns: int) -> float:
        """The share of users the load balancer sends to the private cluster."""
        if self.failover and FAILOVER_AT_S <= t_ns / 1e9 % FAILOVER_PERIOD_S < (
                FAILOVER_AT_S + FAILOVER_FOR_S):
            return 0.0
        return PRIVATE.share

    def replicas(self, t_ns: int) -> int:
        """The HPA's current replica count: the highest recommendation of the last 5 min."""
        sync = int(t_ns // 10**9) // SYNC_S * SYNC_S
        return max(recommendation(s) for s in range(sync - STABILIZE_S + SYNC_S, sync + 1,
                                                      SYNC_S))

    def last_scale_ns(self, t_ns: int) -> int:
        """When the HPA last changed the replica count (looking back at most one cycle)."""
        sync = int(t_ns // 10**9) // SYNC_S * SYNC_S
        now = self.replicas(t_ns)
        for s in range(sync, sync - CYCLE_S, -SYNC_S):
            if self.replicas((s - SYNC_S) * 10**9) != now:
                return s * 10**9
        return (sync - CYCLE_S) * 10**9

    def utilization(self, t_ns: int) -> int:
        """Average CPU utilisation (percent of request) of the HPA's pods."""
        return round(BASE_UTILIZATION * HPA_MIN * cycle_factor(t_ns) / self.replicas(t_ns))

    def is_running(self, instance: Instance, t_ns: int) -> bool:
        return instance.extra is None or self.replicas(t_ns) > HPA_MIN + instance.extra

    def running(self, service: str, site: Site, t_ns: int) -> list[Instance]:
        """The instances of ``service`` on ``site`` that serve requests at ``t_ns``."""
        second = t_ns // 10**9
        if second != self._second:
            self._second = second
            self._running = {}
        key = (service, site.name)
        found = self._running.get(key)
        if found is None:
            found = self._running[key] = [
                i for i in self.system.services[service].instances
                if i.site.name == site.name and self.is_running(i, t_ns)]
        return found

    def incarnation(self, instance: Instance, t_ns: int) -> Incarnation:
        """The pod ``instance`` is at ``t_ns``: HPA pods get a new name each scale-out."""
        if instance.extra is None:
            return Incarnation(instance.pod, dict(instance.resource)["service.instance.id"], 0)
        cycle = int(t_ns // 10**9) // CYCLE_S
        start = cycle * CYCLE_S
        started = next((s for s in range(start, start + CYCLE_S, SYNC_S)
                        if self.replicas(s * 10**9) > HPA_MIN + instance.extra), start)
        digest = hashlib.blake2b(f"{instance.pod}/{cycle}".encode(), digest_size=24).digest()
        suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])
        uuid = digest[8:24].hex()
        instance_id = (f"{uuid[:8]}-{uuid[8:12]}-4{uuid[13:16]}-"
                       f"{0x8000 | int(uuid[16:20], 16) & 0x3FFF:04x}-{uuid[20:32]}")
        return Incarnation(f"{HPA_SERVICE}-{instance.replica_set}-{suffix}", instance_id,
                           started * 10**9)
