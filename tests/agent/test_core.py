from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import bongsu.agent
from bongsu.agent import _state
from bongsu.agent._otlp import (
    SCOPE,
    HistogramPoint,
    LogItem,
    Metric,
    encode_logs,
    encode_metrics,
    encode_traces,
    resource_bytes,
)
from bongsu.agent._propagation import (
    format_baggage,
    format_traceparent,
    parse_baggage,
    parse_traceparent,
)
from bongsu.agent._tracer import CLIENT, SERVER, Span

from .sink import Sink, attrs


def test_import_pulls_no_server_dependency() -> None:
    code = (
        "import sys, bongsu.agent; bongsu.agent.init(enabled=False);"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('google', 'opentelemetry', 'duckdb', 'fastapi', 'starlette', 'pyarrow',"
        " 'sqlalchemy', 'uvicorn', 'psutil', 'httpx', 'requests')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_public_api_is_pinned() -> None:
    assert sorted(bongsu.agent.__all__) == [
        "AgentSettings", "SettingError", "Span", "cli_run", "current_span", "flush", "init",
        "instrument_asgi", "instrument_wsgi", "shutdown", "span",
    ]


def _span(**kw: Any) -> Span:
    s = Span(kw.pop("name", "GET /orders/{id}"), kw.pop("kind", SERVER), kw.pop("attrs", {}))
    s.trace_id, s.span_id, s.parent_id = 0xABC << 100, 0x1234, kw.pop("parent", 0)
    s.start, s.end = 1_700_000_000_000_000_000, 1_700_000_000_250_000_000
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_trace_encoding_decodes_with_official_classes() -> None:
    s = _span(attrs={"http.request.method": "GET", "http.response.status_code": 200,
                     "flag": True, "ratio": 0.5, "neg": -3, "tags": ["a", "b"], "big": 2**40},
              parent=0x99, tracestate="k=v")
    s.record_exception(ValueError("boom"))
    plain = _span(kind=CLIENT, attrs={"flag": 1})
    body = encode_traces(resource_bytes({"service.name": "shop", "process.pid": 7}), SCOPE,
                         [s, plain, s])
    message = ExportTraceServiceRequest.FromString(body)
    rs = message.resource_spans[0]
    assert attrs(rs.resource.attributes) == {"service.name": "shop", "process.pid": 7}
    assert rs.scope_spans[0].scope.name == "bongsu.agent"
    first, second, third = rs.scope_spans[0].spans
    assert first == third
    assert first.trace_id == (0xABC << 100).to_bytes(16, "big")
    assert first.span_id.hex() == "0000000000001234"
    assert first.parent_span_id.hex() == "0000000000000099"
    assert first.trace_state == "k=v"
    assert first.kind == SERVER and second.kind == CLIENT
    assert first.end_time_unix_nano - first.start_time_unix_nano == 250_000_000
    a = attrs(first.attributes)
    assert a["http.response.status_code"] == 200 and a["flag"] is True and a["ratio"] == 0.5
    assert a["neg"] == -3 and a["tags"] == ["a", "b"] and a["big"] == 2**40
    assert a["error.type"] == "ValueError"
    assert attrs(second.attributes) == {"flag": 1}  # not confused with True by the cache
    assert first.status.code == 2 and "boom" in first.status.message
    event = first.events[0]
    assert event.name == "exception"
    ea = attrs(event.attributes)
    assert ea["exception.type"] == "ValueError" and ea["exception.message"] == "boom"
    assert "ValueError: boom" in ea["exception.stacktrace"]


def test_metric_and_log_encoding_decodes() -> None:
    metrics = [
        Metric("g", "gauge", "1", "", [({"a": "x"}, 3), ({}, 1.5)]),
        Metric("s", "sum", "s", "", [({}, 2.5)], monotonic=True),
        Metric("u", "sum", "By", "", [({}, -4)], monotonic=False, delta=True),
        Metric("h", "histogram", "s", "d", [HistogramPoint({"r": "/x"}, 3, 0.6, [1, 2, 0],
                                                           [0.1, 0.5], 0.05, 0.3)]),
    ]
    body = encode_metrics(resource_bytes({"service.name": "s"}), SCOPE, metrics, 10, 20)
    m = ExportMetricsServiceRequest.FromString(body).resource_metrics[0].scope_metrics[0].metrics
    assert [x.name for x in m] == ["g", "s", "u", "h"]
    assert m[0].gauge.data_points[0].as_int == 3 and m[0].gauge.data_points[1].as_double == 1.5
    assert m[1].sum.is_monotonic and m[1].sum.aggregation_temporality == 2
    assert m[2].sum.data_points[0].as_int == -4 and m[2].sum.aggregation_temporality == 1
    h = m[3].histogram.data_points[0]
    assert (h.count, h.sum, list(h.bucket_counts), list(h.explicit_bounds)) == (
        3, 0.6, [1, 2, 0], [0.1, 0.5])
    assert (h.min, h.max, h.start_time_unix_nano, h.time_unix_nano) == (0.05, 0.3, 10, 20)
    assert attrs(h.attributes) == {"r": "/x"}
    logs = encode_logs(resource_bytes({}), SCOPE, [
        LogItem(5, 17, "ERROR", "disk full", {"code.function": "f"}, 0xAB, 0xCD)])
    r = ExportLogsServiceRequest.FromString(logs).resource_logs[0].scope_logs[0].log_records[0]
    assert (r.time_unix_nano, r.severity_number, r.severity_text, r.body.string_value) == (
        5, 17, "ERROR", "disk full")
    assert r.trace_id.hex().endswith("ab") and r.span_id.hex().endswith("cd") and r.flags == 1


@pytest.mark.parametrize(("header", "expected"), [
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     (0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True)),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
     (0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, False)),
    ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
     (0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True)),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", None),
    ("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", None),
    ("garbage", None), ("", None), (None, None),
])
def test_traceparent(header: str | None, expected: Any) -> None:
    parsed = parse_traceparent(header)
    assert parsed == expected
    if parsed and header and header.startswith("00"):
        assert format_traceparent(*parsed) == header


