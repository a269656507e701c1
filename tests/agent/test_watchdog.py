"""The agent's watchdog against a real server: a long request captured by itself (once per
cooldown), memory near a cgroup limit read from cgroup v1 and v2 files, a final capture on
SIGTERM of a real process under ``bongsu run`` (the default action kept, and an
application's own handler still run), and the server's side of ``command_id: null``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bongsu.agent import _state
from bongsu.agent._watchdog import Watchdog, cgroup_memory_reader
from bongsu.agent.integrations.wsgi import TracedWSGI


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read())


def _wait(what: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)
    return result


def _captures(api: str, service: str, reason: str) -> list[dict[str, Any]]:
    rows = _get(f"{api}/api/v1/captures?service={service}")["captures"]
    return [c for c in rows if (c.get("summary") or {}).get("trigger", {}).get("reason") == reason]


def test_a_long_request_is_captured_by_itself_once_per_cooldown(
        make_agent: Callable[..., Any], server_factory: Any) -> None:
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, watchdog_slow_request_seconds=1.0,
                       watchdog_check_interval=0.1, watchdog_memory_percent=0.0)
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(60)
        start_response("200 OK", [])
        return [b"done"]

    def call(path: str, query: str) -> None:
        TracedWSGI(app)({"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
                         "wsgi.url_scheme": "http"}, lambda *a: None)

    first = threading.Thread(target=call, args=("/report", "id=7"), name="slow-report")
    first.start()
    try:
        [row] = _wait(lambda: _captures(server.api_url, "test-svc", "long_request"))
        assert row["kind"] == "threads" and row["status"] == "done"
        detail = _get(f"{server.api_url}/api/v1/captures/{row['id']}")["payload"]
        [span] = list(agent.active.items.values())
        trace_id = f"{span.trace_id:032x}"
        assert detail["trigger"]["reason"] == "long_request"
        assert "GET /report?id=7 running" in detail["trigger"]["detail"]
        assert trace_id in detail["trigger"]["detail"]
        assert detail["kind"] == "threads" and detail["format"] == "bongsu.threads/1"
        [serving] = [t for t in detail["threads"] if t["request"]]
        assert serving["name"] == "slow-report"
        assert serving["request"]["url"] == "/report?id=7"
        assert serving["request"]["trace_id"] == trace_id
        assert serving["request"]["elapsed_ms"] >= 1000
        assert any(f["function"] == "app" for f in serving["stack"])

        # Another request runs long within the cooldown (300 s): no second capture, though
        # the watchdog looked at it 30 times more.
        second = threading.Thread(target=call, args=("/export", ""), name="slow-export")
        second.start()
        dog = agent.watchdog
        checks = dog.checks
        _wait(lambda: dog.checks >= checks + 30
              and len(agent.active) == 2
              and min(time.time_ns() - s.start for s in agent.active.items.values()) > 2e9)
        assert len(_captures(server.api_url, "test-svc", "long_request")) == 1
        assert [reason for reason, _, _ in dog.sent] == ["long_request"]
    finally:
        release.set()
        first.join()
    second.join()


def _v1(root: Path, usage: int, inactive: int, limit: int) -> Path:
    group = root / "memory" / "kubepods" / "pod1"
    group.mkdir(parents=True, exist_ok=True)
    (group / "memory.usage_in_bytes").write_text(f"{usage}\n")
    (group / "memory.stat").write_text(
        f"cache 100\nrss {usage}\ninactive_file 7\nhierarchical_memory_limit {limit}\n"
        f"total_cache 100\ntotal_inactive_file {inactive}\n")
    proc = root / "cgroup"
    proc.write_text("12:pids:/kubepods/pod1\n4:memory:/kubepods/pod1\n0::/\n")
    return proc


def _v2(root: Path, current: int, inactive: int, own: str, parent: str) -> Path:
    group = root / "kubepods.slice" / "pod2"
    group.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (group / "memory.current").write_text(f"{current}\n")
    (group / "memory.stat").write_text(f"anon {current}\nfile 10\ninactive_file {inactive}\n")
    (group / "memory.max").write_text(f"{own}\n")
    (root / "kubepods.slice" / "memory.max").write_text(f"{parent}\n")
    proc = root / "cgroup"
    proc.write_text("0::/kubepods.slice/pod2\n")
    return proc


def test_the_cgroup_reader_gives_the_working_set_and_the_effective_limit(tmp_path: Path) -> None:
    v1 = tmp_path / "v1"
    proc = _v1(v1, usage=300 * 2**20, inactive=20 * 2**20, limit=256 * 2**20)
    reader = cgroup_memory_reader(str(v1), str(proc))
    assert reader is not None and reader.version == "v1"
    assert reader() == (280 * 2**20, 256 * 2**20)  # usage less inactive file cache
    _v1(v1, usage=5000, inactive=0, limit=9223372036854771712)  # v1's "unlimited"
    assert reader() == (5000, None)

    v2 = tmp_path / "v2"
    proc = _v2(v2, current=900, inactive=100, own="max", parent="1000")
    reader = cgroup_memory_reader(str(v2), str(proc))
    assert reader is not None and reader.version == "v2"
    assert reader() == (800, 1000)  # the pod's limit is its parent's
    _v2(v2, current=900, inactive=100, own="850", parent="1000")
    assert reader() == (800, 850)  # the own limit, when lower, is read at every check

    (tmp_path / "none").write_text("0::/\n")
    assert cgroup_memory_reader(str(tmp_path / "empty"), str(tmp_path / "none")) is None


def test_memory_near_the_limit_pushes_memory_then_threads_once_per_cooldown(
        make_agent: Callable[..., Any], server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, watchdog=False)
    proc = _v1(tmp_path, usage=100 * 2**20, inactive=0, limit=200 * 2**20)
    reader = cgroup_memory_reader(str(tmp_path), str(proc))
    dog = Watchdog(agent, memory=reader)
    now = time.monotonic()
    assert dog.check(now) == []  # 50 %
    _v1(tmp_path, usage=181 * 2**20, inactive=0, limit=200 * 2**20)
    assert dog.check(now + 1) == ["memory_near_limit"]  # 90.5 %
    assert dog.check(now + 2) == []  # cooldown
    kinds = {c["kind"]: c for c in _captures(server.api_url, "test-svc", "memory_near_limit")}
    assert set(kinds) == {"memory", "threads"}
    memory = _get(f"{server.api_url}/api/v1/captures/{kinds['memory']['id']}")["payload"]
    assert memory["format"] == "bongsu.memory/1"
    assert memory["trigger"]["detail"] == "working set 181 MiB = 90 % of the 200 MiB limit"
    assert memory["process"]["rss_bytes"] > 10 * 2**20
    assert any(t["type"] == "dict" and t["count"] > 100 for t in memory["types"])
    threads = _get(f"{server.api_url}/api/v1/captures/{kinds['threads']['id']}")["payload"]
    assert any(t["name"] == "MainThread" for t in threads["threads"])
    # memory first: it is what the kernel is about to take away
    assert [kind for _, kind, _ in dog.sent] == ["memory", "threads"]
    assert dog.check(now + 1 + agent.settings.watchdog_cooldown_seconds) == ["memory_near_limit"]


_APP = r"""
import os, signal, sys, time

