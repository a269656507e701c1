"""End to end: real apps under real servers (gunicorn -w 2, uvicorn --workers 2) started
with ``python -m bongsu.agent run``, exporting to a real ``bongsu server`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .services import free_port, wait_port

for _library in ("flask", "gunicorn", "uvicorn", "httpx", "starlette"):
    pytest.importorskip(_library)

APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


class Apps:
    """The back (Flask under gunicorn) and front (Starlette under uvicorn) services."""

    def __init__(self, otlp_url: str, tmp: Path) -> None:
        self.back_port, self.front_port = free_port(), free_port()
        self.tmp = tmp
        env = {**os.environ, "BONGSU_ENDPOINT": otlp_url, "BONGSU_FLUSH_INTERVAL": "0.2",
               "BONGSU_METRICS_INTERVAL": "1", "BONGSU_LOGS_EXPORT": "true",
               "BONGSU_LOGS_LEVEL": "WARNING", "BONGSU_EXPORT_TIMEOUT": "2",
               "BACK_DB": str(tmp / "back.db"),
               "BACK_URL": f"http://127.0.0.1:{self.back_port}"}
        env.pop("PYTHONPATH", None)
        run = [sys.executable, "-m", "bongsu.agent", "run", "--"]
        self.procs = [
            subprocess.Popen(
                [*run, str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.back_port}",
                 "back_flask:app"], cwd=APPS, env={**env, "BONGSU_SERVICE_NAME": "e2e-back"},
                stdout=subprocess.DEVNULL, stderr=open(tmp / "back.log", "wb")),  # noqa: SIM115
            subprocess.Popen(
                [*run, str(BIN / "uvicorn"), "--workers", "2", "--port", str(self.front_port),
                 "--log-level", "warning", "front_starlette:app"], cwd=APPS,
                env={**env, "BONGSU_SERVICE_NAME": "e2e-front"},
                stdout=subprocess.DEVNULL, stderr=open(tmp / "front.log", "wb")),  # noqa: SIM115
        ]
        wait_port(self.back_port, 60)
        wait_port(self.front_port, 60)

    @property
    def front(self) -> str:
        return f"http://127.0.0.1:{self.front_port}"

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def apps_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Apps] = []

    def make(otlp_url: str) -> Apps:
        started.append(Apps(otlp_url, tmp_path))
        return started[-1]

    yield make
    for apps in started:
        apps.stop()


def _wait(what: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = what()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _traces(server: Any, service: str) -> list[dict[str, Any]]:
    status, body = server.api(f"/api/v1/traces?service={service}&limit=100")
    assert status == 200, body
    return list(body["traces"])


def _trace_of(server: Any, path: str) -> dict[str, Any] | None:
    _, body = server.api(f"/api/v1/traces?attr=url.path:{path}")
    return body["traces"][0] if body["traces"] else None


def test_two_services_under_gunicorn_and_uvicorn(server_factory: Any, apps_factory: Any) -> None:
    server = server_factory().start()
    apps = apps_factory(server.otlp_url)
    for i in range(6):  # warm-up: see test_first_requests_of_each_worker_are_stored
        assert _get(f"{apps.front}/checkout/{1000 + i}")[0] == 200
    front_pids, back_pids = set(), set()
    measured = range(24)
    for i in measured:
        status, body = _get(f"{apps.front}/checkout/{i}")
        assert status == 200
        front_pids.add(body["pid"])
        back_pids.add(body["back"]["pid"])
    assert _get(f"{apps.front}/fail")[0] == 502

    def complete() -> list[dict[str, Any]]:
        found = [_trace_of(server, f"/checkout/{i}") for i in measured]
        return [t for t in found if t] if all(t and t["span_count"] == 5 for t in found) else []

    ok = _wait(complete)
    assert {t["root_name"] for t in ok} == {"GET /checkout/{order_id}"}
    instances: dict[str, set[str]] = {"e2e-front": set(), "e2e-back": set()}
    for summary in ok:
        _, detail = server.api(f"/api/v1/traces/{summary['trace_id']}")
        spans = {s["span_id"]: s for s in detail["spans"]}
        for s in spans.values():
            instances[s["service"]].add(s["instance"])
        [root] = [s for s in spans.values() if s["parent_span_id"] is None]
        [call] = [s for s in spans.values() if s["parent_span_id"] == root["span_id"]]
        [served] = [s for s in spans.values() if s["parent_span_id"] == call["span_id"]]
        queries = [s for s in spans.values() if s["parent_span_id"] == served["span_id"]]
        assert root["service"] == "e2e-front" and root["kind"] == "server"
        assert root["attributes"]["http.route"] == "/checkout/{order_id}"
        assert call["kind"] == "client" and call["attributes"]["server.address"] == "127.0.0.1"
        assert served["service"] == "e2e-back" and served["name"] == "GET /orders/{order_id}"
        statements = sorted(q["attributes"]["db.statement"] for q in queries)
        assert statements == ["CREATE TABLE IF NOT EXISTS orders (id INTEGER, note TEXT)",
                              "SELECT id, note FROM orders WHERE id = ? AND note != ?"]
        assert all(q["attributes"]["db.system"] == "sqlite" for q in queries)
        [log] = detail["logs"]
        assert log["span_id"] == served["span_id"] and log["body"].endswith("looked up")
    # each worker process is an instance of its own
    assert len(instances["e2e-front"]) == len(front_pids)
    assert len(instances["e2e-back"]) == len(back_pids)

    failed = _wait(lambda: _trace_of(server, "/fail"))
    assert failed["error"]
    _, detail = server.api(f"/api/v1/traces/{failed['trace_id']}")
    [back_error] = [s for s in detail["spans"] if s["service"] == "e2e-back"]
    assert back_error["error"] and back_error["attributes"]["http.response.status_code"] == 500
    [event] = back_error["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.message"] == "back exploded"

    def names() -> set[str]:
        _, body = server.api("/api/v1/metrics/names")
        items = body.get("names", body) if isinstance(body, dict) else body
        return {n if isinstance(n, str) else n.get("name", "") for n in items}

    wanted = {"http.server.request.duration", "process.memory.usage", "process.cpu.time",
              "cpython.gc.collections", "process.thread.count", "http.server.active_requests"}
    _wait(lambda: wanted <= names())
    assert server.status().get("load_failures", 0) == 0  # every agent payload decodes


def test_first_requests_of_each_worker_are_stored(server_factory: Any,
                                                   apps_factory: Any) -> None:
    # Before the server's commit d8296fb the first spans of fresh workers were acknowledged
    # (200, no partial success) and then lost with a batch the decoder could not build.
    server = server_factory().start()
    apps = apps_factory(server.otlp_url)
    for i in range(4):
        assert _get(f"{apps.front}/checkout/{i}")[0] == 200

    def stored() -> bool:
        found = [_trace_of(server, f"/checkout/{i}") for i in range(4)]
        return all(t and t["span_count"] == 5 for t in found)

    _wait(stored)
    assert server.status().get("load_failures", 0) == 0


def test_server_down_then_up(server_factory: Any, apps_factory: Any) -> None:
    server = server_factory()  # ports chosen, not started yet
    apps = apps_factory(server.otlp_url)
    started = time.perf_counter()
    for i in range(10):
        assert _get(f"{apps.front}/checkout/{i}")[0] == 200
    assert time.perf_counter() - started < 10  # requests are not held up by the agent
    server.start()
    for i in range(10, 15):
        assert _get(f"{apps.front}/checkout/{i}")[0] == 200
    # what was queued while the server was down is delivered once it is up
    _wait(lambda: all(_trace_of(server, f"/orders/{i}") for i in range(15)), timeout=60)
