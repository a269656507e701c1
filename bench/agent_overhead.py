"""Agent overhead per request, side by side in one run: bare, Bongsu, OpenTelemetry.

Each case runs in a fresh Python process (agents patch global state) that calls a minimal
WSGI or ASGI app in-process N times and then waits until its exporter has delivered
everything; the case's cost is the CPU time of *all* the process's threads (the sender /
BatchSpanProcessor thread included) divided by N. Every agent exports OTLP/HTTP to the
same local sink, a separate process that decodes and counts what it receives. The
machine is shared and noisy, so every case runs ``--repeat`` times (3), in rounds over all
cases, and each figure is the median round.

    .venv/bin/python bench/agent_overhead.py            # full run (~2-3 min on 2 cores)
    .venv/bin/python bench/agent_overhead.py --quick    # smaller N, for a smoke test

Cases: ``bare``, ``bongsu`` (all features on: metrics, active-request registry, endpoint
histograms, log correlation), ``otel`` (SDK + instrumentation-wsgi/asgi +
BatchSpanProcessor + OTLP/HTTP exporter; ASGI both with its 3 spans per request and with
the server span only), and one traced sqlite3 ``SELECT 1`` (Bongsu vs OpenTelemetry's
sqlite3/dbapi instrumentation). Also RSS over 100k Bongsu requests, both as fast as one
thread can send them (a flood far above what the sender exports, so the bounded queue
fills) and paced at 2,000 requests/s, with spans delivered / created for each.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------- the sink


def run_sink(port_file: str) -> None:
    """Count spans received on /v1/traces; GET /count returns and resets the count."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    counts = {"spans": 0, "requests": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: bytes = b"") -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/count":
                with lock:
                    body = json.dumps(counts).encode()
                    counts["spans"] = counts["requests"] = 0
                self._reply(200, body)
            else:
                self._reply(404)

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            if self.path == "/v1/traces":
                message = ExportTraceServiceRequest.FromString(data)
                n = sum(len(ss.spans) for rs in message.resource_spans for ss in rs.scope_spans)
                with lock:
                    counts["spans"] += n
                    counts["requests"] += 1
                self._reply(200)
            elif self.path in ("/v1/metrics", "/v1/logs"):
                self._reply(200)
            else:
                self._reply(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


def sink_count(url: str) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(url + "/count", timeout=10) as r:
        return dict(json.loads(r.read()))


# ---------------------------------------------------------------------------- the apps


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _environ(i: int) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": f"/orders/{i % 100}", "QUERY_STRING": "",
            "SERVER_NAME": "bench", "SERVER_PORT": "80", "HTTP_HOST": "bench",
            "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "bench", "wsgi.input": None}


def _scope(i: int) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": f"/orders/{i % 100}",
            "raw_path": f"/orders/{i % 100}".encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"bench"), (b"user-agent", b"bench")],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}


def _start_response(status: str, headers: Any, exc_info: Any = None) -> None:
    return None


# ---------------------------------------------------------------------------- one case


def setup(agent: str, kind: str, endpoint: str) -> tuple[Any, Any, Any]:
    """(app, flush, created) for an agent: ``bare``, ``bongsu``, ``otel``, ``otel1``."""
    if agent == "bare":
        return (wsgi_app if kind == "wsgi" else asgi_app), (lambda: None), (lambda: 0)
    if kind == "sqlite":
        return setup_sqlite(agent, endpoint)
    if agent == "bongsu":
        import bongsu.agent

        flush, created = start_bongsu(endpoint)
        app = (bongsu.agent.instrument_wsgi(wsgi_app) if kind == "wsgi"
               else bongsu.agent.instrument_asgi(asgi_app))
        return app, flush, created
    provider, flush, created = start_otel(endpoint)
    if kind == "wsgi":
        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

        app = OpenTelemetryMiddleware(wsgi_app, tracer_provider=provider)
    else:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as Asgi

        app = Asgi(asgi_app, tracer_provider=provider,
                   exclude_spans=["receive", "send"] if agent == "otel1" else None)
    return app, flush, created


