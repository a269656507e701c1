"""The database view through the real API over a loaded store: figures recomputed here from
the spans sent (grouped by the template each span was made from, not by the normaliser).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.databases import databases_router
from bongsu.api.web_views import web_router
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.settings import Settings
from bongsu.store.rollup import PERCENTILE_ERROR
from query.dataset import MINUTE_US, anchor_us, percentile_us
from query.harness import BACKENDS, resolve_tenant, serve
from query.otlp import CLIENT, SERVER, SpanSpec, kvs, traces_request

SPAN_US = 10 * MINUTE_US
PG = "postgresql:shop@db-1"
MY = "mysql:legacy@db-2"


@dataclass(frozen=True)
class Template:
    db: str
    service: str
    text: str  # what the view must show
    spell: Any  # (rng) -> one raw statement as some SDK would send it


TEMPLATES = (
    Template(PG, "orders", "SELECT * FROM orders WHERE id = ?",
             lambda r: r.choice(("SELECT * FROM orders WHERE id = {}",
                                 "select *  from orders\n where id={}",
                                 "SELECT * FROM orders WHERE id = {} /*traceparent='00-1'*/",
                                 )).format(r.randrange(10**6))),
    Template(PG, "orders", "SELECT id FROM items WHERE order_id IN (?)",
             lambda r: "SELECT id FROM items WHERE order_id IN ({})".format(
                 ", ".join(str(r.randrange(1000)) for _ in range(r.randrange(1, 6))))),
    Template(PG, "billing", "UPDATE orders SET status = ? WHERE id = ?",
             lambda r: r.choice(("UPDATE orders SET status = '{}' WHERE id = {}",
                                 "update orders set status = '{}' where id = {}")).format(
                 r.choice(("paid", "it''s sent")), r.randrange(99))),
    Template(PG, "billing", "INSERT INTO audit (a, b) VALUES (?, ?)",
             lambda r: r.choice(("INSERT INTO audit (a, b) VALUES (?, ?)",
                                 "insert into audit (a,b) values ($1, $2)",
                                 "INSERT INTO audit (a, b) VALUES (%s, %s), (%s, %s)"))),
    Template(MY, "billing", "SELECT name FROM customers WHERE email = ?",
             lambda r: "SELECT name FROM customers WHERE email = "
                       f"'{r.randrange(500)}@x.org'"),
)
WEIGHTS = (40, 25, 15, 12, 8)


@dataclass
class Call:
    template: int
    span: SpanSpec


def build(t0: int, seed: int, calls: int) -> list[Call]:
    rng = random.Random(seed)
    out = []
    for k in range(calls):
        i = rng.choices(range(len(TEMPLATES)), WEIGHTS)[0]
        t = TEMPLATES[i]
        system, rest = t.db.split(":")
        name, address = rest.split("@")
        start = t0 + rng.randrange(0, SPAN_US - 1_000_000)
        duration = int(min(2_000_000, rng.lognormvariate(math.log(2_000 * (i + 1)), 0.8)))
        trace = rng.getrandbits(126) | 1 << 100
        server = SpanSpec(t.service, f"{t.service}-1", trace, rng.getrandbits(62) | 1, 0,
                          "POST /work", SERVER, start, duration + 500)
        out.append(Call(i, SpanSpec(
            t.service, f"{t.service}-1", trace, rng.getrandbits(62) | 1, server.span_id,
            t.text.split()[0], CLIENT, start + 100, duration,
            status=2 if k % 17 == 0 else 0,
            attrs={"db.system": system, "db.name": name, "server.address": address,
                   "db.statement": t.spell(rng)})))
    return out


def connections(t0: int) -> bytes:
    """Pool metrics as the OpenTelemetry semantic conventions name them: billing's pool
    names db-2; orders calls one database only."""
    req = ExportMetricsServiceRequest()
    for service, pool, used in (("orders", "orders-pool", (3, 5, 4)),
                                ("billing", "mysql://db-2/legacy", (1, 2, 2))):
        for instance, extra in ((f"{service}-1", 0), (f"{service}-2", 1)):
            rm = req.resource_metrics.add()
            rm.resource.attributes.extend(kvs({"service.name": service,
                                               "service.instance.id": instance}))
            metric = rm.scope_metrics.add().metrics.add()
            metric.name = "db.client.connection.count"
            for n, value in enumerate(used):
                for state, v in (("used", value + extra), ("idle", 10 - value)):
                    dp = metric.sum.data_points.add()
                    dp.as_int = v
                    dp.time_unix_nano = (t0 + n * MINUTE_US + 5) * 1000
                    dp.attributes.extend(kvs({"db.client.connection.state": state,
                                              "db.client.connection.pool.name": pool}))
    body: bytes = req.SerializeToString()
    return body


@dataclass
class Loaded:
    t0: int
    calls: list[Call]
    client: httpx.Client


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Loaded]:
    store = BACKENDS[request.param](tmp_path_factory.mktemp("db") / "t.db")
    t0 = anchor_us()
    calls = build(t0, seed=5, calls=900)
    lsn = 0
    for k in range(3):  # three loads: rollup rows are partial until compaction
        builder = BatchBuilder()
        builder.add(Signal.TRACES, "default",
                    traces_request([c.span for c in calls[k::3]]))
        if k == 0:
            builder.add(Signal.METRICS, "default", connections(t0))
        lsn += 1
        assert store.load(builder.build(), lsn)
    acme = BatchBuilder()
    acme.add(Signal.TRACES, "acme", traces_request([c.span for c in build(t0, 6, 50)]))
    assert store.load(acme.build(), lsn + 1)
    app = create_api(Settings(), store, header_tenants(resolve_tenant),
                     routers=[databases_router(), web_router()])
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield Loaded(t0, calls, client)
    store.close()


def window(t0: int) -> dict[str, int]:
    return {"from": t0 // 1000, "to": (t0 + SPAN_US) // 1000}


def close(reported: float, exact_us: int) -> bool:
    return abs(reported * 1000 - exact_us) <= exact_us * PERCENTILE_ERROR + 1e-6


def test_databases_list_figures_callers_and_connections(loaded: Loaded) -> None:
    body = loaded.client.get("/api/v1/databases", params=window(loaded.t0)).json()
    got = {d["db"]: d for d in body["databases"]}
    assert set(got) == {PG, MY}
    for db, d in got.items():
        spans = [c.span for c in loaded.calls if TEMPLATES[c.template].db == db]
        durations = [s.duration_us for s in spans]
        assert d["calls"] == len(spans)
        assert d["errors"] == sum(s.status == 2 for s in spans)
        assert d["calls_per_s"] == pytest.approx(len(spans) / 600)
        assert d["avg_ms"] == pytest.approx(sum(durations) / len(spans) / 1000)
        assert d["max_ms"] == max(durations) / 1000
        assert close(d["p95_ms"], percentile_us(durations, 0.95))
        callers: dict[str, int] = {}
        for s in spans:
            callers[s.service] = callers.get(s.service, 0) + 1
        assert {c["service"]: c["calls"] for c in d["callers"]} == callers
    assert (got[PG]["system"], got[PG]["name"], got[PG]["address"], got[PG]["node"]) == (
        "postgresql", "shop", "db-1", "postgresql:shop")
    # billing calls both databases; its pool names db-2. orders calls only db-1.
    assert [(p["service"], p["used"], p["peak"], p["instances"]) for p in got[MY]["pools"]] == [
        ("billing", 2 + 3, 2 + 3, 2)]
    assert got[PG]["connections"] == 4 + 5
    assert got[MY]["connections"] == 5


@pytest.mark.parametrize("order", ["total", "calls", "p95", "errors"])
def test_top_statements_are_one_row_per_shape(loaded: Loaded, order: str) -> None:
    body = loaded.client.get(f"/api/v1/databases/{PG}/statements",
                             params={**window(loaded.t0), "order": order}).json()
    expected = {}
    for i, t in enumerate(TEMPLATES):
        if t.db == PG:
            expected[t.text] = [c.span for c in loaded.calls if c.template == i]
    rows = body["statements"]
    assert sorted(r["text"] for r in rows) == sorted(expected)
    for r in rows:
        spans = expected[r["text"]]
        durations = [s.duration_us for s in spans]
        assert r["calls"] == len(spans)
        assert r["errors"] == sum(s.status == 2 for s in spans)
        assert r["total_ms"] == pytest.approx(sum(durations) / 1000)
        assert close(r["p95_ms"], percentile_us(durations, 0.95))
        slowest = max(spans, key=lambda s: s.duration_us)
        assert r["slow_trace_id"] == f"{slowest.trace_id:032x}"
    key = {"total": "total_ms", "calls": "calls", "p95": "p95_ms", "errors": "errors"}[order]
    values = [r[key] for r in rows]
    assert values == sorted(values, reverse=True)


def test_statement_detail_series_and_slow_traces(loaded: Loaded) -> None:
    listed = loaded.client.get(f"/api/v1/databases/{PG}/statements",
                               params={**window(loaded.t0), "limit": 1}).json()
    (top,) = listed["statements"]
    i = next(k for k, t in enumerate(TEMPLATES) if t.text == top["text"])
    spans = [c.span for c in loaded.calls if c.template == i]
    body = loaded.client.get(f"/api/v1/databases/{PG}/statements/{top['fingerprint']}",
                             params={**window(loaded.t0), "step": 120}).json()
    assert body["text"] == top["text"] and body["step"] == 120
    assert len(body["points"]) == 5
    for p in body["points"]:
        start = p["ts"] * 1000
        inside = [s for s in spans if start <= s.start_us < start + 120_000_000]
        assert p["calls"] == len(inside)
        assert p["total_ms"] == pytest.approx(sum(s.duration_us for s in inside) / 1000)
    slow = body["slow_calls"]
    assert 1 <= len(slow) <= 10
    assert len({s["trace_id"] for s in slow}) == len(slow)
    by_trace = {f"{s.trace_id:032x}": s for s in spans}
    for s in slow:
        assert s["duration_ms"] == by_trace[s["trace_id"]].duration_us / 1000
    assert slow[0]["duration_ms"] == max(s.duration_us for s in spans) / 1000
    assert [s["duration_ms"] for s in slow] == sorted((s["duration_ms"] for s in slow),
                                                      reverse=True)


def test_unknown_database_and_fingerprint_are_404_and_bad_values_400(loaded: Loaded) -> None:
    w = window(loaded.t0)
    c = loaded.client
    missing = c.get("/api/v1/databases/redis:none@x/statements", params=w)
    assert missing.status_code == 404 and missing.json()["detail"].startswith("db:")
    fp = c.get(f"/api/v1/databases/{PG}/statements/0123456789abcdef", params=w)
    assert fp.status_code == 404 and fp.json()["detail"].startswith("fingerprint:")
    bad = c.get(f"/api/v1/databases/{PG}/statements", params={**w, "order": "slowest"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("order:")
    top = c.get(f"/api/v1/databases/{PG}/statements", params=w).json()["statements"][0]
    step = c.get(f"/api/v1/databases/{PG}/statements/{top['fingerprint']}",
                 params={**w, "step": 90})
    assert step.status_code == 400 and step.json()["detail"].startswith("step:")
    assert c.get(f"/api/v1/databases/{PG}/statements/XYZ", params=w).status_code == 400
    assert c.get("/api/v1/databases", params={**w, "db": "x"}).status_code == 400


def test_another_tenant_sees_only_its_own(loaded: Loaded) -> None:
    body = loaded.client.get("/api/v1/databases", params=window(loaded.t0),
                             headers={"Authorization": "Bearer acme-key"}).json()
    assert sum(d["calls"] for d in body["databases"]) == 50
    assert all(d["pools"] == [] for d in body["databases"])


# -- end to end: the official OpenTelemetry SDK into a real server --------------------------

def sdk_spans(t0_ns: int, n: int) -> list[Any]:
    """n checkout requests, each one SELECT with its own id; every fifth answered 404."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "e2e-shop", "service.instance.id": "e2e-shop-1"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("e2e")
    for i in range(n):
        start = t0_ns + i * 10_000_000_000
        root = tracer.start_span("GET /orders/{id}", kind=SpanKind.SERVER, start_time=start,
                                 attributes={"http.request.method": "GET",
                                             "http.route": "/orders/{id}",
                                             "http.response.status_code":
                                                 404 if i % 5 == 0 else 200})
        db = tracer.start_span("SELECT shop.orders", context=trace.set_span_in_context(root),
                               kind=SpanKind.CLIENT, start_time=start + 1_000_000,
                               attributes={"db.system": "postgresql", "db.name": "shop",
                                           "server.address": "db-e2e",
                                           "db.statement":
                                               f"SELECT * FROM orders WHERE id = {i * 7}"})
        db.end(end_time=start + 1_000_000 + (i + 1) * 1_000_000)
        root.end(end_time=start + (i + 3) * 1_000_000)
    return list(memory.get_finished_spans())


