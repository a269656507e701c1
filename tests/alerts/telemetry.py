"""Known telemetry in a real DuckDB store for the alert tests: transactions per second with
a stretch of errors, gauge series with a known slope, a sawtooth, one that stops, and
Kubernetes episodes; and the evaluation context over it with an injected clock."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from bongsu.alerts.kinds import Context
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.kube.model import Episode
from bongsu.query.service import QueryService
from bongsu.settings import Settings
from bongsu.store.batch import METRIC_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of
from query.otlp import SERVER, SpanSpec, traces_request

S = 1_000_000
MIN = 60 * S
ERRORS_FROM_S, ERRORS_UNTIL_S = 300, 780  # orders fails every other request in [5 m, 13 m)
MEMORY_START, MEMORY_SLOPE = 100e6, 2e4  # bytes, bytes a second: reaches 300e6 at 10,000 s
MEMORY_LIMIT = 300e6


class Clock:
    """The evaluation time, moved by the test."""

    def __init__(self, now_us: int) -> None:
        self.now_us = now_us

    def __call__(self) -> int:
        return self.now_us


def open_store(path: Path) -> Any:
    return DuckDBStore.open(path)


def context(store: Any, clock: Callable[[], int]) -> Context:
    reads = reads_of(store, timeout_s=10, max_rows=10_000)
    return Context(QueryService(reads, Settings(), clock=clock), reads)


def transactions(t0: int, seconds: int = 1200) -> list[SpanSpec]:
    """One orders and one frontend request a second from ``t0``; orders answers 500 to
    every other request in [ERRORS_FROM_S, ERRORS_UNTIL_S)."""
    rng = random.Random(7)
    spans = []
    for second in range(seconds):
        start = t0 + second * S + 1000
        failing = ERRORS_FROM_S <= second < ERRORS_UNTIL_S and second % 2 == 0
        for service, instance in (("orders", f"ord-{second % 2 + 1}"), ("frontend", "fe-1")):
            spans.append(SpanSpec(
                service, instance, rng.getrandbits(120) | 1, rng.getrandbits(63) | 1, 0,
                "POST /orders" if service == "orders" else "GET /", SERVER, start,
                rng.randrange(20_000, 80_000),
                attrs={"http.response.status_code": 500 if failing and service == "orders"
                       else 200},
            ))
    return spans


def load_spans(store: Any, spans: Sequence[SpanSpec], lsn: int = 1) -> None:
    builder = BatchBuilder()
    builder.add(Signal.TRACES, "default", traces_request(spans))
    assert store.load(builder.build(), lsn)


def gauges(rows: Sequence[tuple[str, str, str, int, float, dict[str, str]]]) -> pa.Table:
    """Gauge points (name, service, instance, ts_us, value, attributes) as a metric table."""
    n = len(rows)
    nulls = [None] * n
    return pa.Table.from_pydict({
        "tenant": ["default"] * n, "ts_us": [r[3] for r in rows],
        "service": [r[1] for r in rows], "instance": [r[2] for r in rows],
        "name": [r[0] for r in rows], "kind": ["gauge"] * n, "unit": ["By"] * n,
        "value": [r[4] for r in rows], "count": nulls, "sum": nulls, "min": nulls,
        "max": nulls, "bounds": nulls, "bucket_counts": nulls,
        "attributes": [json.dumps(r[5], sort_keys=True) for r in rows],
    }, schema=METRIC_SCHEMA)


def memory_series(t0: int, minutes: int = 115) -> pa.Table:
    """Per pod of ``shop``, a point a minute from ``t0`` of usage and limit:

    - ``leaky``: MEMORY_START + MEMORY_SLOPE x s, with ±0.5 MB of noise (exhausts its
      MEMORY_LIMIT at t0 + 10,000 s);
    - ``rotating``: grows 2e5 a second but drops back to 100 MB every 20 minutes;
    - ``gone``: grows like ``leaky`` but stops at minute 60.
    """
    rng = random.Random(11)
    rows: list[tuple[str, str, str, int, float, dict[str, str]]] = []
    for k in range(minutes):
        ts, s = t0 + k * MIN, k * 60
        values = {
            "leaky": MEMORY_START + MEMORY_SLOPE * s + rng.uniform(-5e5, 5e5),
            "rotating": 100e6 + 2e5 * (s % 1200),
            "gone": MEMORY_START + MEMORY_SLOPE * s if k < 60 else None,
        }
        for pod, value in values.items():
            attrs = {"k8s.pod.name": pod, "k8s.namespace.name": "shop"}
            instance = f"private/shop/{pod}"
            if value is not None:
                rows.append(("k8s.container.memory.usage", "shop", instance, ts, value, attrs))
                rows.append(("k8s.container.memory.limit", "shop", instance, ts,
                             MEMORY_LIMIT, attrs))
    return gauges(rows)


def load_points(store: Any, table: pa.Table) -> None:
    assert store.load(Batch(metrics=table), None)


def episode(t0: int, **changes: Any) -> Episode:
    base: dict[str, Any] = dict(
        id="ep-crash-1", tenant="default", cluster="private", namespace="shop",
        object_kind="Pod", object_name="cart-7d9f8-x2kq", kind="crash_loop",
        reason="BackOff", severity="critical", summary="cart-7d9f8-x2kq crash-looping",
        message="Back-off restarting failed container", count=1, first_seen_us=t0,
        last_seen_us=t0, component="kubelet", source="event", service="cart",
        pod="cart-7d9f8-x2kq", container="cart", node="node-a",
    )
    return Episode(**{**base, **changes})


def bumped(ep: Episode, count: int, at_us: int) -> Episode:
    """The same episode after its count went up (what each Event update does)."""
    return replace(ep, count=count, last_seen_us=at_us, message=f"Back-off {count * 10}s")
