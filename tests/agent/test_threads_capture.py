"""A real Flask app under ``bongsu run`` deadlocks two request threads; a ``threads``
capture asked for through the server's API (the agent polls for it) shows who holds what
and who waits for it, and the server-side analyzer reports the cycle. Without lock
tracking the same app still shows both threads ``waiting_lock``."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bongsu.diagnostics.locks import deadlocks

from .services import free_port, under_agent

APPS = Path(__file__).parent / "apps"
APP = APPS / "deadlock_app.py"


def _call(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def _wait(what: Callable[[], Any], timeout: float = 60.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)
    return result


def _line(marker: str) -> int:
    for number, text in enumerate(APP.read_text().splitlines(), 1):
        if marker in text:
            return number
    raise AssertionError(marker)


def _get_forever(url: str) -> None:
    # The app is stopped at the end of the test with these still waiting.
    with contextlib.suppress(OSError):
        urllib.request.urlopen(url, timeout=600).read()


def _deadlocked_capture(server_factory: Any, track: bool,
                        gunicorn: bool = False) -> tuple[dict[str, Any], list[Any]]:
    server = server_factory().start()
    port = free_port()
    env = {"APP_PORT": str(port), "BONGSU_TRACK_LOCKS": "1" if track else "0",
           "BONGSU_ACTIVE_INTERVAL": "0.2", "BONGSU_CONTROL_INTERVAL": "0.2"}
    command = [sys.executable, str(APP)]
    if gunicorn:  # a forked worker with request threads; the app imported by the master
        command = [str(Path(sys.executable).parent / "gunicorn"), "--preload", "-w", "1",
                   "-k", "gthread", "--threads", "4", "--graceful-timeout", "1",
                   "-b", f"127.0.0.1:{port}",
                   "deadlock_app:app"]
    with under_agent(command, server.otlp_url, "deadlock-app", str(APPS), port, env):
        base = f"http://127.0.0.1:{port}"
        assert urllib.request.urlopen(f"{base}/ping", timeout=30).read() == b"pong"
        for path in ("/debit", "/credit"):
            threading.Thread(target=_get_forever, args=(base + path,), daemon=True).start()
        active = _wait(lambda: len(rows := _call(
            f"{server.api_url}/api/v1/active-requests?service=deadlock-app")["requests"]) == 2
            and rows)
        capture = _call(f"{server.api_url}/api/v1/captures", {
            "service": "deadlock-app", "instance": active[0]["instance"], "kind": "threads"})
        detail = _wait(lambda: (d := _call(f"{server.api_url}/api/v1/captures/{capture['id']}"))
                       ["status"] == "done" and d)
    return detail["payload"], active


@pytest.mark.parametrize("gunicorn", [False, True], ids=["flask", "gunicorn-gthread"])
def test_deadlock_with_lock_tracking(server_factory: Any, gunicorn: bool) -> None:
    doc, active = _deadlocked_capture(server_factory, track=True, gunicorn=gunicorn)
    assert doc["format"] == "bongsu.threads/1" and doc["kind"] == "threads"
    assert doc["trigger"]["reason"] == "request" and doc["lock_tracking"] is True
    assert doc["runtime"].startswith("cpython 3.") and doc["pid"] > 0
    serving = {t["request"]["url"]: t for t in doc["threads"] if t["request"]}
    debit, credit = serving["/debit"], serving["/credit"]
    assert debit["state"] == credit["state"] == "waiting_lock"
    assert {a["trace_id"] for a in active} == {debit["request"]["trace_id"],
                                                credit["request"]["trace_id"]}
    assert debit["request"]["route"] == "/debit" and debit["request"]["elapsed_ms"] > 0
    # The tracker's own frames are left out: the innermost frame is the app's `with`.
    assert debit["stack"][-1]["line"] == _line("WAIT LEDGER")
    assert credit["stack"][-1]["line"] == _line("WAIT ACCOUNTS")
    assert debit["stack"][-1]["function"] == "debit"

    line_accounts, line_ledger = _line("# LOCK ACCOUNTS"), _line("# LOCK LEDGER")
    locks = {lk["created_at"]: lk for lk in doc["locks"]}
    accounts, ledger = locks[f"{APP}:{line_accounts}"], locks[f"{APP}:{line_ledger}"]
    assert (accounts["type"], ledger["type"]) == ("Lock", "RLock")
    assert accounts["owner"] == debit["id"] and accounts["waiters"] == [credit["id"]]
    assert ledger["owner"] == credit["id"] and ledger["waiters"] == [debit["id"]]
    assert ledger["depth"] == accounts["depth"] == 1
    assert debit["holds"] == [accounts["id"]] and debit["waits_for"] == ledger["id"]
    assert credit["holds"] == [ledger["id"]] and credit["waits_for"] == accounts["id"]

    [cycle] = deadlocks(doc)
    first, second = sorted([debit, credit], key=lambda t: t["name"])
    held = accounts if first is debit else ledger
    wanted = ledger if first is debit else accounts
    assert cycle["threads"] == [first["name"], second["name"]]
    assert cycle["locks"] == [wanted["id"], held["id"]]
    line = {accounts["id"]: line_accounts, ledger["id"]: line_ledger}
    assert cycle["message"] == (
        f"deadlock: thread {first['name']} holds {held['id']} (deadlock_app.py:"
        f"{line[held['id']]}) and waits for {wanted['id']} (deadlock_app.py:"
        f"{line[wanted['id']]}) held by {second['name']}, which waits for {held['id']}")
    # The other threads are not waiting on a lock: the server's loop is in I/O.
    others = {t["state"] for t in doc["threads"] if not t["request"]}
    assert "waiting_lock" not in others and "io" in others


def test_same_deadlock_without_lock_tracking(server_factory: Any) -> None:
    doc, _ = _deadlocked_capture(server_factory, track=False)
    assert doc["lock_tracking"] is False and doc["locks"] == []
    serving = [t for t in doc["threads"] if t["request"]]
    assert sorted(t["request"]["url"] for t in serving) == ["/credit", "/debit"]
    for t in serving:
        assert t["state"] == "waiting_lock"  # inferred from the `with` it sits on
        assert t["holds"] == [] and t["waits_for"] is None
    assert deadlocks(doc) == []

