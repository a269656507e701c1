"""Live mode: simulated traffic sent to a real OTLP/HTTP endpoint, paced to the clock.

Example::

    stats = run("http://127.0.0.1:4318", rate=20, duration=60, api_key="bsk_...")
    stats.sent["traces"]  # spans accepted by the server
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bongsu.simulate._batches import Export, Kind
from bongsu.simulate._generate import generate
from bongsu.simulate._observer import Observer
from bongsu.simulate._sender import Sender

PROGRESS_S = 5.0
MAX_LAG_S = 30.0  # an export this late is dropped, as a full SDK queue would drop it
NOUNS: dict[Kind, str] = {"traces": "spans", "metrics": "metric points", "logs": "log records"}


def _counts() -> dict[Kind, int]:
    return {"traces": 0, "metrics": 0, "logs": 0}


@dataclass
class RunStats:
    """What ``run`` delivered: items (spans, metric points, log records) per kind.

    Example::

        stats = run(duration=10)
        print(stats.sent["traces"], stats.failed["traces"])
    """

    sent: dict[Kind, int] = field(default_factory=_counts)
    failed: dict[Kind, int] = field(default_factory=_counts)
    requests: int = 0  # export requests accepted
    failed_requests: int = 0  # given up on, or dropped for lagging
    retries: int = 0
    last_error: str | None = None

    def summary(self) -> str:
        sent = ", ".join(f"{self.sent[k]:,} {NOUNS[k]}" for k in NOUNS)
        text = f"sent {sent}"
        if self.failed_requests:
            failed = sum(self.failed.values())
            text += (f"; failed {self.failed_requests:,} requests ({failed:,} items), "
                     f"last error: {self.last_error}")
        return text


def run(endpoint: str = "http://127.0.0.1:4318", rate: float = 20, seed: int | None = None,
        duration: float | None = None, api_key: str | None = None,
        progress: Callable[[str], None] | None = print, *, failover: bool = False,
        observer: Observer | None = None) -> RunStats:
    """Send simulated traces, metrics and logs to ``endpoint`` until ``duration`` ends.

    Runs forever when ``duration`` is None (Ctrl-C stops it and returns the counts).
    ``failover`` and ``observer`` are passed to ``generate``.
    """
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    say = progress or (lambda _: None)
    sender = Sender(endpoint, api_key)
    stats = RunStats()
    start_ns = time.time_ns()
    length = math.inf if duration is None else duration
    end_ns = start_ns + (int(length * 1e9) if math.isfinite(length) else 0)
    say(f"simulating {rate:g} requests/s to {endpoint} (seed {seed}); "
        + ("Ctrl-C to stop" if duration is None else f"for {duration:g} s"))
    began = time.monotonic()
    next_report = began + PROGRESS_S
    try:
        for export in generate(seed, start_ns, length, rate, failover=failover,
                               observer=observer):
            if duration is None or export.at_ns <= end_ns:
                # Exports due after the end are flushed at once, as on SDK shutdown.
                wait = (export.at_ns - time.time_ns()) / 1e9
                if wait > 0:
                    time.sleep(wait)
            _deliver(sender, export, stats)
            if time.monotonic() >= next_report:
                say(f"[{time.monotonic() - began:.0f}s] {stats.summary()}")
                next_report = time.monotonic() + PROGRESS_S
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
    say(f"done: {stats.summary()}")
    return stats


def _deliver(sender: Sender, export: Export, stats: RunStats) -> None:
    if (time.time_ns() - export.at_ns) / 1e9 > MAX_LAG_S:
        ok, detail, retries = False, f"dropped: more than {MAX_LAG_S:g} s behind", 0
    else:
        result = sender.send(f"/v1/{export.kind}", export.body)
        ok, detail, retries = result.ok, result.detail, result.retries
    stats.retries += retries
    if ok:
        stats.requests += 1
        stats.sent[export.kind] += export.items
    else:
        stats.failed_requests += 1
        stats.failed[export.kind] += export.items
        stats.last_error = detail
