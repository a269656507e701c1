"""Attempts per client address: a sliding window in memory, per server.

Each replica counts on its own (a client spread over ``n`` replicas gets ``n`` times the
limit); the per-user lockout (``bongsu.accounts.sessions``) is in the database and holds
across replicas. The table is bounded: past ``max_keys`` addresses the oldest are dropped.

Example::

    limiter = Limiter(per_minute=10)
    limiter.hit("login", "10.0.0.7")      # RateLimited (Retry-After) on the 11th in a minute
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from bongsu.errors import RateLimited

_WINDOW_S = 60.0


class Limiter:
    """At most ``per_minute`` hits per (what, address) in any 60 s."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, what: str, address: str) -> None:
        """Count one attempt; RateLimited when the address is over its limit."""
        now = self._clock()
        key = (what, address)
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - _WINDOW_S:
                hits.popleft()
            self._hits[key] = hits  # most recently used last
            if len(hits) >= self.per_minute:
                wait = max(1, math.ceil(hits[0] + _WINDOW_S - now))
                raise RateLimited(f"too many attempts from {address}: try again in {wait} s",
                                  retry_after=wait)
            hits.append(now)
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
