"""A small shop's telemetry with known figures, and the figures recomputed independently.

Times are in a 10-minute window starting on an hour two hours ago (inside the ingest
timestamp limits), so windows aligned to it are exact.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from query.otlp import CLIENT, CONSUMER, SERVER, LogSpec, PointSpec, SpanSpec

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
SPAN_US = 10 * MINUTE_US  # the data's time range
APDEX_T_MS = {"payments": 100.0}  # per-service override; others use 500 ms
DEFAULT_T_MS = 500.0
# Resource attributes beyond service.name / service.instance.id, per instance id: one case
# of each display-name rule (pod; pod over host; host:pid; host alone; nothing).
RESOURCES: dict[str, dict[str, Any]] = {
    "fe-1": {"k8s.pod.name": "frontend-6b7f9-x2kq"},
    "fe-2": {"k8s.pod.name": "frontend-6b7f9-p8zt", "host.name": "node-a",
             "process.pid": 7},
    "ord-1": {"host.name": "orders-vm", "process.pid": 4242},
    "pay-1": {"host.name": "pay-host"},
}


def anchor_us() -> int:
    """An hour boundary two hours ago: the start of the data's window."""
    now = time.time_ns() // 1000
    return now // HOUR_US * HOUR_US - 2 * HOUR_US


@dataclass
class Shop:
    t0: int
    spans: list[SpanSpec] = field(default_factory=list)
    logs: list[LogSpec] = field(default_factory=list)
    points: list[PointSpec] = field(default_factory=list)


