"""A watched cluster's state as metric points, on a schedule.

Every usage interval (15 s) the sampler reads metrics.k8s.io, when the cluster serves it,
and writes the containers' usage and utilisation points; every state interval (60 s) it
writes all the state points (requests, limits, restarts, phase, readiness, replicas,
autoscalers). At 10,000 pods of three containers a full round is ~320,000 points and a
usage round ~120,000: written every 15 s, the full rounds were ~17,000 rows a second for
figures that rarely change (``docs/benchmarks.md``). Nothing is written while the cluster
is not connected: an unreachable cluster's last state is not its state now.

Example::

    sampler = PointsSampler(watch, Intervals(usage_s=15, state_s=60), hub.load_points)
    threading.Thread(target=sampler.run, args=(stop_event,)).start()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa
from kubernetes import client as k8s

from bongsu.kube.model import HpaState, PodState, WorkloadState
from bongsu.kube.points import state_points
from bongsu.kube.usage import read_pod_usage
from bongsu.kube.watch import describe_error

log = logging.getLogger("bongsu.kube.sampler")

LoadPoints = Callable[[pa.Table], None]
Usage = Mapping[tuple[str, str], Mapping[str, tuple[float, float]]]

_USAGE_TIMEOUT_S = 5.0
_POINTS_SLICE = 1000  # pods per points table


@dataclass(frozen=True, slots=True)
class Intervals:
    usage_s: float = 15.0  # containers' usage from metrics.k8s.io, and its points
    state_s: float = 60.0  # requests, limits, restarts, phase, readiness, replicas


class Sampled(Protocol):
    """What the sampler needs of a watched cluster (``ClusterWatch``)."""

    name: str
    tenant: str
    usage_error: str | None

    def points_ready(self) -> bool:
        """Listed and connected: its state is current."""
        ...

    def usage_api(self) -> k8s.ApiClient | None:
        """The client to read metrics.k8s.io with, when the cluster serves it."""
        ...

    def state_for_points(self, usage: Usage | None) -> tuple[
            list[PodState], list[WorkloadState], list[HpaState]]:
        """Apply ``usage`` (None: not read) to the pods, then the state to write."""
        ...


class PointsSampler:
    """Writes one cluster's metric points on a schedule (see the module docstring)."""

    def __init__(self, cluster: Sampled, intervals: Intervals, load_points: LoadPoints) -> None:
        self._cluster = cluster
        self._intervals = intervals
        self._load_points = load_points

    def run(self, stop: threading.Event) -> None:
        """Sample until ``stop`` is set (a thread's target)."""
        next_state = 0.0
        while not stop.wait(self._intervals.usage_s):
            if not self._cluster.points_ready():
                continue
            full = time.monotonic() >= next_state
            try:
                self.sample(usage_only=not full)
            except Exception as exc:
                log.warning("cluster %s: state points failed: %s", self._cluster.name,
                            describe_error(exc))
            if full:
                next_state = time.monotonic() + self._intervals.state_s - 1.0

    def sample(self, usage_only: bool = False) -> None:
        """One round: usage (when served), then the points."""
        cluster = self._cluster
        usage: Usage | None = None
        api = cluster.usage_api()
        if api is not None:
            try:
                usage = read_pod_usage(api, _USAGE_TIMEOUT_S)
                cluster.usage_error = None
            except Exception as exc:
                cluster.usage_error = describe_error(exc)
                usage = {}  # the last figures are not current: none rather than stale ones
        pods, workloads, hpas = cluster.state_for_points(usage)
        # Built outside the cluster's lock (10,000 pods take ~0.5 s) and loaded in slices:
        # one table of every pod peaked at ~90 MiB of Python objects while it was built.
        now = time.time_ns() // 1000
        tenant, name = cluster.tenant, cluster.name
        if not usage_only:
            self._load_points(state_points(tenant, name, now, [], workloads, hpas))
        for start in range(0, len(pods), _POINTS_SLICE):
            self._load_points(state_points(tenant, name, now, pods[start:start + _POINTS_SLICE],
                                           [], [], usage_only=usage_only))
