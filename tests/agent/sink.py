"""A recording OTLP/HTTP receiver on 127.0.0.1 for agent tests (stdlib server, official
``opentelemetry-proto`` classes to decode), plus the agent control paths."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_KINDS = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}


def value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    return getattr(any_value, kind) if kind else None


def attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs}


class Sink:
    """Records every request; ``status`` makes it answer errors; ``control`` the agent paths."""

    def __init__(self, control: bool = True) -> None:
        self.requests: list[tuple[str, Any, dict[str, str]]] = []
        self.status = 200
        self.retry_after: str | None = None
        self.control = control
        self.commands: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.active: list[dict[str, Any]] = []
        self.polls = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: bytes = b"", ctype: str = "") -> None:
                self.send_response(code)
                if sink.retry_after and code in (429, 503):
                    self.send_header("Retry-After", sink.retry_after)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/v1/bongsu/agent/commands") and sink.control:
                    with sink.lock:
                        sink.polls += 1
                        commands, sink.commands = sink.commands, []
                    if not commands:
                        self._reply(204)
                    else:
                        self._reply(200, json.dumps({"commands": commands}).encode(),
                                    "application/json")
                    return
                self._reply(404)

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                path = self.path.split("?")[0]
                if path.startswith("/v1/bongsu/agent/"):
                    if not sink.control:
                        self._reply(404)
                        return
                    body = json.loads(data)
                    with sink.lock:
                        (sink.results if path.endswith("/results") else sink.active).append(body)
                    self._reply(200, b"{}", "application/json")
                    return
                if path not in _KINDS:
                    self._reply(404)
                    return
                if sink.status != 200:
                    self._reply(sink.status)
                    return
                message = _KINDS[path]()
                message.ParseFromString(data)
                with sink.lock:
                    sink.requests.append((path, message, dict(self.headers)))
                self._reply(200, b"", "application/x-protobuf")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Sink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _messages(self, path: str) -> list[Any]:
        with self.lock:
            return [m for p, m, _ in self.requests if p == path]

    def spans(self) -> list[dict[str, Any]]:
        """Every received span flattened, with its resource attributes under ``resource``."""
        out = []
        for message in self._messages("/v1/traces"):
            for rs in message.resource_spans:
                resource = attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out.append({
                            "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                            "parent_span_id": s.parent_span_id.hex(), "name": s.name,
                            "kind": s.kind, "start": s.start_time_unix_nano,
                            "end": s.end_time_unix_nano, "attrs": attrs(s.attributes),
                            "status": s.status.code, "status_message": s.status.message,
                            "events": [(e.name, attrs(e.attributes)) for e in s.events],
                            "tracestate": s.trace_state, "resource": resource,
                            "scope": ss.scope.name,
                        })
        return out

    def metrics(self) -> list[dict[str, Any]]:
        """Every received metric: name, kind, points (attrs, value or histogram dict)."""
        out = []
        for message in self._messages("/v1/metrics"):
            for rm in message.resource_metrics:
                resource = attrs(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        kind = m.WhichOneof("data")
                        points = []
                        for p in getattr(m, kind).data_points:
                            if kind == "histogram":
                                v: Any = {"count": p.count, "sum": p.sum,
                                          "buckets": list(p.bucket_counts),
                                          "bounds": list(p.explicit_bounds)}
                            else:
                                v = p.as_int if p.WhichOneof("value") == "as_int" else p.as_double
                            points.append((attrs(p.attributes), v))
                        out.append({"name": m.name, "kind": kind, "unit": m.unit,
                                    "points": points, "resource": resource})
        return out

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for message in self._messages("/v1/logs"):
            for rl in message.resource_logs:
                for sl in rl.scope_logs:
                    for r in sl.log_records:
                        out.append({"body": value(r.body), "severity": r.severity_text,
                                    "severity_number": r.severity_number,
                                    "trace_id": r.trace_id.hex(), "span_id": r.span_id.hex(),
                                    "attrs": attrs(r.attributes), "time": r.time_unix_nano})
        return out

    def wait(self, what: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``what()`` until it is truthy; return it (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            result = what()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)
