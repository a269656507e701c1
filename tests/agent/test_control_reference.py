"""The agent against the reference control routes served by a real uvicorn server:
active requests during a slow request, and a thread capture requested through the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bongsu.agent.integrations.wsgi import TracedWSGI

from .services import free_port, wait_port

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
REFERENCE = Path(__file__).with_name("control_reference.py")


@pytest.fixture
def reference() -> Iterator[str]:
    """The reference routes in a uvicorn process of their own (not traced by this agent)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONGSU_")}
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([sys.executable, str(REFERENCE), str(port)], env=env)
    try:
        wait_port(port, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


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
                                                         reference: str) -> None:
    agent = make_agent(endpoint=reference, active_interval=0.2, control_interval=0.2)
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
