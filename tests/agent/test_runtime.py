from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import bongsu.agent
from bongsu.agent import _state
from bongsu.agent.integrations import logging as log_integration
from bongsu.agent.integrations.wsgi import TracedWSGI

from .sink import Sink


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or 0.05))
    if path == "/boom":
        raise ValueError("boom")
    logging.getLogger("shop").warning("handled %s", path)
    start_response("500 Oops" if path == "/500" else "200 OK", [])
    return [b"ok"]


def _get(app: Any, path: str, query: str = "") -> None:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               "wsgi.url_scheme": "http"}
    with contextlib.suppress(ValueError):
        app(environ, lambda *a: None)


def test_endpoint_and_runtime_metrics(make_agent: Callable[..., Any], sink: Sink) -> None:
    agent = make_agent(sample_ratio=0.0, keep_errors=False)
    app = TracedWSGI(_app)
    for _ in range(5):
        _get(app, "/a")
    _get(app, "/boom")
    _get(app, "/500")
    sink.wait(lambda: agent.sender.send_metrics(time.monotonic()) or sink.metrics())
    metrics = {m["name"]: m for m in sink.metrics()}
    hist = metrics["http.server.request.duration"]
    assert hist["kind"] == "histogram" and hist["unit"] == "s"
    points = {(p[0].get("error.type", ""), p[0].get("http.response.status_code")): p[1]
              for p in hist["points"]}
    assert points[("", 200)]["count"] == 5  # exact although no trace was sampled
    assert points[("ValueError", 500)]["count"] == 1
    assert points[("500", 500)]["count"] == 1
    assert sink.spans() == []
    for name in ("process.cpu.time", "process.memory.usage", "process.thread.count",
                 "cpython.gc.collections", "http.server.active_requests",
                 "bongsu.python.heap.allocated_blocks", "bongsu.agent.spans"):
        assert name in metrics, name
    rss = metrics["process.memory.usage"]["points"][0][1]
    assert rss > 10_000_000
    created = {p[0]["state"]: p[1] for p in metrics["bongsu.agent.spans"]["points"]}
    assert created["created"] == 7 and created["delivered"] == 0


def test_endpoint_counts_exact_whether_queued_unsampled_or_dropped(
        make_agent: Callable[..., Any], sink: Sink) -> None:
    # Queued server spans are counted by the sender, the others on the request thread.
    agent = make_agent(sample_ratio=0.5, queue_size=20)
    app = TracedWSGI(_app)
    for _ in range(500):
        _get(app, "/a")
    for _ in range(3):
        _get(app, "/boom")
    bongsu.agent.flush()
    assert agent.tracer.dropped > 0
    [hist] = agent.endpoints.collect(delta=False)
    counts = {(p.attrs.get("error.type", ""), p.attrs["http.response.status_code"]): p.count
              for p in hist.points}
    assert counts == {("", 200): 500, ("ValueError", 500): 3}


def test_sampling_keeps_errors_and_slow(make_agent: Callable[..., Any], sink: Sink) -> None:
    make_agent(sample_ratio=0.0, slow_ms=30)
    app = TracedWSGI(_app)
    for _ in range(20):
        _get(app, "/a")
    _get(app, "/boom")
    _get(app, "/slow", "0.05")
    bongsu.agent.flush()
    names = sorted(s["attrs"]["url.path"] for s in sink.spans())
    assert names == ["/boom", "/slow"]


def test_head_ratio_is_roughly_respected(make_agent: Callable[..., Any], sink: Sink) -> None:
    make_agent(sample_ratio=0.25, keep_errors=False)
    app = TracedWSGI(_app)
    for _ in range(400):
        _get(app, "/a")
    bongsu.agent.flush()
    assert 50 < len(sink.spans()) < 150


def test_logs_correlated_and_exported(make_agent: Callable[..., Any], sink: Sink) -> None:
    make_agent(logs_export=True, logs_level="WARNING")
    log_integration.install(logging)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logging.getLogger("shop").addHandler(keep)
    try:
        app = TracedWSGI(_app)
        _get(app, "/a")
        logging.getLogger("shop").warning("outside")
        bongsu.agent.flush()
    finally:
        logging.getLogger("shop").removeHandler(keep)
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, log_integration.OtlpLogHandler):
                root.removeHandler(handler)
    [span] = sink.spans()
    inside, outside = records
    assert inside.trace_id == span["trace_id"] and inside.span_id == span["span_id"]
    assert inside.otelTraceID == span["trace_id"] and inside.otelServiceName == "test-svc"
    assert outside.trace_id == ""
    logs = sink.wait(lambda: len(sink.logs()) >= 2 and sink.logs())
    exported = {r["body"]: r for r in logs}
    assert exported["handled /a"]["trace_id"] == span["trace_id"]
    assert exported["handled /a"]["severity"] == "WARNING"
    assert exported["handled /a"]["severity_number"] == 13
    assert exported["outside"]["trace_id"] == ""


