"""Memory captures: of a real app under ``bongsu run`` through the server's API (the
50,000 objects it keeps, the line that allocates during a tracemalloc window, its RSS and
its memory cgroup, a real cgroup v1 group with a limit made for the test), the answer of
a capture slower than the server's keep-alive and of one too large to post, and the
cgroup reading on v1 and v2 directories shaped like a Kubernetes node's."""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bongsu.agent
from bongsu.agent import _control, _memory
from bongsu.agent._memory import (
    Cgroup,
    capture_memory,
    container_memory,
    find_cgroup,
    read_cgroup,
    working_set_reader,
)

from .captures import APP, api, running_target

POD = "pod6a5e0b7c-2f1d-4c3e-9a8b-1d2e3f4a5b6c"
CID = "8c1f0e4b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"


class _Basket:  # the shape of the app's Basket: one slot
    __slots__ = ("n",)


def _line(marker: str) -> int:
    with open(APP) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line)


def _status(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith(field + ":")).split()[1]) * 1024


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_memory_capture_counts_the_apps_objects_and_its_cgroup(
        server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path) as target:
        pid = target.ready["pid"]
        started = time.perf_counter()
        doc = target.capture("memory")["payload"]
        elapsed = time.perf_counter() - started
        rss = _status(pid, "VmRSS")
        with open(f"/proc/{pid}/cgroup") as f:
            path = next(line for line in f if ":memory:" in line).strip().split(":", 2)[2]
        with open(f"/sys/fs/cgroup/memory{path}/memory.usage_in_bytes") as f:
            usage = int(f.read())
    print(f"memory capture round trip {elapsed * 1000:.0f} ms, {doc['gc']['walked']} objects")
    by_type = {t["type"]: t for t in doc["types"]}
    assert by_type["__main__.Basket"] == {"type": "__main__.Basket", "count": 50_000,
                                          "bytes": 50_000 * sys.getsizeof(_Basket())}
    assert len(doc["types"]) <= 200
    assert [t["bytes"] for t in doc["types"]] == sorted((t["bytes"] for t in doc["types"]),
                                                        reverse=True)
    assert doc["gc"]["walked"] == doc["gc"]["objects"] >= 50_000  # the whole heap, not cut
    assert len(doc["gc"]["counts"]) == len(doc["gc"]["collections"]) == 3
    assert doc["tracemalloc"] is None  # tracing off, no window asked for
    assert 0.8 * rss <= doc["process"]["rss_bytes"] <= 1.25 * rss
    assert doc["process"]["vms_bytes"] > doc["process"]["rss_bytes"]
    assert doc["python"]["allocated_blocks"] > 50_000
    # This machine runs cgroup v1 (docs FACTS); the group is shared with this test's other
    # processes, so its usage moves: compared loosely with the file read just after.
    container = doc["container"]
    assert container["cgroup"] == "v1" and container["oom_kills"] == 0
    assert container["limit_bytes"] is None  # the machine sets no limit on it
    assert 0.5 * usage <= container["usage_bytes"] <= 2 * usage