def build_shop(t0: int, seed: int, traces: int = 240) -> Shop:
    """``traces`` checkout traces across frontend -> orders -> payments, a database and an
    external API, with ~5 % errors and a slow report endpoint."""
    rng = random.Random(seed)
    shop = Shop(t0)

    def sid() -> int:
        return rng.getrandbits(63) | 1

    for i in range(traces):
        trace_id = rng.getrandbits(127) | (1 << 100)
        start = t0 + rng.randrange(0, SPAN_US - 5_000_000)
        fe = rng.choice(("fe-1", "fe-2"))
        slow = i % 10 == 0
        name = "GET /report" if slow else "GET /checkout"
        dur = int(rng.uniform(400_000, 2_600_000)) if slow else int(
            min(3_000_000, max(3_000, rng.lognormvariate(math.log(80_000), 0.9)))
        )
        fe_err = rng.random() < 0.04
        root = SpanSpec("frontend", fe, trace_id, sid(), 0, name, SERVER, start, dur,
                        attrs={"http.request.method": "GET", "http.route": name[4:],
                               "http.response.status_code": 500 if fe_err else 200,
                               "enduser.id": f"user-{rng.randrange(23)}",
                               "shop.cart.items": i % 7})
        shop.spans.append(root)
        call = SpanSpec("frontend", fe, trace_id, sid(), root.span_id, "POST orders", CLIENT,
                        start + 100, dur * 6 // 10,
                        attrs={"server.address": "orders", "http.request.method": "POST"})
        orders_err = rng.random() < 0.03
        served = SpanSpec("orders", "ord-1", trace_id, sid(), call.span_id, "POST /orders",
                          SERVER, start + 300, max(1, call.duration_us - 400),
                          status=2 if orders_err else 1,
                          attrs={"http.route": "/orders"},
                          events=[("exception", start + 350,
                                   {"exception.type": "ValueError"})] if orders_err else [])
        db = SpanSpec("orders", "ord-1", trace_id, sid(), served.span_id, "SELECT orders",
                      CLIENT, start + 400, max(1, served.duration_us // 3),
                      attrs={"db.system": "postgresql", "db.name": "orders",
                             "server.address": "db-1",
                             "db.statement": "SELECT * FROM orders WHERE id = ?"})
        shop.spans += [call, served, db]
        if i % 3 == 0:
            shop.spans.append(SpanSpec(
                "frontend", fe, trace_id, sid(), root.span_id, "GET api.stripe.com", CLIENT,
                start + 200, 30_000 + i * 100, status=2 if i % 21 == 0 else 0,
                attrs={"server.address": "api.stripe.com"}))
        if i % 4 == 0:
            pay_call = SpanSpec("orders", "ord-1", trace_id, sid(), served.span_id,
                                "POST payments", CLIENT, start + 500, 150_000,
                                attrs={"server.address": "payments"})
            pay = SpanSpec("payments", rng.choice(("pay-1", "pay-2")), trace_id, sid(),
                           pay_call.span_id, "charge", CONSUMER, start + 600,
                           int(rng.uniform(20_000, 600_000)))
            shop.spans += [pay_call, pay]
        if root.is_error or served.is_error:
            shop.logs.append(LogSpec("frontend", fe, start + 1000, 17, "ERROR",
                                     f"checkout failed for cart {i}", trace_id, root.span_id))
        elif i % 5 == 0:
            shop.logs.append(LogSpec("orders", "ord-1", start + 500, 9, "INFO",
                                     f"Order {i} stored", trace_id, served.span_id))
    for k in range(0, SPAN_US // 10_000_000):
        ts = t0 + k * 10_000_000 + 1
        shop.logs.append(LogSpec("orders", "ord-1", ts, 13, "WARN", f"pool at {k} %"))
        for n, inst in enumerate(("fe-1", "fe-2")):
            shop.points.append(PointSpec("frontend", inst, "process.memory.rss", ts,
                                         value=100e6 + k * 1e6 + n * 5e6))
        shop.points.append(PointSpec("orders", "ord-1", "http.server.duration", ts,
                                     hist=(k + 1, 12.5 * (k + 1) + k)))
    return shop


# -- independent figures --------------------------------------------------------------------

def t_ms(service: str) -> float:
    return APDEX_T_MS.get(service, DEFAULT_T_MS)


def percentile_us(durations: list[int], q: float) -> int:
    """Exact nearest-rank percentile."""
    ordered = sorted(durations)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def figures(spans: list[SpanSpec], seconds: float) -> dict[str, Any]:
    n = len(spans)
    errors = sum(s.is_error for s in spans)
    sat = tol = 0
    for s in spans:
        t = t_ms(s.service) * 1000
        if not s.is_error and s.duration_us <= t:
            sat += 1
        elif not s.is_error and s.duration_us <= 4 * t:
            tol += 1
    durations = [s.duration_us for s in spans]
    return {
        "transactions": n,
        "errors": errors,
        "tps": n / seconds,
        "error_rate": errors / n,
        "avg_ms": sum(durations) / n / 1000,
        "p50_us": percentile_us(durations, 0.50),
        "p95_us": percentile_us(durations, 0.95),
        "p99_us": percentile_us(durations, 0.99),
        "apdex": (sat + tol / 2) / n,
    }


def transactions(spans: Iterable[SpanSpec], start: int, end: int,
                 service: str | None = None) -> list[SpanSpec]:
    return [s for s in spans if s.is_transaction and start <= s.start_us < end
            and (service is None or s.service == service)]


def by(items: Iterable[SpanSpec], key: Callable[[SpanSpec], Any]) -> dict[Any, list[SpanSpec]]:
    groups: dict[Any, list[SpanSpec]] = defaultdict(list)
    for s in items:
        groups[key(s)].append(s)
    return groups


def edges(spans: list[SpanSpec], start: int, end: int, level: str) -> dict[Any, list[int]]:
    """(source, target, kind) -> [calls, errors, sum_us] from client spans in the window."""
    servers = {s.parent_id: s for s in spans if s.kind in (SERVER, CONSUMER) and s.parent_id}
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in spans:
        if c.kind != CLIENT or not start <= c.start_us < end:
            continue
        src = c.service if level == "service" else c.instance
        error = c.is_error
        if "db.system" in c.attrs:
            target = f"{c.attrs['db.system']}:{c.attrs['db.name']}"
            if level == "instance":
                target += f"@{c.attrs['server.address']}"
            kind = "database"
        elif c.span_id in servers:
            server = servers[c.span_id]
            target = server.service if level == "service" else server.instance
            kind = "service"
            error = error or server.is_error
        else:
            target = c.attrs["server.address"]
            kind = "external"
        entry = out[(src, target, kind)]
        entry[0] += 1
        entry[1] += int(error)
        entry[2] += c.duration_us
    return dict(out)


def display_name(instance: str) -> str:
    """What the API should call an instance, from the resource the test sent."""
    sent = RESOURCES.get(instance, {})
    if "k8s.pod.name" in sent:
        return str(sent["k8s.pod.name"])
    if "host.name" in sent and "process.pid" in sent:
        return f"{sent['host.name']}:{sent['process.pid']}"
    return str(sent.get("host.name", instance))


def active_users(spans: list[SpanSpec], end: int, instance: str | None = None
                 ) -> Counter[str]:
    users: dict[str, set[str]] = defaultdict(set)
    for s in spans:
        if instance is not None and s.instance != instance:
            continue
        if end - 5 * MINUTE_US <= s.start_us < end and "enduser.id" in s.attrs:
            users[s.service].add(s.attrs["enduser.id"])
    return Counter({k: len(v) for k, v in users.items()})
