"""Simulated OTLP traffic from a small shop on Kubernetes, for demos, tests and benchmarks.

Five services (Python, Java, Go) with several pods each send traces, metrics and logs the
way OpenTelemetry SDKs would. ``generate`` yields the export requests for a stretch of
simulated time, deterministically from a seed; ``run`` sends them live to an OTLP/HTTP
endpoint, paced to the wall clock.

Example::

    from bongsu.simulate import generate, run

    for export in generate(seed=1, start_ns=past_ns, duration_s=3600, rate=50):
        store(export.kind, export.body)          # backfill an hour

    stats = run("http://127.0.0.1:4318", rate=20, duration=60)
"""

from __future__ import annotations

from bongsu.simulate._batches import Export
from bongsu.simulate._generate import generate
from bongsu.simulate._run import RunStats, run

__all__ = ["Export", "RunStats", "generate", "run"]