def test_active_requests_and_thread_capture(make_agent: Callable[..., Any], sink: Sink) -> None:
    make_agent(active_interval=0.1, control_interval=0.1)
    app = TracedWSGI(_app)
    worker = threading.Thread(target=_get, args=(app, "/slow", "1.0"), name="req-worker")
    worker.start()
    try:
        report = sink.wait(lambda: [a for a in sink.active if a["requests"]])[-1]
        [request] = report["requests"]
        assert request["url"] == "/slow?1.0" and request["method"] == "GET"
        assert request["thread_name"] == "req-worker" and request["elapsed_ms"] >= 0
        assert report["service"] == "test-svc" and report["pid"] == os.getpid()
        sink.commands.append({"id": "c1", "kind": "capture_threads", "args": {}})
        result = sink.wait(lambda: sink.results)[0]
    finally:
        worker.join()
    assert result["ok"] and result["command_id"] == "c1" and result["kind"] == "capture_threads"
    threads = {t["name"]: t for t in result["result"]["threads"]}
    serving = threads["req-worker"]
    assert serving["request"]["url"] == "/slow?1.0"
    assert any(f["function"] == "_app" for f in serving["stack"])
    assert "MainThread" in threads and threads["MainThread"]["request"] is None


def test_control_quiet_against_plain_collector(make_agent: Callable[..., Any],
                                               sink: Sink) -> None:
    sink.control = False
    agent = make_agent(active_interval=0.05, control_interval=0.05)
    assert agent.sender is None  # nothing traced yet: no thread
    _get(TracedWSGI(_app), "/a")
    time.sleep(0.5)
    assert agent.control.off_until  # both paths answered 404 and are now off
    assert sink.polls == 0 and _state.agent is agent


def test_server_down_then_recovers(make_agent: Callable[..., Any], sink: Sink) -> None:
    sink.status = 503
    sink.retry_after = "0.2"
    agent = make_agent(queue_size=50)
    app = TracedWSGI(_app)
    started = time.perf_counter()
    for _ in range(200):
        _get(app, "/a")
    assert time.perf_counter() - started < 2.0  # never waits for the receiver
    time.sleep(0.3)
    assert agent.tracer.dropped > 0 and agent.sender.traces.failures > 0
    sink.status = 200
    sink.wait(lambda: agent.sender.traces.pending is None and not agent.tracer.queue, 5)
    delivered = len(sink.spans())
    assert delivered == agent.sender.traces.delivered > 0
    assert delivered + agent.tracer.dropped == 200


def test_a_full_batch_sends_whole_batches_and_flush_the_rest(
        make_agent: Callable[..., Any], sink: Sink) -> None:
    agent = make_agent(batch_size=10, flush_interval=3600.0)  # wakes at 4 batches
    app = TracedWSGI(_app)
    for _ in range(45):
        _get(app, "/a")
    sink.wait(lambda: len(sink.spans()) >= 40)
    time.sleep(0.2)
    sizes = [len(m.resource_spans[0].scope_spans[0].spans) for m in sink._messages("/v1/traces")]
    assert sum(sizes) == 40 and all(n % 10 == 0 for n in sizes)  # the last 5 wait
    assert len(agent.tracer.queue) == 5
    assert bongsu.agent.flush(5)
    assert len(sink.spans()) == 45


def test_fork_child_is_its_own_instance(make_agent: Callable[..., Any], sink: Sink) -> None:
    agent = make_agent()
    parent_instance = agent.resource["service.instance.id"]
    pid = os.fork()
    if pid == 0:  # child: trace one request, flush, leave without cleanup
        code = 1
        try:
            _get(TracedWSGI(_app), "/child")
            code = 0 if bongsu.agent.flush(5) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    _get(TracedWSGI(_app), "/parent")
    bongsu.agent.flush()
    spans = {s["attrs"]["url.path"]: s["resource"] for s in sink.spans()}
    assert spans["/parent"]["service.instance.id"] == parent_instance
    assert spans["/child"]["service.instance.id"] != parent_instance
    assert spans["/child"]["process.pid"] == pid


def test_capture_shows_async_request_tasks(agent: Any) -> None:
    import asyncio

    from bongsu.agent._threads import capture_threads
    from bongsu.agent.integrations.asgi import TracedASGI

    started, release = threading.Event(), threading.Event()

    async def slow_endpoint(scope: Any, receive: Any, send: Any) -> None:
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.01)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def serve() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: Any) -> None:
            return None

        scope = {"type": "http", "method": "GET", "path": "/async", "headers": []}
        await TracedASGI(slow_endpoint)(scope, receive, send)

    loop_thread = threading.Thread(target=asyncio.run, args=(serve(),), name="loop")
    loop_thread.start()
    try:
        assert started.wait(5)
        dump = capture_threads(agent.active)
    finally:
        release.set()
        loop_thread.join()
    [task] = dump["tasks"]
    assert task["request"]["url"] == "/async"
    assert any(f["function"] == "slow_endpoint" for f in task["stack"])