def test_baggage_round_trip() -> None:
    entries = {"user id": "a,b=c", "tenant": "t1"}
    assert parse_baggage(format_baggage(entries)) == entries
    assert parse_baggage("k=v;prop=1, other = x ") == {"k": "v", "other": "x"}


def test_wsgi_server_span_exported(agent: Any, sink: Sink) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]

    traced = bongsu.agent.instrument_wsgi(app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/hello", "QUERY_STRING": "a=1",
               "wsgi.url_scheme": "http", "HTTP_HOST": "example:80",
               "HTTP_TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    assert traced(environ, lambda status, headers, exc_info=None: None) == [b"hi"]
    assert bongsu.agent.flush()
    [span] = sink.spans()
    assert span["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span["parent_span_id"] == "00f067aa0ba902b7"
    assert span["name"] == "GET" and span["kind"] == SERVER
    assert span["attrs"]["url.path"] == "/hello" and span["attrs"]["url.query"] == "a=1"
    assert span["attrs"]["http.response.status_code"] == 200
    r = span["resource"]
    assert r["service.name"] == "test-svc" and r["telemetry.sdk.name"] == "bongsu"
    assert r["telemetry.sdk.language"] == "python" and r["process.pid"] > 0
    assert r["service.instance.id"] and r["host.name"]
    assert len(_state.active or ()) == 0


@pytest.mark.parametrize(("query", "redacted"), [
    ("q=kimchi&page=2", "q=kimchi&page=2"),
    ("user=bo&password=hunter2&x=1", "user=bo&password=REDACTED&x=1"),
    ("access_token=abc.def&X-Goog-Signature=00ff",
     "access_token=REDACTED&X-Goog-Signature=REDACTED"),
    ("author=kim&sessions=3&session_id=9", "author=kim&sessions=3&session_id=REDACTED"),
    ("apiKey=k;sig=s", "apiKey=REDACTED;sig=REDACTED"),
    ("flag", "flag"),
])
def test_query_secrets_redacted(query: str, redacted: str) -> None:
    from bongsu.agent._propagation import redact_query

    assert redact_query(query) == redacted


def test_asgi_middleware_is_a_coroutine_function() -> None:
    # Servers pick ASGI 3 by checking this (uvicorn: iscoroutinefunction(app.__call__)).
    import asyncio
    import inspect

    from bongsu.agent.integrations.asgi import TracedASGI

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    traced = TracedASGI(app)
    assert asyncio.iscoroutinefunction(traced.__call__)
    assert inspect.iscoroutinefunction(traced.__call__)
