"""The generation loop: one second of simulated time after another.

Second ``k`` first receives the user requests arriving in it (a Poisson process at the
current rate), then its batches are flushed: every span that ends in second ``k`` started
in it or earlier, so the batch is complete. Metrics follow every 10 s and once at the end.

Example::

    for export in generate(seed=1, start_ns=time.time_ns(), duration_s=60, rate=20):
        post(export)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from bongsu.simulate._attributes import AttributeCache, resource, scope
from bongsu.simulate._batches import SECOND_NS, Batches, Export
from bongsu.simulate._metrics import INTERVAL_S, Metrics
from bongsu.simulate._topology import build_system
from bongsu.simulate._traces import TraceMaker
from bongsu.simulate._traffic import Load


def generate(seed: int, start_ns: int, duration_s: float, rate: float) -> Iterator[Export]:
    """OTLP exports of the simulated shop, in send order; same arguments, same bytes.

    ``rate`` is user requests per second (before the daily wave and spikes);
    ``duration_s`` may be ``math.inf``. Requests arrive during ``duration_s``; the
    exports of requests still running then follow shortly after.
    """
    if rate < 0 or duration_s < 0:
        raise ValueError("rate and duration_s must not be negative")
    rng = random.Random(seed)
    system = build_system(rng)
    attrs = AttributeCache()
    resources = [resource(i.resource) for i in system.instances]
    scopes = [scope(i.service.language) for i in system.instances]
    batches = Batches(resources, scopes, start_ns)
    traces = TraceMaker(system, rng, batches, attrs)
    metrics = Metrics(system, rng, attrs, resources, start_ns)
    load = Load(rate, seed, start_ns)
    end_ns = start_ns + int(duration_s * 1e9) if math.isfinite(duration_s) else math.inf
    last_metrics_ns = start_ns
    second = 0
    while True:
        second_ns = start_ns + second * SECOND_NS
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
            last_metrics_ns = flush_ns
        if done:
            return
