"""The agent against the real server's control channel: active requests during a slow
request, and a thread capture requested through the API and stored by the server."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from bongsu.agent.integrations.wsgi import TracedWSGI


def _call(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def _wait(what: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)
    return result


def test_active_requests_and_thread_capture_end_to_end(make_agent: Callable[..., Any],
                                                         server_factory: Any) -> None:
    server = server_factory().start()
    reference = server.api_url
    agent = make_agent(endpoint=server.otlp_url, active_interval=0.2, control_interval=0.2)
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [])
        return [b"done"]

    def call() -> None:
        TracedWSGI(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/report", "QUERY_STRING": "y=1",
                         "wsgi.url_scheme": "http"}, lambda *a: None)

    worker = threading.Thread(target=call, name="slow-request")
    worker.start()
    try:
        active = _wait(lambda: _call(f"{reference}/api/v1/active-requests?service=test-svc")
                       ["requests"])
        [row] = active
        assert row["url"] == "/report?y=1" and row["thread_name"] == "slow-request"
        assert row["instance"] == agent.resource["service.instance.id"]
        capture = _call(f"{reference}/api/v1/captures", {
            "service": "test-svc", "instance": row["instance"], "kind": "threads"})
        assert capture["status"] == "pending"
        done = _wait(lambda: [c for c in _call(f"{reference}/api/v1/captures")["captures"]
                              if c["status"] == "done"])
        assert done[0]["summary"]["serving_requests"] == 1
        detail = _call(f"{reference}/api/v1/captures/{capture['id']}")
        serving = [t for t in detail["payload"]["threads"] if t["request"]]
        assert serving[0]["name"] == "slow-request"
        assert serving[0]["request"]["trace_id"] == row["trace_id"]
        assert any(f["function"] == "app" for f in serving[0]["stack"])
    finally:
        release.set()
        worker.join()
    assert _wait(lambda: not _call(f"{reference}/api/v1/active-requests")["requests"])


def test_capture_survives_a_restart_and_bad_requests_are_4xx(
    make_agent: Callable[..., Any], server_factory: Any
) -> None:
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, active_interval=0.2, control_interval=0.2)
    instance = agent.resource["service.instance.id"]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    # The agent's sender (and its polling) starts with the process's first span.
    TracedWSGI(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.url_scheme": "http"},
                    lambda *a: None)
    capture = _call(f"{server.api_url}/api/v1/captures",
                    {"service": "test-svc", "instance": instance})
    _wait(lambda: _call(f"{server.api_url}/api/v1/captures/{capture['id']}")["status"] == "done")
    server.stop()
    server.start()
    detail = _call(f"{server.api_url}/api/v1/captures/{capture['id']}")
    assert detail["kind"] == "threads" and detail["payload"]["threads"]

    for body, message in [({"service": "test-svc"}, "instance: required"),
                          ({"service": "s", "instance": "i", "kind": "heap"}, "kind: one of")]:
        try:
            _call(f"{server.api_url}/api/v1/captures", body)
            raise AssertionError("expected a 400")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and message in json.loads(e.read())["detail"]
    status, _, reply = server.post("/v1/bongsu/agent/active-requests", b"[1]",
                                   "application/json")
    assert status == 400 and b"JSON object" in reply
    status, _, _ = server.post("/v1/bongsu/agent/results", json.dumps(
        {"service": "s", "instance": "i", "command_id": "nope"}).encode(), "application/json")
    assert status == 404