def bye(signum, frame):
    os.write(1, b"app handler ran\n")  # print() could be running when the signal comes
    sys.exit(3)

if sys.argv[1] == "own":
    signal.signal(signal.SIGTERM, bye)

def wait_for_orders():
    print("ready", flush=True)
    while True:
        time.sleep(0.05)

wait_for_orders()
"""


@pytest.mark.parametrize("mode", ["default", "own"])
def test_sigterm_sends_a_final_capture_then_does_what_it_did_before(
        server_factory: Any, tmp_path: Path, mode: str) -> None:
    assert _state.agent is None
    server = server_factory().start()
    script = tmp_path / "orders_worker.py"
    script.write_text(_APP)
    env = {"BONGSU_ENDPOINT": server.otlp_url, "BONGSU_SERVICE_NAME": f"worker-{mode}",
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "bongsu.agent", "run", "--", sys.executable,
                             str(script), mode], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        sent = time.time()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if mode == "default":
        assert code == -signal.SIGTERM  # ended by the signal, as without the agent
    else:
        assert code == 3 and "app handler ran" in out
    rows = _captures(server.api_url, f"worker-{mode}", "sigterm")
    assert sorted(c["kind"] for c in rows) == ["memory", "threads"]
    for row in rows:
        assert row["captured_at"] >= int(sent * 1000)  # stored before the exit code came
    [threads] = [c for c in rows if c["kind"] == "threads"]
    payload = _get(f"{server.api_url}/api/v1/captures/{threads['id']}")["payload"]
    [main] = [t for t in payload["threads"] if t["name"] == "MainThread"]
    functions = [f["function"] for f in main["stack"]]
    assert "wait_for_orders" in functions and "_on_sigterm" in functions
    assert payload["trigger"] == {"reason": "sigterm", "detail": "SIGTERM received",
                                  "rule_id": None}


def _post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_server_stores_a_pushed_capture_whole_and_refuses_a_bad_one(
        server_factory: Any) -> None:
    server = server_factory().start()
    url = f"{server.otlp_url}/v1/bongsu/agent/results"
    doc = {"kind": "threads", "format": "bongsu.threads/1", "thread_count": 0, "threads": [],
           "trigger": {"reason": "long_request", "detail": "GET /x running 31.0 s"}}
    base = {"service": "orders", "instance": "orders-1", "command_id": None, "ok": True}
    status, reply = _post(url, {**base, "kind": "threads", "result": doc})
    assert status == 200 and len(reply["id"]) == 16
    stored = _get(f"{server.api_url}/api/v1/captures/{reply['id']}")
    assert stored["status"] == "done" and stored["instance"] == "orders-1"
    assert stored["payload"] == doc
    assert stored["summary"]["trigger"] == doc["trigger"]
    for body, message in [
        ({**base, "kind": "heap", "result": doc}, "kind: one of files, memory"),
        ({**base, "kind": "threads", "result": [1]}, "result: the capture document"),
        ({**base, "kind": "threads", "result": {**doc, "trigger": {"reason": "bored"}}},
         "result.trigger.reason: one of alert"),
        ({"service": "orders", "command_id": None, "kind": "threads", "result": doc},
         "instance: a non-empty string"),
    ]:
        status, reply = _post(url, body)
        assert status == 400 and message in reply["message"], (status, reply)
    rows = _get(f"{server.api_url}/api/v1/captures?service=orders")["captures"]
    assert len(rows) == 1  # nothing of the refused ones was kept


def test_a_firing_alert_asks_the_instance_for_the_captures_its_rule_names(
        make_agent: Callable[..., Any], server_factory: Any) -> None:
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, control_interval=0.2, watchdog=False)
    instance = agent.resource["service.instance.id"]
    rule = {"name": "test-svc busy", "kind": "threshold", "interval": "10s",
            "spec": {"figure": "tps", "by": "instance", "op": ">", "value": 0,
                     "window_s": 60, "service": "test-svc"}}
    status, reply = _post(f"{server.api_url}/api/v1/rules",
                          {**rule, "captures": ["threads", "heap"]})
    assert status == 400
    assert reply["detail"] == "captures[1]: must be one of threads, memory, network, files, " \
                              "processes, not 'heap'"
    status, created = _post(f"{server.api_url}/api/v1/rules",
                            {**rule, "captures": ["threads", "memory"]})
    assert status == 201 and created["captures"] == ["threads", "memory"]
    assert _get(f"{server.api_url}/api/v1/rules/{created['id']}")["captures"] == [
        "threads", "memory"]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    stop = threading.Event()

    def traffic() -> None:
        while not stop.wait(0.2):
            TracedWSGI(app)({"REQUEST_METHOD": "GET", "PATH_INFO": "/orders",
                             "wsgi.url_scheme": "http"}, lambda *a: None)

    worker = threading.Thread(target=traffic, name="traffic")
    worker.start()
    try:
        rows = _wait(lambda: len(found := _captures(server.api_url, "test-svc", "alert")) == 2
                     and found, 120)
    finally:
        stop.set()
        worker.join()
    assert sorted(r["kind"] for r in rows) == ["memory", "threads"]
    for row in rows:
        assert row["instance"] == instance and row["status"] == "done"
        trigger = _get(f"{server.api_url}/api/v1/captures/{row['id']}")["payload"]["trigger"]
        assert trigger["reason"] == "alert" and trigger["rule_id"] == created["id"]
        assert trigger["detail"].startswith("tps is ") and f"instance={instance}" in trigger[
            "detail"]
    [firing] = [a for a in _get(f"{server.api_url}/api/v1/alerts")["alerts"]
                if a["rule_id"] == created["id"]]
    assert firing["state"] == "firing" and firing["labels"]["instance"] == instance
    [memory] = [r for r in rows if r["kind"] == "memory"]
    payload = _get(f"{server.api_url}/api/v1/captures/{memory['id']}")["payload"]
    assert payload["process"]["rss_bytes"] > 10 * 2**20


_ASGI = r"""
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
"""


def _uvicorn_until_sigterm(tmp_path: Path, agent_env: dict[str, str] | None) -> tuple[int, str]:
    """uvicorn serving one request, then SIGTERM: (exit code, its log)."""
    from .services import free_port, wait_port

    (tmp_path / "shop_asgi.py").write_text(_ASGI)
    port = free_port()
    command = [str(Path(sys.executable).parent / "uvicorn"), "--port", str(port), "shop_asgi:app"]
    if agent_env is not None:
        command = [sys.executable, "-m", "bongsu.agent", "run", "--", *command]
    proc = subprocess.Popen(command, cwd=tmp_path, env={"PATH": "/usr/bin:/bin",
                                                         **(agent_env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_port(port, 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=20) as r:
            assert r.read() == b"ok"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None
    return code, proc.stdout.read()


def test_uvicorn_sets_its_handler_after_the_agent_and_still_gets_the_sigterm(
        server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    plain_code, plain_log = _uvicorn_until_sigterm(tmp_path, None)
    code, log = _uvicorn_until_sigterm(tmp_path, {"BONGSU_ENDPOINT": server.otlp_url,
                                                  "BONGSU_SERVICE_NAME": "shop-asgi"})
    # uvicorn's own graceful shutdown ran, and it ended as it does without the agent.
    assert "Finished server process" in plain_log and "Finished server process" in log, log
    assert code == plain_code
    rows = _captures(server.api_url, "shop-asgi", "sigterm")
    assert sorted(c["kind"] for c in rows) == ["memory", "threads"]
