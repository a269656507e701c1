"""The analyzers over real documents: the agent's own capture functions run in this process
(threads and files in a fresh child of their own, ``capture_child.py``, since a long test
session's process holds what earlier tests left) against threads, objects, sockets, files
and child processes the test made, so every
expected figure is what the test itself created (hand-written to docs/captures.md only
where the collector cannot be driven here: tracked locks and served requests)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bongsu import diagnostics
from bongsu.agent._memory import capture_memory
from bongsu.agent._network import capture_network
from bongsu.agent._processes import capture_processes
from bongsu.diagnostics import analyze, compare
from bongsu.diagnostics.files import LIMIT_WARNING
from bongsu.diagnostics.network import CLOSE_WAIT_THRESHOLD

CHILD = Path(__file__).with_name("capture_child.py")


def _child(*args: str) -> dict[str, Any]:
    """What ``capture_child.py`` captured of itself (a process of its own: see there)."""
    done = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True,
                          text=True, timeout=120, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_threads_grouped_by_stack_and_state_biggest_first() -> None:
    taken = _child("threads")
    doc = taken["doc"]
    a = analyze(doc)
    assert a is not None
    assert a["thread_count"] == len(doc["threads"]) == taken["active"]
    group = a["groups"][0]
    assert group["count"] == 6 and group["state"] == "waiting"
    assert {t["name"] for t in group["threads"]} == {f"parked-{i}" for i in range(6)}
    assert any(f["function"] == "park_here" for f in group["stack"])
    naps = [g for g in a["groups"]
            if {t["name"] for t in g["threads"]} == {"napping-0", "napping-1"}]
    assert len(naps) == 1 and naps[0]["state"] == "sleeping"
    assert naps[0]["top"].startswith("nap_here (")  # time.sleep is C: nap_here is innermost
    assert a["states"]["sleeping"] >= 2 and a["states"]["waiting"] >= 6
    hot = {(f["function"], f["threads"]) for f in a["hot_frames"]}
    assert ("park_here", 6) in hot and ("nap_here", 2) in hot
    assert group["app_top"].startswith(f"park_here ({CHILD}:")
    assert naps[0]["app_top"] is None  # nap_here is the innermost already
    assert a["headline"].startswith(f"{a['thread_count']} threads; 6 waiting at wait (")
    assert f" from park_here ({CHILD}:" in a["headline"]


def _thread(ident: int, name: str, state: str, fn: str, holds: list[str],
            waits_for: str | None, request: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": ident, "native_id": ident + 1000, "name": name, "daemon": False,
            "state": state, "stack": [{"file": "app.py", "line": 10, "function": "run",
                                       "code": ""},
                                      {"file": "app.py", "line": 12, "function": fn,
                                       "code": "with b:"}],
            "request": request, "holds": holds, "waits_for": waits_for}


DEADLOCKED: dict[str, Any] = {
    "kind": "threads", "format": "bongsu.threads/1", "captured_at_unix_nano": 1, "pid": 1,
    "host": "h", "runtime": "python 3.11.7",
    "trigger": {"reason": "request", "detail": "", "rule_id": None},
    "thread_count": 3,
    "threads": [
        _thread(1, "worker-1", "waiting_lock", "transfer", ["L1"], "L2",
                {"trace_id": "ab" * 16, "span_id": "cd" * 8, "name": "GET /pay",
                 "route": "/pay", "url": "/pay?id=3", "elapsed_ms": 5012.0}),
        _thread(2, "worker-2", "waiting_lock", "refund", ["L2"], "L1",
                {"trace_id": "ef" * 16, "span_id": "01" * 8, "name": "GET /refund",
                 "route": "/refund", "url": "/refund?id=4", "elapsed_ms": 7000.0}),
        _thread(3, "worker-3", "waiting_lock", "audit", [], "L1"),
    ],
    "tasks": [{"name": "Task-7", "thread_id": 9, "stack": [
        {"file": "svc.py", "line": 5, "function": "handler", "code": ""}],
        "request": {"trace_id": "12" * 16, "span_id": "34" * 8, "name": "GET /a",
                    "route": "/a", "url": "/a", "elapsed_ms": 10.0}}],
    "locks": [{"id": "L1", "type": "Lock", "created_at": "app.py:4", "owner": 1,
               "waiters": [2, 3], "depth": 1},
              {"id": "L2", "type": "RLock", "created_at": "app.py:5", "owner": 2,
               "waiters": [1], "depth": 2}],
    "lock_tracking": True,
}


def test_lock_graph_deadlock_and_the_requests_served() -> None:
    a = analyze(DEADLOCKED)
    assert a is not None
    assert a["lock_graph"] == [
        {"lock": "L1", "type": "Lock", "created_at": "app.py:4", "owner": 1,
         "owner_name": "worker-1",
         "waiters": [{"id": 2, "name": "worker-2"}, {"id": 3, "name": "worker-3"}]},
        {"lock": "L2", "type": "RLock", "created_at": "app.py:5", "owner": 2,
         "owner_name": "worker-2", "waiters": [{"id": 1, "name": "worker-1"}]},
    ]
    assert a["deadlock_analysis"] is True
    [deadlock] = a["deadlocks"]
    assert set(deadlock["threads"]) == {"worker-1", "worker-2"}
    assert set(deadlock["locks"]) == {"L1", "L2"}
    assert "worker-1" in deadlock["message"] and "worker-2" in deadlock["message"]
    # The request each thread (and task) serves, longest first, with its trace id.
    assert [(r["thread"], r["task"], r["trace_id"], r["frame"]) for r in a["requests"]] == [
        ("worker-2", None, "ef" * 16, "refund (app.py:12)"),
        ("worker-1", None, "ab" * 16, "transfer (app.py:12)"),
        (None, "Task-7", "12" * 16, "handler (svc.py:5)"),  # its loop's thread not in the dump
    ]
    assert a["headline"] == "3 threads; 3 serving requests; 1 deadlock"


class Leaky:
    __slots__ = ("a", "b", "c", "d", "e", "f", "g", "h")

    def __init__(self, i: int) -> None:
        self.a = i


def test_memory_compare_puts_the_leaked_type_first() -> None:
    kept: list[Leaky] = []
    base = capture_memory()
    kept.extend(Leaky(i) for i in range(50_000))
    other = capture_memory()
    c = compare(base, other, "memory")
    first = c["suspects"][0]
    assert first["what"] == "type" and first["name"].endswith("Leaky")
    assert first["count_grown"] == 50_000
    assert first["bytes_grown"] == 50_000 * sys.getsizeof(kept[0])
    [row] = [t for t in c["types"] if t["type"] == first["name"]]
    assert row["base_count"] == 0 and row["new"] is True
    assert c["rss_delta_bytes"] == (other["process"]["rss_bytes"]
                                    - base["process"]["rss_bytes"])
    assert c["interval_s"] == pytest.approx(
        (other["captured_at_unix_nano"] - base["captured_at_unix_nano"]) / 1e9, abs=1e-3)
    assert first["name"] in c["headline"] and "+50,000" in c["headline"]
    one = analyze(other)
    assert one is not None
    assert any(t["type"] == first["name"] and t["count"] == 50_000 for t in one["top_types"])
    assert one["rss_bytes"] == other["process"]["rss_bytes"]
    assert c["allocated_blocks_delta"] == (other["python"]["allocated_blocks"]
                                           - base["python"]["allocated_blocks"])


def test_memory_against_the_container_limit() -> None:
    doc = {"kind": "memory", "format": "bongsu.memory/1",
           "types": [{"type": "bytes", "count": 10, "bytes": 3 * 2**20}],
           "gc": {"objects": 10}, "tracemalloc": None,
           "process": {"rss_bytes": 231 * 2**20, "vms_bytes": 0},
           "container": {"cgroup": "v2", "usage_bytes": 240 * 2**20,
                         "limit_bytes": 256 * 2**20, "oom_kills": 1}}
    a = analyze(doc)
    assert a is not None
    assert a["rss_of_limit"] == round(231 / 256, 4)
    assert a["usage_of_limit"] == round(240 / 256, 4) and a["oom_kills"] == 1
    assert a["headline"] == "rss 231 MiB = 90 % of the 256 MiB limit; largest type bytes 3.0 MiB"
    assert a["working_set_bytes"] is None and a["working_set_of_limit"] is None


def test_memory_working_set_against_the_limit() -> None:
    # 250 MiB used of 256, 60 MiB of it inactive page cache: 190 MiB the kernel cannot drop
    doc = {"kind": "memory", "format": "bongsu.memory/1", "types": [], "gc": {"objects": 0},
           "tracemalloc": None, "process": {"rss_bytes": 180 * 2**20, "vms_bytes": 0},
           "container": {"cgroup": "v1", "usage_bytes": 250 * 2**20,
                         "working_set_bytes": 190 * 2**20, "limit_bytes": 256 * 2**20,
                         "oom_kills": 0}}
    a = analyze(doc)
    assert a is not None
    assert a["working_set_bytes"] == 190 * 2**20
    assert a["working_set_of_limit"] == round(190 / 256, 4)
    assert a["usage_of_limit"] == round(250 / 256, 4)
    assert a["headline"] == ("rss 180 MiB = 70 % of the 256 MiB limit; "
                             "working set 190 MiB = 74 % of the limit")


def test_network_close_wait_pile_up_per_endpoint() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted, kept_clients = [], []
    try:
        for i in range(CLOSE_WAIT_THRESHOLD + 2 + 2):
            client = socket.create_connection(("127.0.0.1", port))
            conn, _ = listener.accept()
            accepted.append(conn)
            if i < CLOSE_WAIT_THRESHOLD + 2:
                client.close()  # the peer closes; this side never does: CLOSE_WAIT
            else:
                kept_clients.append(client)
        time.sleep(0.1)
        a = analyze(capture_network())
    finally:
        for s in [*accepted, *kept_clients, listener]:
            s.close()
    assert a is not None
    rows = {(e["endpoint"], e["direction"], e["state"]): e["count"] for e in a["endpoints"]}
    assert rows[(f"127.0.0.1 -> :{port}", "inbound", "CLOSE_WAIT")] == CLOSE_WAIT_THRESHOLD + 2
    assert rows[(f"127.0.0.1 -> :{port}", "inbound", "ESTABLISHED")] == 2
    assert rows[(f"127.0.0.1:{port}", "outbound", "ESTABLISHED")] == 2
    [flag] = [f for f in a["flags"] if f["endpoint"] == f"127.0.0.1 -> :{port}"]
    assert flag["state"] == "CLOSE_WAIT" and flag["count"] == CLOSE_WAIT_THRESHOLD + 2
    assert flag["threshold"] == CLOSE_WAIT_THRESHOLD
    assert {"proto": "tcp", "local": f"127.0.0.1:{port}"} in a["listen"]


def test_network_compare_shows_the_endpoint_that_grew() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []
    try:
        base = capture_network()
        for _ in range(3):
            held.append(socket.create_connection(("127.0.0.1", port)))
            held.append(listener.accept()[0])
        other = capture_network()
    finally:
        for s in [*held, listener]:
            s.close()
    c = compare(base, other, "network")
    deltas = {(e["endpoint"], e["state"]): e["delta"] for e in c["endpoints"]}
    assert deltas[(f"127.0.0.1:{port}", "ESTABLISHED")] == 3
    assert deltas[(f"127.0.0.1 -> :{port}", "ESTABLISHED")] == 3
    assert c["states_delta"]["ESTABLISHED"] == 6


def test_files_by_directory_and_near_the_limit(tmp_path: Path) -> None:
    taken = _child("files", str(tmp_path))
    base, near, soft = taken["base"], taken["near"], taken["soft"]
    count = base["count"]
    a = analyze(base)
    assert a is not None
    dirs = {d["directory"]: d["count"] for d in a["top_directories"]}
    assert dirs[str(tmp_path)] == 5
    assert a["by_type"]["file"] >= 5 and a["count"] == count
    assert a["limit_soft"] == soft and (a["flags"] != []) == (count / soft >= LIMIT_WARNING)
    b = analyze(near)
    assert b is not None
    assert b["limit_soft"] == count + 1
    [flag] = b["flags"]
    assert flag["limit"] == count + 1 and flag["count"] == near["count"]
    assert b["used_of_limit"] == round(near["count"] / (count + 1), 4) >= LIMIT_WARNING
    c = compare(taken["after"], base, "files")  # closed -> then (open): +5 there
    assert {d["directory"]: d["delta"] for d in c["directories"]}[str(tmp_path)] == 5
    assert sorted(p for p in c["new_paths"] if Path(p).parent == tmp_path) == sorted(
        str(tmp_path / f"f{i}.log") for i in range(5))


def test_processes_cpu_and_memory_movers() -> None:
    burn = "import time\nend = time.process_time() + 60\nwhile time.process_time() < end: pass"
    hold = ("import sys, time\nb = bytearray(60 * 2**20)\nb[::4096] = b'x' * len(b[::4096])\n"
            "sys.stdout.write('ok\\n'); sys.stdout.flush(); time.sleep(60)")
    burner = subprocess.Popen([sys.executable, "-c", burn])
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    late = None
    try:
        time.sleep(0.3)
        base = capture_processes()
        late = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE)
        assert late.stdout is not None and late.stdout.readline() == b"ok\n"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the burner needs CPU time on a loaded machine
            other = capture_processes()
            moved = {p["pid"]: p for p in compare(base, other, "processes")["cpu_movers"]}
            if moved.get(burner.pid, {}).get("cpu_seconds_delta", 0) >= 0.5:
                break
            time.sleep(0.2)
        c = compare(base, other, "processes")
    finally:
        for p in (burner, holder, late):
            if p is not None:
                p.kill()
                p.wait()
    moved = {p["pid"]: p for p in c["cpu_movers"]}
    b0 = next(p for p in base["processes"] if p["pid"] == burner.pid)
    b1 = next(p for p in other["processes"] if p["pid"] == burner.pid)
    used = round(b1["cpu_seconds"] - b0["cpu_seconds"], 3)
    assert moved[burner.pid]["cpu_seconds_delta"] == used >= 0.5
    assert moved[burner.pid]["cpu_percent"] == round(
        100 * (b1["cpu_seconds"] - b0["cpu_seconds"]) / c["interval_s"], 1)
    assert c["interval_s"] == pytest.approx(other["uptime_s"] - base["uptime_s"], abs=1e-3)
    assert holder.pid not in moved  # it only sleeps
    started = {p["pid"]: p for p in c["started"]}
    assert late is not None and started[late.pid]["rss_bytes"] >= 60 * 2**20
    assert not any(p["pid"] == late.pid for p in base["processes"])
    a = analyze(other)
    assert a is not None
    assert a["process_count"] == len(other["processes"])
    assert a["by_rss"][0]["rss_bytes"] == max(p["rss_bytes"] for p in other["processes"])


def test_an_analyzer_registered_like_a_third_partys() -> None:
    class Lines:
        kind, format, version = "logs", "acme.logs/1", 1

        def normalize(self, doc: Any) -> dict[str, Any]:
            return dict(doc)

        def analyze(self, doc: Any) -> dict[str, Any]:
            return {"headline": f"{len(doc['lines'])} lines"}

        def compare(self, base: Any, other: Any) -> dict[str, Any]:
            return {"headline": f"{len(other['lines']) - len(base['lines']):+d} lines"}

    diagnostics.register(Lines())
    try:
        assert ("logs", "acme.logs/1") in diagnostics.analyzers()
        doc = {"kind": "logs", "format": "acme.logs/1", "lines": ["a", "b"]}
        assert analyze(doc) == {"headline": "2 lines"}
        assert analyze({**doc, "format": "acme.logs/2"}) is None  # no analyzer for that format
    finally:
        diagnostics._ANALYZERS.pop(("logs", "acme.logs/1"))


HISTOGRAM = """{pid}:
 num     #instances         #bytes  class name (module)