def test_tracemalloc_window_names_the_allocating_line(server_factory: Any,
                                                      tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path) as target:
        for body, message in [({"window_s": 61}, "args.window_s"),
                              ({"window_s": "soon"}, "args.window_s"),
                              ({"depth": 3}, "args.depth")]:
            status, reply = target.request("memory", body)
            assert status == 400 and message in reply["detail"], reply
        status, reply = target.request("files", {"window_s": 1})
        assert status == 400 and reply["detail"] == "args.window_s: only for kind memory"

        (target.directory / "leak").touch()
        started = time.perf_counter()
        status, windowed = target.request("memory", {"window_s": 4})
        assert status == 202
        # The window runs aside: the agent answers other commands meanwhile.
        target.capture("files")
        status, meanwhile = api(f"{target.api_url}/api/v1/captures/{windowed['id']}")
        assert meanwhile["status"] == "pending"
        status, busy = target.request("memory", {"window_s": 1})
        doc = target.wait(windowed["id"])["payload"]
        elapsed = time.perf_counter() - started
        refused = target.wait(busy["id"], done=False)
        assert refused["status"] == "failed"
        assert refused["summary"]["error"] == "a capture with a window is already running"
        after = target.capture("memory")["payload"]
    assert elapsed >= 4.0
    traced = doc["tracemalloc"]
    assert traced["on"] is True and traced["window_s"] == 4.0 and traced["skipped"] is None
    top = traced["top"][0]
    assert top["site"] == f"{APP}:{_line('# LEAK LINE')}"
    # 10 kB every 5 ms for 4 s on a loaded machine: tens at least, hundreds at most.
    assert 40 <= top["count"] <= 800 and top["bytes"] >= top["count"] * 10_000
    assert top["stack"][-1] == {"file": APP, "line": _line("# LEAK LINE"), "function": "leak"}
    assert traced["traced_bytes"] >= top["bytes"] and traced["peak_bytes"] >= top["bytes"]
    assert after["tracemalloc"] is None  # the agent started tracing for the window: stopped


def test_tracing_on_from_the_start_shows_what_is_alive(server_factory: Any,
                                                       tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path,
                        env={"PYTHONTRACEMALLOC": "5"}) as target:
        doc = target.capture("memory")["payload"]
    traced = doc["tracemalloc"]
    assert traced["on"] is True and traced["window_s"] is None and traced["skipped"] is None
    sites = {s["site"]: s for s in traced["top"]}
    baskets = sites[f"{APP}:{_line('Basket(i) for i')}"]
    assert baskets["count"] >= 50_000
    assert baskets["bytes"] >= 50_000 * sys.getsizeof(_Basket())
    assert baskets["stack"][-1]["function"] == "main"


