"""OpenTelemetry interop over real HTTP: a service under the OpenTelemetry SDK and one
under Bongsu share one trace, in both directions (W3C traceparent and baggage)."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import bongsu.agent
from bongsu.agent._tracer import CLIENT, SERVER

from .sink import Sink

otel_sdk = pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
from opentelemetry import baggage, context, propagate  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _otel_provider(sink: Sink, name: str) -> Any:
    provider = otel_sdk.TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=sink.url + "/v1/traces")))
    return provider


def _spans(sink: Sink, n: int) -> list[dict[str, Any]]:
    """Spans, less Bongsu's CLIENT spans of the OTel exporter's own POSTs (it uses requests)."""
    def found() -> list[dict[str, Any]]:
        return [s for s in sink.spans()
                if not str(s["attrs"].get("url.full", "")).endswith("/v1/traces")]
    return sink.wait(lambda: len(found()) == n and found())


def test_otel_client_calls_bongsu_service(agent: Any, sink: Sink) -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["baggage"] = bongsu.agent.current_span().baggage  # type: ignore[union-attr]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    provider = _otel_provider(sink, "otel-caller")
    tracer = provider.get_tracer("interop")
    with serve(bongsu.agent.instrument_wsgi(app)) as url:
        token = context.attach(baggage.set_baggage("tenant", "acme"))
        try:
            with tracer.start_as_current_span("call bongsu") as otel_span:
                headers: dict[str, str] = {}
                propagate.inject(headers)
                with urllib.request.urlopen(urllib.request.Request(url + "/x", headers=headers),
                                            timeout=10) as r:
                    assert r.read() == b"ok"
        finally:
            context.detach(token)
    provider.shutdown()
    bongsu.agent.flush()
    spans = _spans(sink, 2)
    otel = next(s for s in spans if s["scope"] != "bongsu.agent")
    ours = next(s for s in spans if s["scope"] == "bongsu.agent")
    ctx = otel_span.get_span_context()
    assert otel["trace_id"] == ours["trace_id"] == f"{ctx.trace_id:032x}"
    assert ours["parent_span_id"] == otel["span_id"] and ours["kind"] == SERVER
    assert seen["baggage"] == {"tenant": "acme"}


def test_bongsu_client_calls_otel_service(agent: Any, sink: Sink) -> None:
    requests = pytest.importorskip("requests")
    wsgi = pytest.importorskip("opentelemetry.instrumentation.wsgi")
    OpenTelemetryMiddleware = wsgi.OpenTelemetryMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    provider = _otel_provider(sink, "otel-service")
    traced = OpenTelemetryMiddleware(app, tracer_provider=provider)
    with serve(traced) as url, bongsu.agent.span("job") as job:
        assert requests.get(url + "/y", timeout=10).text == "ok"
    provider.shutdown()
    bongsu.agent.flush()
    spans = _spans(sink, 3)
    client = next(s for s in spans if s["kind"] == CLIENT)
    otel = next(s for s in spans if s["scope"] != "bongsu.agent")
    assert job is not None and otel["trace_id"] == client["trace_id"] == f"{job.trace_id:032x}"
    assert otel["parent_span_id"] == client["span_id"] and otel["kind"] == SERVER
    assert otel["resource"]["service.name"] == "otel-service"
