"""Every query has a time limit (504, never a hang) and a row cap (400)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyarrow as pa
import pytest

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.settings import Settings
from bongsu.store.batch import RESOURCE_SCHEMA, SPAN_SCHEMA, Batch
from query.harness import BACKENDS, resolve_tenant, serve

N = 300_000
T0 = 1_714_561_200_000_000


def many_spans(n: int) -> pa.Table:
    """``n`` server spans of one service over an hour, each with JSON attributes."""
    cols: dict[str, list[object]] = {name: [None] * n for name in SPAN_SCHEMA.names}
    cols.update(
        tenant=["default"] * n, ts_us=[T0 + i * 12_000 for i in range(n)],
        trace_hi=[1] * n, trace_lo=list(range(1, n + 1)), span_id=list(range(1, n + 1)),
        parent_id=[0] * n, service=[f"svc-{i % 5}" for i in range(n)],
        instance=[f"i-{i % 50}" for i in range(n)], name=["GET /"] * n, kind=[2] * n,
        duration_us=[1000 + i % 5000 for i in range(n)], status=[0] * n,
        is_error=[False] * n, attributes=[f'{{"k": "v{i}"}}' for i in range(n)],
    )
    return pa.Table.from_pydict(cols, schema=SPAN_SCHEMA)


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def big_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[object]:
    store = BACKENDS[request.param](Path(tmp_path_factory.mktemp("big")) / "t.db")
    resources = pa.Table.from_pylist(
        [{"tenant": "default", "service": f"svc-{i % 5}", "instance": f"i-{i}",
          "first_us": T0, "last_us": T0 + 3_599_000_000} for i in range(50)],
        schema=RESOURCE_SCHEMA)
    store.load(Batch(spans=many_spans(N), resources=resources), 1)
    yield store
    store.close()


def client_for(store: object, **settings: object) -> Iterator[httpx.Client]:
    app = create_api(Settings(**settings), store, header_tenants(resolve_tenant))  # type: ignore[arg-type]
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


WINDOW = {"from": str(T0 // 1000), "to": str(T0 // 1000 + 3_600_000)}


def test_a_slow_query_is_interrupted_with_504(big_store: object) -> None:
    # Eight JSON look-ups on each of 300k spans: ~40 ms here, eight times the limit.
    slow = {**WINDOW, "attr": [f"k{i}:none" for i in range(8)]}
    for api in client_for(big_store, query_timeout_seconds=0.005):
        started = time.monotonic()
        r = api.get("/api/v1/traces", params=slow)
        assert r.status_code == 504, r.text
        assert r.json() == {"detail": "query ran past its 0.005 s time limit"}
        assert time.monotonic() - started < 5
        assert api.get("/healthz").status_code == 200  # the store still answers


def test_the_same_query_answers_within_a_normal_limit(big_store: object) -> None:
    for api in client_for(big_store):
        r = api.get("/api/v1/traces", params={**WINDOW, "attr": "k:v7"})
        assert r.status_code == 200
        assert [t["trace_id"] for t in r.json()["traces"]] == [f"{1:016x}{8:016x}"]


@pytest.mark.parametrize("path,message", [
    ("/api/v1/services/svc-1/series?step=10",
     "step: 360 points is over the 4-row limit; use a larger step"),
    ("/api/v1/services/svc-1/heatmap?step=60", "step: over the 4-row limit; use a larger step"),
    ("/api/v1/metrics/series?name=x&step=600", "step: more than 4 points; use a larger step"),
    ("/api/v1/services", "the result has more than 4 rows; narrow the query"),
    ("/api/v1/instances", "the result has more than 4 rows; narrow the query"),
    ("/api/v1/traces?limit=5", "limit: must be between 1 and 4, got 5"),
])
def test_row_cap(big_store: object, path: str, message: str) -> None:
    for api in client_for(big_store, query_max_rows=4):
        r = api.get(path + ("&" if "?" in path else "?") + urlencode(WINDOW))
        assert r.status_code == 400, r.text
        assert r.json() == {"detail": message}
        ok = api.get("/api/v1/services/svc-1/series", params={**WINDOW, "step": "900"})
        assert ok.status_code == 200 and len(ok.json()["points"]) == 4
