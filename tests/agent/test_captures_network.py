"""Network and files captures of a real app under ``bongsu run``, asked for through the
server's API: its listener, its connection to a local server, a CLOSE_WAIT pile-up it
leaves, its open files and pipe, each listed with the figures the kernel has."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .captures import running_target


def _wait(what: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)


def test_network_capture_lists_the_apps_sockets(server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path, closed=7) as target:
        _wait(lambda: target.peer.closed == 7)
        started = time.perf_counter()
        doc = target.capture("network")["payload"]
        elapsed = time.perf_counter() - started
        ready = target.ready
    print(f"network capture round trip {elapsed * 1000:.0f} ms")
    peer = f"127.0.0.1:{target.peer.port}"
    otlp = f"127.0.0.1:{server.otlp_port}"
    mine = [s for s in doc["sockets"] if s["remote"] != otlp]  # the agent's own: to the server
    agents = [s for s in doc["sockets"] if s["remote"] == otlp]
    assert all(s["proto"] == "tcp" and s["state"] in ("ESTABLISHED", "CLOSE_WAIT")
               for s in agents) and len(agents) <= 2
    expected = sorted([
        ("tcp", "LISTEN", f"127.0.0.1:{ready['listen']}", "0.0.0.0:0"),
        ("unix", "LISTEN", ready["unix"], ""),
        ("tcp", "ESTABLISHED", f"127.0.0.1:{ready['kept_open'][1]}", peer),
        *[("tcp", "CLOSE_WAIT", f"127.0.0.1:{port}", peer)
          for _, port in ready["closed_by_peer"]],
    ])
    assert sorted((s["proto"], s["state"], s["local"], s["remote"]) for s in mine) == expected
    assert all(isinstance(s["inode"], int) and s["inode"] > 0 for s in doc["sockets"])
    assert doc["listen"] == [{"proto": "tcp", "local": f"127.0.0.1:{ready['listen']}"},
                             {"proto": "unix", "local": ready["unix"]}]
    by_state = {"LISTEN": 2, "CLOSE_WAIT": 7, "ESTABLISHED": 1}
    for s in agents:
        by_state[s["state"]] += 1
    assert doc["by_state"] == by_state


def test_files_capture_lists_the_apps_fds(server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    with running_target(server.api_url, server.otlp_url, tmp_path, files=5, closed=3) as target:
        doc = target.capture("files")["payload"]
        ready = target.ready
        with open(f"/proc/{ready['pid']}/limits") as f:
            limits = next(line for line in f if line.startswith("Max open files")).split()
    by_fd = {e["fd"]: e for e in doc["fds"]}
    assert doc["count"] == len(doc["fds"])
    assert (doc["limit_soft"], doc["limit_hard"]) == (int(limits[3]), int(limits[4]))
    for fd, path in ready["files"].items():
        assert by_fd.pop(int(fd)) == {"fd": int(fd), "type": "file", "path": path}
    for fd in ready["pipe"]:
        entry = by_fd.pop(fd)
        assert entry["type"] == "pipe" and entry["path"].startswith("pipe:[")
    sockets = [ready["listen_fd"], ready["unix_fd"], ready["kept_open"][0],
               *(fd for fd, _ in ready["closed_by_peer"])]
    for fd in sockets:
        entry = by_fd.pop(fd)
        assert entry["type"] == "socket" and entry["path"].startswith("socket:[")
    assert by_fd.pop(0) == {"fd": 0, "type": "dev", "path": "/dev/null"}
    assert by_fd.pop(1) == {"fd": 1, "type": "dev", "path": "/dev/null"}
    assert by_fd.pop(2) == {"fd": 2, "type": "file", "path": str(tmp_path / "target.err")}
    # What is left is the agent's connection to the server, nothing else.
    assert [e["type"] for e in by_fd.values()] in (["socket"], ["socket", "socket"]), by_fd
