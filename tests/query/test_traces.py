"""Trace search, trace detail (tree, attributes, events, logs) and log search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from query import dataset
from query.dataset import MINUTE_US, SPAN_US
from query.harness import Loaded
from query.otlp import SpanSpec


def whole(t0: int) -> dict[str, str]:
    return {"from": str(t0 // 1000), "to": str((t0 + SPAN_US) // 1000)}


def traces_of(spans: list[SpanSpec]) -> dict[int, list[SpanSpec]]:
    out: dict[int, list[SpanSpec]] = {}
    for s in spans:
        out.setdefault(s.trace_id, []).append(s)
    return out


@pytest.mark.parametrize("filters", [
    {"service": "payments"},
    {"service": "frontend", "name": "GET /report"},
    {"status": "error"},
    {"status": "ok", "service": "orders"},
    {"min_ms": "1000"},
    {"min_ms": "100", "max_ms": "200", "service": "frontend"},
    {"attr": "db.system:postgresql", "max_ms": "5"},
    {"attr": "http.response.status_code:500"},
    {"attr": "shop.cart.items:3"},
    {"attr": ["shop.cart.items:3", "enduser.id:user-4"]},
])
def test_search_finds_exactly_the_matching_traces(
    api: httpx.Client, loaded: Loaded, filters: dict[str, Any]
) -> None:
    def match(s: SpanSpec) -> bool:
        attrs = filters.get("attr", [])
        for pair in [attrs] if isinstance(attrs, str) else attrs:
            key, value = pair.split(":", 1)
            if str(s.attrs.get(key)) != value:
                return False
        status = filters.get("status")
        return (
            s.service == filters.get("service", s.service)
            and s.name == filters.get("name", s.name)
            and (status is None or s.is_error == (status == "error"))
            and s.duration_us >= float(filters.get("min_ms", 0)) * 1000
            and s.duration_us <= float(filters.get("max_ms", 1e12)) * 1000
        )

    t0 = loaded.shop.t0
    traces = traces_of(loaded.shop.spans)
    want = {tid for tid, spans in traces.items() if any(map(match, spans))}
    body = api.get("/api/v1/traces", params={**whole(t0), **filters, "limit": "1000"}).json()
    got = body["traces"]
    assert {int(t["trace_id"], 16) for t in got} == want
    assert want, "the filter should match something"
    assert [t["start"] for t in got] == sorted((t["start"] for t in got), reverse=True)
    for t in got:
        spans = traces[int(t["trace_id"], 16)]
        root = next(s for s in spans if s.parent_id == 0)
        assert (t["root_service"], t["root_name"]) == (root.service, root.name)
        assert t["start"] == min(s.start_us for s in spans) / 1000
        assert t["duration_ms"] == (max(s.start_us + s.duration_us for s in spans)
                                    - min(s.start_us for s in spans)) / 1000
        assert t["span_count"] == len(spans)
        assert t["error"] == any(s.is_error for s in spans)


def test_search_limit_keeps_the_newest(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    body = api.get("/api/v1/traces", params={**whole(t0), "limit": "5"}).json()
    assert len(body["traces"]) == 5
    newest = sorted(traces_of(loaded.shop.spans).values(),
                    key=lambda spans: max(s.start_us for s in spans), reverse=True)[:5]
    assert {t["trace_id"] for t in body["traces"]} == {f"{s[0].trace_id:032x}" for s in newest}


def test_trace_detail_is_the_tree_sent(api: httpx.Client, loaded: Loaded) -> None:
    traces = traces_of(loaded.shop.spans)
    trace_id, spans = next((t, s) for t, s in traces.items() if len(s) == 7)
    body = api.get(f"/api/v1/traces/{trace_id:032x}").json()
    assert body["trace_id"] == f"{trace_id:032x}"
    want = sorted(spans, key=lambda s: (s.start_us, s.span_id))
    assert [s["span_id"] for s in body["spans"]] == [f"{s.span_id:016x}" for s in want]
    for got, s in zip(body["spans"], want, strict=True):
        assert got["parent_span_id"] == (f"{s.parent_id:016x}" if s.parent_id else None)
        assert (got["service"], got["instance"], got["name"]) == (s.service, s.instance, s.name)
        assert got["kind"] == {2: "server", 3: "client", 5: "consumer"}[s.kind]
        assert got["start"] == s.start_us / 1000
        assert got["duration_ms"] == s.duration_us / 1000
        assert got["error"] == s.is_error
        assert got["status"] == {0: "unset", 1: "ok", 2: "error"}[s.status]
        expected = {**s.attrs, "k8s.cluster.name": "test-cluster", "k8s.namespace.name": "shop"}
        assert got["attributes"] == expected


def test_trace_detail_has_events_and_logs(api: httpx.Client, loaded: Loaded) -> None:
    failed = next(s for s in loaded.shop.spans if s.events)
    body = api.get(f"/api/v1/traces/{failed.trace_id:032x}").json()
    span = next(s for s in body["spans"] if s["span_id"] == f"{failed.span_id:016x}")
    assert span["events"] == [{"name": "exception", "ts": failed.events[0][1] // 1000,
                               "attributes": {"exception.type": "ValueError"}}]
    assert span["status_message"] == "boom"
    logs = [x for x in loaded.shop.logs if x.trace_id == failed.trace_id]
    assert [(x["body"], x["span_id"]) for x in body["logs"]] == [
        (x.body, f"{x.span_id:016x}") for x in logs]
    assert logs


def test_sdk_trace_round_trips(api: httpx.Client, loaded: Loaded) -> None:
    sent = {s.context.span_id: s for s in loaded.sdk_spans}
    trace_id = loaded.sdk_spans[0].context.trace_id
    body = api.get(f"/api/v1/traces/{trace_id:032x}").json()
    assert len(body["spans"]) == 3
    for got in body["spans"]:
        s = sent[int(got["span_id"], 16)]
        parent = s.parent.span_id if s.parent else None
        assert got["parent_span_id"] == (f"{parent:016x}" if parent else None)
        assert got["name"] == s.name and got["service"] == "sdk-app"
        assert got["duration_ms"] == (s.end_time - s.start_time) // 1000 / 1000
        assert got["attributes"] == dict(s.attributes)
    db = next(g for g in body["spans"] if g["name"] == "SELECT items")
    assert db["kind"] == "client" and db["error"] and db["status_message"] == "database is locked"
    assert db["events"][0]["name"] == "retry" and db["events"][0]["attributes"] == {"attempt": 2}


def test_unknown_trace_is_404(api: httpx.Client) -> None:
    r = api.get("/api/v1/traces/" + "ab" * 16)
    assert r.status_code == 404
    assert r.json() == {"detail": f"trace {'ab' * 16} not found"}


@pytest.mark.parametrize("filters", [
    {}, {"service": "orders"}, {"severity": "warn"}, {"severity": "ERROR"}, {"severity": "10"},
    {"q": "ORDER"}, {"q": "pool", "service": "orders"},
])
def test_log_search(api: httpx.Client, loaded: Loaded, filters: dict[str, str]) -> None:
    t0 = loaded.shop.t0
    minimum = {"warn": 13, "ERROR": 17, "10": 10}.get(filters.get("severity", ""), 0)
    want = [x for x in loaded.shop.logs
            if x.service == filters.get("service", x.service) and x.severity >= minimum
            and filters.get("q", "").lower() in x.body.lower()]
    body = api.get("/api/v1/logs", params={**whole(t0), **filters, "limit": "1000"}).json()
    assert sorted(x["body"] for x in body["logs"]) == sorted(x.body for x in want)
    assert [x["ts"] for x in body["logs"]] == sorted((x["ts"] for x in body["logs"]),
                                                     reverse=True)


def test_logs_by_trace_id(api: httpx.Client, loaded: Loaded) -> None:
    log = next(x for x in loaded.shop.logs if x.trace_id)
    body = api.get("/api/v1/logs", params={**whole(loaded.shop.t0),
                                           "trace_id": f"{log.trace_id:032x}"}).json()
    assert [x["body"] for x in body["logs"]] == [log.body]
    assert body["logs"][0] == {
        "ts": log.ts_us / 1000, "trace_id": f"{log.trace_id:032x}",
        "span_id": f"{log.span_id:016x}", "severity": log.text,
        "severity_number": log.severity, "body": log.body, "service": log.service,
        "instance": log.instance, "instance_name": dataset.display_name(log.instance),
        "attributes": {},
    }


def test_windows_bound_the_search(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    before = {"from": str((t0 - 10 * MINUTE_US) // 1000), "to": str(t0 // 1000)}
    assert api.get("/api/v1/traces", params=before).json() == {"traces": []}
    assert api.get("/api/v1/logs", params=before).json() == {"logs": []}
