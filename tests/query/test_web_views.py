"""The web view through the real API over a loaded store: endpoints and status
distributions recomputed here from the HTTP server spans sent."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

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
from query.otlp import CONSUMER, SERVER, SpanSpec, traces_request

SPAN_US = 10 * MINUTE_US
# (service, method, route or None, the span name, statuses to draw from)
ENDPOINTS = (
    ("shop", "GET", "/products/{id}", "GET /products/{id}", (200, 200, 200, 404, 304)),
    ("shop", "POST", "/cart", "POST /cart", (201, 201, 400, 500)),
    ("shop", "GET", None, "GET /healthz", (200,)),  # no route: the span name
    ("api", "GET", "/v1/orders", "GET /v1/orders", (200, 200, 503, 429)),
    ("api", "DELETE", "/v1/orders/{id}", "DELETE /v1/orders/{id}", (204, None)),
)


def endpoint_of(s: SpanSpec) -> str:
    route = s.attrs.get("http.route")
    return f"{s.attrs['http.request.method']} {route}" if route else s.name


def build(t0: int, seed: int, count: int) -> list[SpanSpec]:
    rng = random.Random(seed)
    spans = []
    for k in range(count):
        service, method, route, name, statuses = rng.choice(ENDPOINTS)
        status = rng.choice(statuses)
        attrs: dict[str, object] = {"http.request.method": method}
        if route:
            attrs["http.route"] = route
        if status is not None:
            # Older SDKs send http.status_code; the decoder reads both.
            attrs["http.response.status_code" if k % 3 else "http.status_code"] = status
        spans.append(SpanSpec(
            service, f"{service}-1", rng.getrandbits(126) | 1 << 100, rng.getrandbits(62) | 1,
            0, name, SERVER, t0 + rng.randrange(0, SPAN_US - 1_000_000),
            int(rng.lognormvariate(math.log(30_000), 1.0)) + 1, attrs=attrs))
    # Not HTTP: a queue consumer, which the web view leaves out.
    spans.append(SpanSpec("api", "api-1", 77, 78, 0, "orders process", CONSUMER, t0 + 5, 900))
    return spans


def status_of(s: SpanSpec) -> int | None:
    value = s.attrs.get("http.response.status_code", s.attrs.get("http.status_code"))
    return None if value is None else int(str(value))


def is_error(s: SpanSpec) -> bool:
    code = status_of(s)
    return s.status == 2 or (code is not None and code >= 500)


def status_class(code: int | None) -> str:
    return "other" if code is None else f"{code // 100}xx"


@dataclass
class Loaded:
    t0: int
    spans: list[SpanSpec]
    client: httpx.Client


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Loaded]:
    store = BACKENDS[request.param](tmp_path_factory.mktemp("web") / "t.db")
    t0 = anchor_us()
    spans = build(t0, seed=3, count=1200)
    for k in range(3):
        builder = BatchBuilder()
        builder.add(Signal.TRACES, "default", traces_request(spans[k::3]))
        assert store.load(builder.build(), k + 1)
    other = BatchBuilder()
    other.add(Signal.TRACES, "acme", traces_request(build(t0, 4, 40)))
    assert store.load(other.build(), 4)
    app = create_api(Settings(), store, header_tenants(resolve_tenant),
                     routers=[databases_router(), web_router()])
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield Loaded(t0, [s for s in spans if s.kind == SERVER], client)
    store.close()


def window(t0: int) -> dict[str, int]:
    return {"from": t0 // 1000, "to": (t0 + SPAN_US) // 1000}


@pytest.mark.parametrize("order", ["total", "calls", "p95", "errors"])
def test_endpoints_figures_and_order(loaded: Loaded, order: str) -> None:
    body = loaded.client.get("/api/v1/web/endpoints",
                             params={**window(loaded.t0), "order": order}).json()
    expected: dict[tuple[str, str], list[SpanSpec]] = {}
    for s in loaded.spans:
        expected.setdefault((s.service, endpoint_of(s)), []).append(s)
    rows = body["endpoints"]
    assert {(r["service"], r["endpoint"]) for r in rows} == set(expected)
    assert ("shop", "GET /healthz") in expected
    for r in rows:
        spans = expected[(r["service"], r["endpoint"])]
        durations = [s.duration_us for s in spans]
        codes = [status_of(s) for s in spans]
        assert r["calls"] == len(spans)
        assert r["tps"] == pytest.approx(len(spans) / 600)
        assert r["errors"] == sum(is_error(s) for s in spans)
        assert r["status_4xx"] == sum(c is not None and 400 <= c < 500 for c in codes)
        assert r["status_5xx"] == sum(c is not None and c >= 500 for c in codes)
        assert r["avg_ms"] == pytest.approx(sum(durations) / len(spans) / 1000)
        exact = percentile_us(durations, 0.95)
        assert abs(r["p95_ms"] * 1000 - exact) <= exact * PERCENTILE_ERROR + 1e-6
    key = {"total": "total_ms", "calls": "calls", "p95": "p95_ms", "errors": "errors"}[order]
    values = [r[key] for r in rows]
    assert values == sorted(values, reverse=True)


def test_endpoints_of_one_service_and_limit(loaded: Loaded) -> None:
    body = loaded.client.get("/api/v1/web/endpoints", params={
        **window(loaded.t0), "service": "api", "order": "calls", "limit": 1}).json()
    counts = Counter(endpoint_of(s) for s in loaded.spans if s.service == "api")
    (row,) = body["endpoints"]
    assert (row["endpoint"], row["calls"]) == counts.most_common(1)[0]


def test_status_distribution_per_step(loaded: Loaded) -> None:
    body = loaded.client.get("/api/v1/web/statuses",
                             params={**window(loaded.t0), "step": 120}).json()
    assert body["step"] == 120 and len(body["points"]) == 5
    assert body["total"] == len(loaded.spans)
    assert body["classes"] == {c: sum(status_class(status_of(s)) == c for s in loaded.spans)
                               for c in ("1xx", "2xx", "3xx", "4xx", "5xx", "other")}
    assert body["codes"] == dict(Counter(
        "none" if status_of(s) is None else str(status_of(s)) for s in loaded.spans))
    for p in body["points"]:
        start = p["ts"] * 1000
        inside = [s for s in loaded.spans if start <= s.start_us < start + 120_000_000]
        assert p["total"] == len(inside)
        assert {k: v for k, v in p["classes"].items() if v} == dict(
            Counter(status_class(status_of(s)) for s in inside))
        assert p["codes"] == dict(Counter(
            "none" if status_of(s) is None else str(status_of(s)) for s in inside))


def test_bad_parameters_are_400_naming_them(loaded: Loaded) -> None:
    w = window(loaded.t0)
    for path, params, name in (("/api/v1/web/endpoints", {"order": "x"}, "order:"),
                               ("/api/v1/web/endpoints", {"limit": "0"}, "limit:"),
                               ("/api/v1/web/statuses", {"step": "30"}, "step:"),
                               ("/api/v1/web/statuses", {"level": "x"}, "level:")):
        r = loaded.client.get(path, params={**w, **params})
        assert r.status_code == 400, (path, params)
        assert r.json()["detail"].startswith(name), r.json()


def test_another_tenant_sees_only_its_own(loaded: Loaded) -> None:
    body = loaded.client.get("/api/v1/web/statuses", params=window(loaded.t0),
                             headers={"Authorization": "Bearer acme-key"}).json()
    assert body["total"] == 40


def test_long_windows_read_the_hourly_rollups_with_the_same_figures(loaded: Loaded) -> None:
    hour_ms = 3_600_000
    start = loaded.t0 // 1000 - 3 * hour_ms
    long = {"from": start, "to": start + 10 * hour_ms}
    keep = ("service", "endpoint", "calls", "errors", "status_4xx", "total_ms", "p95_ms")

    def rows(params: dict[str, int]) -> list[tuple[object, ...]]:
        body = loaded.client.get("/api/v1/web/endpoints", params=params).json()
        return sorted(tuple(r[k] for k in keep) for r in body["endpoints"])

    assert rows(long) == rows(window(loaded.t0))
    statuses = loaded.client.get("/api/v1/web/statuses", params=long).json()
    assert statuses["step"] == 3600 and len(statuses["points"]) == 10
    assert statuses["codes"] == dict(Counter(
        "none" if status_of(s) is None else str(status_of(s)) for s in loaded.spans))