-------------------------------------------------------
   1:         {n}        {b}  Grow$Item
   2:          4000         256000  [B (java.base@17.0.9)
Total         {total_n}        {total_b}
"""


def _histogram(n: int, size: int, at_s: int = 0) -> dict[str, Any]:
    text = HISTOGRAM.format(pid=5150, n=n, b=n * size, total_n=n + 4000,
                            total_b=n * size + 256000)
    return {"kind": "memory", "format": "jvm.class_histogram/1", "pid": 5150,
            "captured_at_unix_nano": 10**18 + at_s * 10**9, "text": text}


def test_a_jvm_histogram_compares_like_a_memory_capture() -> None:
    base, other = _histogram(1000, 24), _histogram(51_000, 24, at_s=60)
    a = analyze(other)
    assert a is not None and a["top_types"][0]["count"] == 51_000
    c = compare(base, other, "memory")
    first = c["suspects"][0]
    assert first["count_grown"] == 50_000 and first["bytes_grown"] == 50_000 * 24
    assert "Item" in first["name"]
    assert c["jvm_heap_delta_bytes"] == 50_000 * 24 and c["rss_delta_bytes"] is None
    assert c["headline"].startswith("heap +1.1 MiB in 60 s; ") and c["interval_s"] == 60
    heap = 51_000 * 24 + 256_000
    assert a["jvm_heap_bytes"] == heap
    assert a["headline"].startswith(f"heap {heap / 2**20:.1f} MiB in 55,000 objects")


def test_compare_refuses_a_format_no_analyzer_reads() -> None:
    from bongsu.errors import InvalidQuery

    with pytest.raises(InvalidQuery, match=r"^other: no analyzer reads format 'acme\.x/1'"):
        compare({"format": "bongsu.memory/1"}, {"format": "acme.x/1"}, "memory")


def test_every_builtin_analyzer_is_registered() -> None:
    assert diagnostics.analyzers() == sorted(
        [(k, f"bongsu.{k}/1") for k in ("threads", "memory", "network", "files", "processes")]
        + [("threads", "jvm.thread_print/1"), ("memory", "jvm.class_histogram/1")])
    assert os.environ.get("BONGSU_TRACK_LOCKS") != "1"  # nothing here patched threading


def _time_wait(n: int) -> dict[str, Any]:
    return {"kind": "network", "format": "bongsu.network/1",
            "listen": [{"proto": "tcp", "local": "0.0.0.0:8080"}],
            "sockets": [{"proto": "tcp", "state": "LISTEN", "local": "0.0.0.0:8080",
                         "remote": "0.0.0.0:0", "inode": 1}]
            + [{"proto": "tcp", "state": "TIME_WAIT", "local": "10.0.0.5:8080",
                "remote": f"10.0.0.{9 + i % 2}:{40000 + i}", "inode": 0} for i in range(n)]}


def test_time_wait_is_flagged_at_its_threshold_in_all() -> None:
    from bongsu.diagnostics.network import TIME_WAIT_THRESHOLD

    below = analyze(_time_wait(TIME_WAIT_THRESHOLD - 1))
    at = analyze(_time_wait(TIME_WAIT_THRESHOLD))
    assert below is not None and at is not None
    assert below["flags"] == []
    [flag] = at["flags"]
    assert (flag["state"], flag["endpoint"], flag["count"], flag["threshold"]) == (
        "TIME_WAIT", None, TIME_WAIT_THRESHOLD, TIME_WAIT_THRESHOLD)
    # Accepted connections group by the peer's host and our port (their ports are ephemeral).
    rows = {(e["endpoint"], e["state"]): e["count"] for e in at["endpoints"]}
    assert rows == {("10.0.0.9 -> :8080", "TIME_WAIT"): TIME_WAIT_THRESHOLD // 2,
                    ("10.0.0.10 -> :8080", "TIME_WAIT"): TIME_WAIT_THRESHOLD // 2}
    assert at["by_state"] == {"LISTEN": 1, "TIME_WAIT": TIME_WAIT_THRESHOLD}


def test_a_reused_pid_is_another_process() -> None:
    def doc(start: float, cpu: float, uptime: float) -> dict[str, Any]:
        return {"kind": "processes", "format": "bongsu.processes/1", "uptime_s": uptime,
                "processes": [{"pid": 7, "ppid": 1, "name": "worker", "cmdline": "worker",
                               "state": "R", "cpu_seconds": cpu, "rss_bytes": 1000,
                               "threads": 1, "start_time_s": start}]}

    same = compare(doc(100.0, 1.0, 200.0), doc(100.0, 3.0, 210.0), "processes")
    assert [(m["pid"], m["cpu_seconds_delta"], m["cpu_percent"]) for m in same["cpu_movers"]
            ] == [(7, 2.0, 20.0)]
    reused = compare(doc(100.0, 1.0, 200.0), doc(205.0, 0.5, 210.0), "processes")
    assert reused["cpu_movers"] == [] and [p["pid"] for p in reused["started"]] == [7]
    assert [p["pid"] for p in reused["gone"]] == [7]