@pytest.mark.slow
def test_views_from_a_real_server(server_factory: Any) -> None:
    import time

    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    server = server_factory().start()
    minute_ns = 60_000_000_000
    t0_ns = (time.time_ns() // minute_ns - 10) * minute_ns
    n = 40
    exporter = OTLPSpanExporter(endpoint=server.otlp_url + "/v1/traces")
    assert exporter.export(sdk_spans(t0_ns, n)) is SpanExportResult.SUCCESS
    server.wait_loaded()
    window = f"from={t0_ns // 1_000_000}&to={t0_ns // 1_000_000 + 600_000}"
    status, body = server.api(f"/api/v1/databases?{window}")
    assert status == 200
    (db,) = body["databases"]
    durations = [(i + 1) * 1000 for i in range(n)]
    assert (db["db"], db["calls"], db["callers"][0]["service"]) == (
        "postgresql:shop@db-e2e", n, "e2e-shop")
    assert db["avg_ms"] == pytest.approx(sum(durations) / n / 1000)
    status, body = server.api(f"/api/v1/databases/{db['db']}/statements?{window}")
    (row,) = body["statements"]
    assert (row["text"], row["calls"], row["max_ms"]) == (
        "SELECT * FROM orders WHERE id = ?", n, n)
    assert close(row["p95_ms"], percentile_us(durations, 0.95))
    status, detail = server.api(
        f"/api/v1/databases/{db['db']}/statements/{row['fingerprint']}?{window}")
    assert status == 200 and detail["slow_calls"][0]["duration_ms"] == n
    status, trace_body = server.api(f"/api/v1/traces/{detail['slow_calls'][0]['trace_id']}")
    assert status == 200  # the sample links to a stored trace holding that call
    assert [s["duration_ms"] for s in trace_body["spans"] if s["kind"] == "client"] == [n]
    status, web = server.api(f"/api/v1/web/endpoints?{window}")
    (endpoint,) = web["endpoints"]
    assert (endpoint["endpoint"], endpoint["calls"], endpoint["status_4xx"]) == (
        "GET /orders/{id}", n, n // 5)
    status, statuses = server.api(f"/api/v1/web/statuses?{window}")
    assert statuses["codes"] == {"200": n - n // 5, "404": n // 5}
    assert statuses["classes"]["2xx"] == n - n // 5


# -- the normaliser, against the agent's masking -------------------------------------------

SPELLINGS = [
    ("SELECT * FROM t WHERE id = 42 AND name = 'bo''b'",
     "SELECT * FROM t WHERE id = ? AND name = ?"),
    ("select *\n\tfrom t where id=7 and name=E'x'", "SELECT * FROM t WHERE id = ? AND name = ?"),
    ("SELECT * FROM t WHERE id = $1 AND name = %(name)s /* app=shop,traceparent='00-a' */",
     "SELECT * FROM t WHERE id = ? AND name = ?"),
    ("select a from t where b in (1, 2, 3) -- a comment", "SELECT a FROM t WHERE b IN (?)"),
    ("SELECT a FROM t WHERE b IN (?)", "SELECT a FROM t WHERE b IN (?)"),
    ("insert into t (a, b) values (1, 'x'), (2, 'y');", "INSERT INTO t (a, b) VALUES (?, ?)"),
    ('SELECT "Select".id, x::int FROM "Select" WHERE y >= 0x1F',
     'SELECT "Select".id, x::int FROM "Select" WHERE y >= ?'),
    ("SELECT t2.c1 FROM t2 WHERE v = 1.5e3", "SELECT t2.c1 FROM t2 WHERE v = ?"),
]


@pytest.mark.parametrize(("raw", "text"), SPELLINGS)
def test_statements_normalise_like_the_agent_masks(raw: str, text: str) -> None:
    from bongsu.agent._sql import mask_sql
    from bongsu.store.statements import fingerprint, normalise

    assert normalise(raw) == text
    assert normalise(mask_sql(raw)) == text  # agent-masked text lands on the same row
    assert fingerprint(normalise(raw)) == fingerprint(text)
    assert len(fingerprint(text)) == 16


def test_long_windows_read_the_hourly_rollups_with_the_same_figures(loaded: Loaded) -> None:
    hour_ms = 3_600_000
    start = loaded.t0 // 1000 - 3 * hour_ms
    long = {"from": start, "to": start + 10 * hour_ms}  # over 6 h: the per-hour rollups
    keep = ("calls", "errors", "total_ms", "max_ms", "p50_ms", "p95_ms")

    def figures(params: dict[str, int], path: str, key: str) -> list[tuple[Any, ...]]:
        rows = loaded.client.get(path, params=params).json()[key]
        return sorted(tuple(r.get(k) for k in ("db", "text", *keep)) for r in rows)

    for path, key in (("/api/v1/databases", "databases"),
                      (f"/api/v1/databases/{PG}/statements", "statements")):
        assert figures(long, path, key) == figures(window(loaded.t0), path, key)
    top = loaded.client.get(f"/api/v1/databases/{PG}/statements", params=long).json()
    fp = top["statements"][0]["fingerprint"]
    detail = loaded.client.get(f"/api/v1/databases/{PG}/statements/{fp}", params=long).json()
    assert detail["step"] == 3600 and len(detail["points"]) == 10
    assert sum(p["calls"] for p in detail["points"]) == top["statements"][0]["calls"]
