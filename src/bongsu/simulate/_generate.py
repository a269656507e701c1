"""The generation loop: one second of simulated time after another.

Second ``k`` first receives the user requests arriving in it (a Poisson process at the
current rate), then its batches are flushed: every span that ends in second ``k`` started
in it or earlier, so the batch is complete. Metrics (the SDKs', then each node's host metrics)
follow every 10 s and once at the end.

Example::

    for export in generate(seed=1, start_ns=time.time_ns(), duration_s=60, rate=20):
        post(export)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from bongsu.simulate._attributes import AttributeCache, resource, scope
from bongsu.simulate._batches import SECOND_NS, Batches, Export
from bongsu.simulate._fleet import Fleet
from bongsu.simulate._hosts import Hosts
from bongsu.simulate._metrics import INTERVAL_S, Metrics
from bongsu.simulate._observer import Observer
from bongsu.simulate._topology import System, build_system
from bongsu.simulate._traces import TraceMaker
from bongsu.simulate._traffic import Load


def generate(seed: int, start_ns: int, duration_s: float, rate: float, *,
             failover: bool = False, observer: Observer | None = None) -> Iterator[Export]:
    """OTLP exports of the simulated shop, in send order; same arguments, same bytes.

    ``rate`` is user requests per second (before the daily wave and spikes);
    ``duration_s`` may be ``math.inf``. Requests arrive during ``duration_s``; the
    exports of requests still running then follow shortly after. ``failover`` takes the
    private cluster out of the load balancer five minutes an hour; ``observer`` hears
    of every second, user request, process sample and OOM kill (``_observer``).
    """
    if rate < 0 or duration_s < 0:
        raise ValueError("rate and duration_s must not be negative")
    rng = random.Random(seed)
    system = build_system(rng)
    attrs = AttributeCache()
    resources = [resource(i.resource) for i in system.instances]
    scopes = [scope(i.service.language) for i in system.instances]
    batches = Batches(resources, scopes, start_ns)
    fleet = Fleet(system, failover)
    traces = TraceMaker(system, rng, batches, attrs, fleet, observer)
    metrics = Metrics(system, rng, attrs, resources, start_ns, fleet, observer)
    pods = _Pods(system, fleet, resources, metrics)
    # Its own generator, so adding host metrics left every other simulated value as it was.
    nodes = Hosts(system, random.Random(seed ^ 0x5EED_0057), attrs, start_ns)
    load = Load(rate, seed, start_ns)
    end_ns = start_ns + int(duration_s * 1e9) if math.isfinite(duration_s) else math.inf
    last_metrics_ns = start_ns
    second = 0
    while True:
        second_ns = start_ns + second * SECOND_NS
        pods.update(second_ns)
        if observer is not None:
            observer.second(second_ns)
        if second_ns < end_ns:
            lam = load.rate_at(second_ns)
            t = second_ns
            limit = min(second_ns + SECOND_NS, end_ns)
            while lam > 0:
                t += int(rng.expovariate(lam) * 1e9) + 1
                if t >= limit:
                    break
                traces.request(t)
        exports, served, queried = batches.flush(second)
        yield from exports
        metrics.record(served, queried)
        second += 1
        flush_ns = start_ns + second * SECOND_NS
        done = flush_ns >= end_ns and not batches.pending()
        if second % INTERVAL_S == 0 or (done and flush_ns > last_metrics_ns):
            yield from metrics.collect(flush_ns, (flush_ns - last_metrics_ns) / 1e9)
            yield from nodes.collect(flush_ns, (flush_ns - last_metrics_ns) / 1e9,
                                     metrics.take_node_load())
            last_metrics_ns = flush_ns
        if done:
            return


class _Pods:
    """Renames an HPA pod's resource when the fleet starts a new pod in its slot."""

    def __init__(self, system: System, fleet: Fleet, resources: list[Resource],
                 metrics: Metrics) -> None:
        self._fleet = fleet
        self._resources = resources
        self._metrics = metrics
        self._extras = [i for i in system.instances if i.extra is not None]
        self._current = {i.slot: i.pod for i in self._extras}

    def update(self, t_ns: int) -> None:
        for instance in self._extras:
            if not self._fleet.is_running(instance, t_ns):
                continue
            pod = self._fleet.incarnation(instance, t_ns)
            if self._current[instance.slot] != pod.pod:
                self._current[instance.slot] = pod.pod
                self._resources[instance.slot] = resource(
                    instance.renamed(pod.pod, pod.instance_id))
                self._metrics.restart(instance.slot, t_ns)
