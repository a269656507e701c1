"""How many user requests arrive when: a daily wave, a shorter ripple, rare spikes, and a
half-hourly campaign wave the public cluster's HPA answers (``_fleet.cycle_factor``).

Example::

    load = Load(rate=20, seed=1, start_ns=now_ns)
    load.rate_at(now_ns)  # ~20, more at noon (UTC+9), up to 3x during a spike
"""

from __future__ import annotations

import math
import random

from bongsu.simulate._fleet import cycle_factor

DAY_NS = 86_400 * 10**9
KST_NS = 9 * 3_600 * 10**9  # the shop's users live in UTC+9


class Load:
    """Request rate over time; spikes are drawn from the seed, lazily, in time order."""

    def __init__(self, rate: float, seed: int, start_ns: int) -> None:
        self.rate = rate
        self._rng = random.Random(seed ^ 0x5EED_5B1C)
        self._ripple_phase = self._rng.uniform(0, 2 * math.pi)
        self._spike_start = start_ns
        self._spike_end = start_ns
        self._spike_factor = 1.0
        self._next_spike(start_ns)

    def _next_spike(self, after_ns: int) -> None:
        # About one spike every 20 minutes, 20-90 s long, 1.8-3x the rate.
        self._spike_start = after_ns + int(self._rng.expovariate(1 / 1_200) * 1e9)
        self._spike_end = self._spike_start + int(self._rng.uniform(20, 90) * 1e9)
        self._spike_factor = self._rng.uniform(1.8, 3.0)

    def in_spike(self, t_ns: int) -> bool:
        while t_ns >= self._spike_end:
            self._next_spike(self._spike_end)
        return t_ns >= self._spike_start

    def rate_at(self, t_ns: int) -> float:
        """Requests per second at ``t_ns``; the mean over a day is about 1.3 x ``rate``."""
        day = ((t_ns + KST_NS) % DAY_NS) / DAY_NS  # 0 at local midnight
        wave = 1.0 - 0.2 * math.cos(2 * math.pi * (day - 0.1))  # low at ~3 am, high ~3 pm
        ripple = 1.0 + 0.08 * math.sin(2 * math.pi * t_ns / 300e9 + self._ripple_phase)
        spike = self._spike_factor if self.in_spike(t_ns) else 1.0
        return self.rate * wave * ripple * spike * cycle_factor(t_ns)
