"""What the generator tells an onlooker as it goes: for a simulated cluster to follow.

``generate(..., observer=...)`` calls these on its own thread, in simulated time. The
simulated Kubernetes clusters use them so that ingress counters follow the requests
sent, PodMetrics follow each process's CPU and memory, and an OOM kill in the metrics is
an OOM kill in the pod's status.

Example::

    class Count:
        requests = 0
        def second(self, t_ns): pass
        def served(self, t_ns, instance, method, route, status, duration_ns):
            self.requests += 1
        def process(self, t_ns, instance, cpu, rss): pass
        def oom_killed(self, t_ns, instance): pass
"""

from __future__ import annotations

from typing import Protocol

from bongsu.simulate._topology import Instance


class Observer(Protocol):
    def second(self, t_ns: int) -> None:
        """Simulated time has reached ``t_ns`` (called once per simulated second)."""

    def served(self, t_ns: int, instance: Instance, method: str, route: str, status: int,
               duration_ns: int) -> None:
        """A user request (entering at ``instance``, a frontend pod) has been answered."""

    def process(self, t_ns: int, instance: Instance, cpu: float, rss: int) -> None:
        """An instance's process used ``cpu`` cores and ``rss`` bytes (each metric export)."""

    def oom_killed(self, t_ns: int, instance: Instance) -> None:
        """The kernel killed ``instance``'s process for exceeding its memory limit."""
