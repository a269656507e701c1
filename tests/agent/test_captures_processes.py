"""Processes captures: a real app under ``bongsu run`` with two children, through the
server's API, each row checked against what ``/proc`` says of it; the 500 cap and the
``stat`` parsing on a ``/proc`` shaped for them."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from bongsu.agent._processes import capture_processes, mask_cmdline, parse_stat

from .captures import APP, running_target

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])


def test_processes_capture_lists_the_app_and_its_children(server_factory: Any,
                                                          tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path) as target:
        ready = target.ready
        pid = ready["pid"]
        threads_before = _threads(pid)
        started = time.perf_counter()
        doc = target.capture("processes")["payload"]
        elapsed = time.perf_counter() - started
        threads_after = _threads(pid)
        stat = _stat(pid)
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    print(f"processes capture round trip {elapsed * 1000:.0f} ms, "
          f"{len(doc['processes'])} processes")
    assert doc["clock_ticks"] == TICKS
    assert uptime - 60 <= doc["uptime_s"] <= uptime
    by_pid = {p["pid"]: p for p in doc["processes"]}
    assert len(by_pid) == len(doc["processes"]) <= 500
    assert [p["pid"] for p in doc["processes"]] == sorted(by_pid)

    app = by_pid[pid]
    assert app["ppid"] == os.getpid()  # `bongsu run` became the app (exec)
    assert app["name"] == Path(sys.executable).name[:15]
    assert app["cmdline"] == f"{sys.executable} {APP}"
    assert app["state"] in ("S", "R")
    # It burnt 0.5 s of CPU at start; the figure is at most what /proc counts just after.
    assert 0.5 <= app["cpu_seconds"] <= (int(stat[11]) + int(stat[12])) / TICKS
    assert 0.8 * rss <= app["rss_bytes"] <= 1.25 * rss
    assert app["threads"] in (threads_before, threads_after) and app["threads"] >= 3
    assert app["start_time_s"] == round(int(stat[19]) / TICKS, 2)

    child = by_pid[ready["child"]]
    assert {k: child[k] for k in ("ppid", "name", "cmdline", "state", "threads")} == {
        "ppid": pid, "name": "sleep", "cmdline": "sleep 600", "state": "S", "threads": 1}
    assert child["cpu_seconds"] < 0.5 and child["start_time_s"] >= app["start_time_s"]
    secretive = by_pid[ready["secretive"]]
    assert secretive["ppid"] == pid
    assert secretive["cmdline"] == (f"{sys.executable} -I -c import time; time.sleep(600) "
                                    "--password *** api_token=***")
    me = by_pid[os.getpid()]  # this test's process is in the same pid namespace
    with open("/proc/self/cmdline", "rb") as f:
        assert me["cmdline"] == " ".join(a.decode() for a in f.read().split(b"\0") if a)


def test_at_most_500_the_largest_and_names_with_parentheses(tmp_path: Path) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in range(2, 702):
        comm = "odd) (name" if pid == 7 else f"worker-{pid}"
        rss_pages = pid * 10
        # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        # utime stime cutime cstime priority nice threads itreal starttime vsize rss ...
        stat = (f"{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 {pid} 50 0 0 20 0 "
                f"{pid % 7 + 1} 0 {1000 + pid} 12345678 {rss_pages} 18446744073709551615 "
                "1 1 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0")
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "stat").write_text(stat + "\n")
        (d / "cmdline").write_bytes(b"worker\0--token\0abc\0db_password=x\0--verbose\0")
    (tmp_path / "self").mkdir()  # not a pid: left out
    (tmp_path / "uptime").write_text("81234.50 160000.00\n")
    doc = capture_processes(proc_root=str(tmp_path))
    rows = doc["processes"]
    assert len(rows) == 500 and doc["uptime_s"] == 81234.5
    assert [r["pid"] for r in rows] == list(range(202, 702))  # the largest by RSS
    row = rows[0]
    assert row == {"pid": 202, "ppid": 1, "name": "worker-202",
                   "cmdline": "worker --token *** db_password=*** --verbose", "state": "S",
                   "cpu_seconds": round((202 + 50) / TICKS, 2), "rss_bytes": 2020 * page,
                   "threads": 202 % 7 + 1, "start_time_s": round(1202 / TICKS, 2)}
    odd = parse_stat((tmp_path / "7" / "stat").read_text())
    assert odd["comm"] == "odd) (name" and odd["ppid"] == 1 and odd["rss"] == 70


def test_mask_cmdline() -> None:
    assert mask_cmdline(["psql", "-h", "db", "--password", "pw", "-U", "app"]) == (
        "psql -h db --password *** -U app")
    assert mask_cmdline(["app", "SECRET_KEY=abc", "--api-key=xyz", "--port=8080"]) == (
        "app SECRET_KEY=*** --api-key=*** --port=8080")
    assert mask_cmdline(["app", "--token", "--verbose"]) == "app --token --verbose"
    assert mask_cmdline([]) == ""