def _wait_answered(api_url: str, capture_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, detail = api(f"{api_url}/api/v1/captures/{capture_id}")
        assert status == 200, detail
        if detail["status"] != "pending":
            return dict(detail)
        assert time.monotonic() < deadline, f"capture {capture_id} still pending"
        time.sleep(0.1)


def test_an_answer_slower_than_the_servers_keep_alive_is_not_lost(
        make_agent: Callable[..., Any], server_factory: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The capture runs on the sender thread, whose kept-alive connection sits idle
    # meanwhile; the server (uvicorn) closes it after 5 s, and a memory capture of an app
    # traced from its start took 4-5 s here: the answer then went on the closed
    # connection, failed (BrokenPipeError) and was dropped, the capture pending for good.
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, control_interval=0.2)
    with bongsu.agent.span("boot"):  # the sender (and its polling) starts with a span
        pass
    keep = [_Basket() for _ in range(20_000)]

    def slow(agent: Any, args: dict[str, Any]) -> dict[str, Any]:
        time.sleep(7.0)  # past the server's 5 s keep-alive, with room on a loaded machine
        return capture_memory(args)

    monkeypatch.setitem(_control.COMMANDS, "capture_memory", slow)
    status, accepted = api(f"{server.api_url}/api/v1/captures", {
        "service": "test-svc", "instance": agent.resource["service.instance.id"],
        "kind": "memory"})
    assert status == 202, accepted
    started = time.monotonic()
    detail = _wait_answered(server.api_url, accepted["id"], 60)
    elapsed = time.monotonic() - started
    print(f"answered {elapsed:.1f} s after the request")
    assert detail["status"] == "done", detail
    assert elapsed >= 7.0
    by_type = {t["type"]: t for t in detail["payload"]["types"]}
    assert by_type[f"{__name__}._Basket"]["count"] == len(keep)
    assert agent.control.unsent == deque() and agent.control.results_dropped == 0


def test_an_answer_too_large_to_post_fails_the_capture(
        make_agent: Callable[..., Any], server_factory: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = server_factory().start()
    agent = make_agent(endpoint=server.otlp_url, control_interval=0.2)
    with bongsu.agent.span("boot"):
        pass

    def huge(agent: Any, args: dict[str, Any]) -> dict[str, Any]:
        doc = capture_memory(args)
        doc["types"] = [{"type": f"t{i}", "count": i, "bytes": i} for i in range(150_000)]
        return doc  # ~6 MiB of JSON: past the server's 4 MiB body limit

    monkeypatch.setitem(_control.COMMANDS, "capture_memory", huge)
    status, accepted = api(f"{server.api_url}/api/v1/captures", {
        "service": "test-svc", "instance": agent.resource["service.instance.id"],
        "kind": "memory"})
    assert status == 202, accepted
    detail = _wait_answered(server.api_url, accepted["id"], 60)
    assert detail["status"] == "failed", detail
    assert detail["summary"]["error"].startswith(
        "the server refused the capture: HTTP 413"), detail["summary"]
    assert "the limit of 4194304 bytes" in detail["summary"]["error"]


def test_memory_capture_reads_a_limited_cgroup_v1_group(server_factory: Any,
                                                        tmp_path: Path) -> None:
    # A real memory group with a limit, as the kernel of this machine keeps it (root only).
    group = Path(f"/sys/fs/cgroup/memory/bongsu-test-{uuid.uuid4().hex[:8]}")
    if os.geteuid() != 0:
        pytest.fail("this test makes a memory cgroup: it runs as root")
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(512 << 20))
        server = server_factory().start()
        with running_target(server.api_url, server.otlp_url, tmp_path) as target:
            pid = target.ready["pid"]
            with open(f"/proc/{pid}/cgroup") as f:
                home = next(line for line in f if ":memory:" in line).strip().split(":", 2)[2]
            (group / "cgroup.procs").write_text(str(pid))
            assert container_memory(f"/proc/{pid}") is not None
            doc = target.capture("memory")["payload"]
            usage = int((group / "memory.usage_in_bytes").read_text())
            Path(f"/sys/fs/cgroup/memory{home}/cgroup.procs").write_text(str(pid))  # back
    finally:
        group.rmdir()
    container = doc["container"]
    assert container["cgroup"] == "v1" and container["limit_bytes"] == 512 << 20
    assert container["oom_kills"] == 0
    # Only what the app allocated since the move is charged to the new group.
    assert 0 < container["usage_bytes"] <= 512 << 20
    assert container["usage_bytes"] <= 4 * usage + (8 << 20)


def test_this_machines_cgroup_is_found() -> None:
    with open("/proc/self/cgroup") as f:
        path = next(line for line in f if ":memory:" in line).strip().split(":", 2)[2]
    found = find_cgroup()
    assert found == Cgroup("v1", os.path.normpath(f"/sys/fs/cgroup/memory{path}"))
    figures = read_cgroup(found)
    assert figures["cgroup"] == "v1" and figures["usage_bytes"] > 0
    assert 0 < figures["working_set_bytes"] <= figures["usage_bytes"] + (64 << 20)
    usage, limit = container_memory() or (0, 0)
    assert usage > 0 and limit == figures["limit_bytes"]
    reader = working_set_reader(found)  # the watchdog's: what it reads every 0.5 s
    started = time.perf_counter()
    for _ in range(1000):
        working = reader()
    per_call_us = (time.perf_counter() - started) * 1000
    print(f"working set reader {per_call_us:.1f} µs a call")
    assert working is not None and working[0] > 0
    assert per_call_us < 2000  # ~50 µs here; generous for a loaded machine
    started = time.perf_counter()
    for _ in range(100):
        container_memory()
    print(f"container_memory {(time.perf_counter() - started) * 10:.3f} ms a call")


def _proc(root: Path, cgroup: str, mountinfo: str) -> str:
    _write(root / "proc" / "cgroup", cgroup)
    _write(root / "proc" / "mountinfo", mountinfo)
    return str(root / "proc")


def test_cgroup_v2_in_a_pod_with_its_own_namespace(tmp_path: Path) -> None:
    # containerd with a cgroup namespace: the container sees its group as "/".
    fs = tmp_path / "sys" / "fs" / "cgroup"
    _write(fs / "memory.current", "241172480\n")
    _write(fs / "memory.max", "268435456\n")
    _write(fs / "memory.stat", "anon 190000000\nfile 51172480\nactive_file 10000000\n"
                               "inactive_file 41172480\n")
    _write(fs / "memory.events", "low 0\nhigh 0\nmax 37\noom 2\noom_kill 2\noom_group_kill 0\n")
    proc = _proc(tmp_path, "0::/\n", (
        "1203 1180 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup "
        "rw,nsdelegate,memory_recursiveprot\n"
    ).replace("/sys/fs/cgroup", str(fs)))
    assert find_cgroup(proc) == Cgroup("v2", str(fs))
    assert read_cgroup(Cgroup("v2", str(fs))) == {
        "cgroup": "v2", "usage_bytes": 241172480, "working_set_bytes": 200000000,
        "limit_bytes": 268435456, "oom_kills": 2}  # the working set: less inactive_file
    assert container_memory(proc) == (241172480, 268435456)


def test_cgroup_v2_host_view_takes_the_pods_limit(tmp_path: Path) -> None:
    # No cgroup namespace: the full path; the pod's limit binds a container with "max".
    fs = tmp_path / "cgroup"
    pod = fs / "kubepods.slice" / "kubepods-burstable.slice" / f"kubepods-burstable-{POD}.slice"
    container = pod / f"cri-containerd-{CID}.scope"
    _write(fs / "memory.stat", "anon 1\n")  # the root group has no memory.max
    _write(fs / "kubepods.slice" / "memory.max", "max\n")
    _write(pod.parent / "memory.max", "max\n")
    _write(pod / "memory.max", "536870912\n")
    _write(container / "memory.max", "max\n")
    _write(container / "memory.current", "104857600\n")
    _write(container / "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    relative = str(container.relative_to(fs))
    proc = _proc(tmp_path, f"0::/{relative}\n",
                 f"35 25 0:30 / {fs} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                 "rw,nsdelegate\n")
    assert find_cgroup(proc) == Cgroup("v2", str(container))
    assert container_memory(proc) == (104857600, 536870912)
    (container / "memory.max").write_text("268435456\n")  # the tighter one wins
    assert container_memory(proc) == (104857600, 268435456)
    _write(pod / "memory.max", "max\n")
    (container / "memory.max").write_text("max\n")
    assert container_memory(proc) == (104857600, None)


def test_cgroup_v1_in_a_container_and_a_hybrid_host(tmp_path: Path) -> None:
    # Docker/containerd on cgroup v1 without a namespace: /proc/self/cgroup names the host
    # path, mountinfo mounts that same path as the container's memory root.
    host_path = f"/kubepods/burstable/{POD}/{CID}"
    mount = tmp_path / "sys" / "fs" / "cgroup" / "memory"
    _write(mount / "memory.usage_in_bytes", "201326592\n")
    _write(mount / "memory.limit_in_bytes", "9223372036854771712\n")
    _write(mount / "memory.stat", "cache 1024\nrss 2048\nhierarchical_memory_limit "
                                  "268435456\nhierarchical_memsw_limit 9223372036854771712\n"
                                  "total_cache 1327616\ntotal_inactive_file 1326592\n")
    _write(mount / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    # A v2 hierarchy is mounted too (hybrid), without the memory controller: v1 answers.
    unified = tmp_path / "sys" / "fs" / "cgroup" / "unified"
    _write(unified / "cgroup.controllers", "")
    cgroup = (f"12:pids:{host_path}\n11:cpu,cpuacct:{host_path}\n4:memory:{host_path}\n"
              f"1:name=systemd:{host_path}\n0::{host_path}\n")
    mountinfo = (
        f"740 739 0:63 {host_path} {mount} ro,nosuid,nodev,noexec,relatime master:18 - "
        "cgroup cgroup rw,memory\n"
        f"741 739 0:64 {host_path} {unified} ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
        "rw\n"
        f"742 739 0:65 {host_path} {tmp_path}/cpu ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n")
    proc = _proc(tmp_path, cgroup, mountinfo)
    assert find_cgroup(proc) == Cgroup("v1", str(mount))
    assert read_cgroup(Cgroup("v1", str(mount))) == {
        "cgroup": "v1", "usage_bytes": 201326592, "working_set_bytes": 200000000,
        "limit_bytes": 268435456, "oom_kills": 3}  # less total_inactive_file
    (mount / "memory.stat").write_text("hierarchical_memory_limit 9223372036854771712\n")
    assert container_memory(proc) == (201326592, None)  # unlimited
    _write(mount / "memory.limit_in_bytes", "134217728\n")
    assert container_memory(proc) == (201326592, 134217728)


def test_outside_a_memory_cgroup_there_is_none(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "0::/\n", f"35 25 0:30 / {tmp_path}/nothing rw - cgroup2 cgroup2 rw\n")
    assert find_cgroup(proc) is None and container_memory(proc) is None
    assert find_cgroup(str(tmp_path / "absent")) is None


def test_a_million_objects_are_walked_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    keep = [_Basket() for _ in range(1_000_000)]
    started = time.perf_counter()
    doc = capture_memory()
    elapsed = time.perf_counter() - started
    print(f"memory capture of {doc['gc']['objects']} objects: {elapsed * 1000:.0f} ms")
    by_type = {t["type"]: t for t in doc["types"]}
    assert by_type[f"{__name__}._Basket"]["count"] == len(keep)
    assert doc["gc"]["walked"] == doc["gc"]["objects"] >= 1_000_000
    assert elapsed < 10  # ~0.3 s here; the walk itself stops after 2 s
    # Past the cap the walk stops and says how far it went.
    monkeypatch.setattr(_memory, "_WALK_MAX", 100_000)
    cut = capture_memory()
    assert cut["gc"]["walked"] == 100_000 < cut["gc"]["objects"]
    assert sum(t["count"] for t in cut["types"]) <= 100_000


def test_sites_are_not_read_when_the_snapshot_would_not_fit() -> None:
    tracemalloc.start(5)
    try:
        kept = [bytes(1000) for _ in range(20_000)]
        own = tracemalloc.get_tracemalloc_memory()
        tight = _memory._tracemalloc(0.0, headroom=2 * own)  # needs ~3x: does not fit
        roomy = _memory._tracemalloc(0.0, headroom=10 * own)
    finally:
        tracemalloc.stop()
    assert tight is not None and tight["top"] == [] and tight["traced_bytes"] >= 20_000_000
    assert tight["skipped"] == (f"reading the traces needs ~{3 * own >> 20} MiB, "
                                f"{2 * own >> 20} MiB left under the limit")
    assert roomy is not None and roomy["skipped"] is None
    assert roomy["top"][0]["site"] == f"{__file__}:{_here('bytes(1000) for')}"
    # the 20,000 bytes objects, and the list's own buffer made on the same line
    assert roomy["top"][0]["count"] in (len(kept), len(kept) + 1)
    assert roomy["top"][0]["bytes"] >= len(kept) * 1000


def _here(marker: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line and "_here" not in line)


class _Odd:
    def __sizeof__(self) -> int:
        raise RuntimeError("the app's own __sizeof__ fails")


def test_an_objects_failing_sizeof_does_not_fail_the_capture() -> None:
    odd = [_Odd() for _ in range(50_000)]
    doc = capture_memory()
    by_type = {t["type"]: t for t in doc["types"]}
    assert by_type[f"{__name__}._Odd"] == {"type": f"{__name__}._Odd", "count": len(odd),
                                           "bytes": len(odd) * object.__sizeof__(odd[0])}