def start_bongsu(endpoint: str) -> tuple[Any, Any]:
    """Bongsu's agent exporting to ``endpoint``: (flush, spans created so far)."""
    import bongsu.agent
    from bongsu.agent import _state

    bongsu.agent.init(endpoint=endpoint, service_name="bench")
    tracer = _state.tracer
    assert tracer is not None
    return (lambda: bongsu.agent.flush(60)), (lambda: tracer.created)


def start_otel(endpoint: str) -> tuple[Any, Any, Any]:
    """The OpenTelemetry SDK with a BatchSpanProcessor and OTLP/HTTP exporter to
    ``endpoint``: (provider, flush, spans created so far)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    created = [0]

    class Counting(BatchSpanProcessor):
        def on_end(self, span: Any) -> None:
            created[0] += 1
            super().on_end(span)

    provider.add_span_processor(Counting(OTLPSpanExporter(endpoint=endpoint + "/v1/traces")))
    return provider, (lambda: provider.force_flush(60_000)), (lambda: created[0])


def setup_sqlite(agent: str, endpoint: str) -> tuple[Any, Any, Any]:
    """Tracing of sqlite3 only (outside any request: each call is a trace of its own)."""
    if agent == "bongsu":
        flush, created = start_bongsu(endpoint)
        return None, flush, created
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    provider, flush, created = start_otel(endpoint)
    SQLite3Instrumentor().instrument(tracer_provider=provider)
    return None, flush, created


def run_case(agent: str, kind: str, n: int, endpoint: str) -> dict[str, Any]:
    app, flush, created = setup(agent, kind, endpoint)
    if kind == "wsgi":
        def loop(count: int) -> None:
            for i in range(count):
                for _ in app(_environ(i), _start_response):
                    pass
    elif kind == "asgi":
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            return None

        async def many(count: int) -> None:
            for i in range(count):
                await app(_scope(i), receive, send)

        def loop(count: int) -> None:
            asyncio.run(many(count))
    else:  # sqlite: one traced SELECT 1 per iteration
        import sqlite3

        conn = sqlite3.connect(":memory:")
        cursor = conn.cursor()

        def loop(count: int) -> None:
            for _ in range(count):
                cursor.execute("SELECT 1")
                cursor.fetchall()
    loop(min(2000, n))  # warm-up (imports, caches, first connection)
    flush()
    created_before = created()
    sink_count(endpoint)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loop(n)
    flush()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    time.sleep(0.2)
    delivered = sink_count(endpoint)["spans"]
    return {"agent": agent, "kind": kind, "n": n,
            "cpu_us": (cpu1 - cpu0) / n * 1e6, "wall_us": (wall1 - wall0) / n * 1e6,
            "created": created() - created_before, "delivered": delivered}


def run_memory(n: int, endpoint: str, rate: float) -> dict[str, Any]:
    """RSS every n/10 Bongsu WSGI requests, at ``rate`` requests/s (0: as fast as possible)."""
    from bongsu.agent._runtime import rss_bytes

    app, flush, created = setup("bongsu", "wsgi", endpoint)
    samples = []
    step = n // 10
    started = time.perf_counter()
    for block in range(10):
        for i in range(block * step, (block + 1) * step):
            for _ in app(_environ(i), _start_response):
                pass
            if rate and i % 20 == 19:  # keep to the schedule, 20 requests at a time
                delay = started + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
        samples.append(rss_bytes()[0] // 1024)
    elapsed = time.perf_counter() - started
    flush()
    time.sleep(0.2)
    return {"rss_kib": samples, "created": created(), "rate": n / elapsed,
            "delivered": sink_count(endpoint)["spans"]}


# ---------------------------------------------------------------------------- the driver

PACED_RATE = 2000.0  # requests/s: a busy real worker, and a rate the sender keeps up with


def child(args: list[str]) -> Any:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         timeout=900, env={k: v for k, v in os.environ.items()
                                           if not k.startswith(("BONGSU_", "OTEL_"))})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds over all cases; each figure is the median round")
    parser.add_argument("--sink", help=argparse.SUPPRESS)
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(args.sink)
        return
    if args.case:
        agent, kind, n, endpoint = args.case
        print(json.dumps(run_case(agent, kind, int(n), endpoint)))
        return
    if args.memory:
        n_mem, endpoint, rate = args.memory
        print(json.dumps(run_memory(int(n_mem), endpoint, float(rate))))
        return

    import tempfile

    port_file = tempfile.mktemp()
    sink = subprocess.Popen([sys.executable, __file__, "--sink", port_file])
    try:
        while not os.path.exists(port_file) or not Path(port_file).read_text():
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{Path(port_file).read_text()}"
        n = 2000 if args.quick else 20000
        n_otel = 1000 if args.quick else 5000
        cases = [(agent, kind) for kind in ("wsgi", "asgi", "sqlite")
                 for agent in ("bare", "bongsu", "otel", "otel1")
                 if agent != "otel1" or kind == "asgi"]
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {case: [] for case in cases}
        for _ in range(args.repeat):  # rounds over every case, so a busy spell hits all
            for agent, kind in cases:
                runs[(agent, kind)].append(child(
                    ["--case", agent, kind, str(n_otel if agent.startswith("otel") else n),
                     endpoint]))
        rows = [median_run(runs[case]) for case in cases]
        n_mem = str(10000 if args.quick else 100000)
        memory = {"flood": child(["--memory", n_mem, endpoint, "0"]),
                  "paced": child(["--memory", n_mem, endpoint, str(PACED_RATE)])}
    finally:
        sink.terminate()
        sink.wait()
        os.unlink(port_file)
    report(rows, memory)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median CPU time; delivered / created summed over all rounds."""
    row = dict(sorted(runs, key=lambda r: r["cpu_us"])[len(runs) // 2])
    row["created"] = sum(r["created"] for r in runs)
    row["delivered"] = sum(r["delivered"] for r in runs)
    row["n"] = sum(r["n"] for r in runs)
    return row


def report(rows: list[dict[str, Any]], memory: dict[str, dict[str, Any]]) -> None:
    bare = {r["kind"]: r["cpu_us"] for r in rows if r["agent"] == "bare"}
    print(f"{'case':<16}{'CPU µs/req':>12}{'overhead µs':>13}{'wall µs':>10}"
          f"{'delivered/created':>20}")
    overhead: dict[tuple[str, str], float] = {}
    for r in rows:
        extra = r["cpu_us"] - bare[r["kind"]]
        overhead[(r["agent"], r["kind"])] = extra
        ratio = f"{r['delivered']}/{r['created']}" if r["agent"] != "bare" else "-"
        print(f"{r['agent'] + ' ' + r['kind']:<16}{r['cpu_us']:>12.1f}{extra:>13.1f}"
              f"{r['wall_us']:>10.1f}{ratio:>20}")
    for agent, kind in (("otel", "wsgi"), ("otel", "asgi"), ("otel1", "asgi"),
                        ("otel", "sqlite")):
        ours, theirs = overhead[("bongsu", kind)], overhead[(agent, kind)]
        times = theirs / max(ours, 0.01)
        verdict = "met" if times >= 20 else f"MISSED: needs <= {theirs / 20:.1f} µs"
        print(f"{kind}: {agent} overhead / Bongsu overhead = {times:.1f}x "
              f"(target 20x: {verdict})")
    for label, m in (("flood (one thread, as fast as it can)", memory["flood"]),
                     ("paced", memory["paced"])):
        rss = [round(k / 1024, 1) for k in m["rss_kib"]]
        print(f"RSS MB after each {m['created'] // len(rss)} of {m['created']} Bongsu WSGI "
              f"requests, {label} at {m['rate']:,.0f} req/s: {rss}; "
              f"delivered/created {m['delivered']}/{m['created']}")


if __name__ == "__main__":
    main()
