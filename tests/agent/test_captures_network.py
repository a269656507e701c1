"""Network and files captures of a real app under ``bongsu run``, asked for through the
server's API: its listener, its connection to a local server, a CLOSE_WAIT pile-up it
leaves, its open files and pipe, each listed with the figures the kernel has."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from bongsu.agent._network import capture_network, parse_inet, parse_unix

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


def test_ipv6_udp_and_time_wait_as_the_kernel_shows_them() -> None:
    # Real sockets of this process, read back from the kernel's own tables.
    dual = socket.socket(socket.AF_INET6)
    dual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    dual.bind(("::", 0))
    dual.listen()
    port6 = dual.getsockname()[1]
    v4_client = socket.create_connection(("127.0.0.1", port6))
    mapped, _ = dual.accept()
    loop6 = socket.create_connection(("::1", port6))
    accepted6, _ = dual.accept()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp_peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_peer.connect(udp.getsockname())
    # A server that closes first keeps TIME_WAIT on its port, on no fd any more.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = server.accept()
    served.close()
    client.recv(1)
    client.close()
    held = [dual, v4_client, mapped, loop6, accepted6, udp, udp_peer, server]
    udp_local = f"127.0.0.1:{udp.getsockname()[1]}"
    udp_peer_local = f"127.0.0.1:{udp_peer.getsockname()[1]}"
    try:
        started = time.perf_counter()
        doc = capture_network()
        elapsed = time.perf_counter() - started
    finally:
        for s in held:
            s.close()
    print(f"network capture in-process {elapsed * 1000:.1f} ms, {len(doc['sockets'])} sockets")
    rows = {(s["proto"], s["state"], s["local"], s["remote"]) for s in doc["sockets"]}
    assert ("tcp6", "LISTEN", f"[::]:{port6}", "[::]:0") in rows
    assert {"proto": "tcp6", "local": f"[::]:{port6}"} in doc["listen"]
    mapped_rows = [r for r in rows if r[0] == "tcp6" and r[2] == f"[::ffff:127.0.0.1]:{port6}"]
    assert len(mapped_rows) == 1 and mapped_rows[0][1] == "ESTABLISHED"
    assert mapped_rows[0][3].startswith("[::ffff:127.0.0.1]:")
    assert len([r for r in rows if r[0] == "tcp6" and r[2] == f"[::1]:{port6}"]) == 1
    assert len([r for r in rows if r[0] == "tcp6" and r[3] == f"[::1]:{port6}"]) == 1
    assert ("udp", "CLOSE", udp_local, "0.0.0.0:0") in rows
    assert {"proto": "udp", "local": udp_local} in doc["listen"]
    assert ("udp", "ESTABLISHED", udp_peer_local, udp_local) in rows
    waiting = [s for s in doc["sockets"] if s["state"] == "TIME_WAIT"
               and s["local"] == f"127.0.0.1:{port}"]
    assert len(waiting) == 1 and waiting[0]["inode"] == 0
    assert doc["by_state"]["TIME_WAIT"] >= 1


def test_kernel_table_lines() -> None:
    tcp6 = (
        "  sl  local_address                         remote_address                        st "
        "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 "
        "10 0\n"
        "   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000A00000A:C350 08 "
        "00000000:00000000 00:00000000 00000000  1000        0 123457 1 0000000000000000 20 4 30 "
        "10 -1\n")
    assert parse_inet(tcp6, "tcp6") == [
        {"proto": "tcp6", "state": "LISTEN", "local": "[::1]:8080", "remote": "[::]:0",
         "inode": 123456},
        {"proto": "tcp6", "state": "CLOSE_WAIT", "local": "[::ffff:127.0.0.1]:8080",
         "remote": "[::ffff:10.0.0.10]:50000", "inode": 123457}]
    unix = ("Num       RefCount Protocol Flags    Type St Inode Path\n"
            "0000000000000000: 00000002 00000000 00010000 0001 01 20112 /run/app.sock\n"
            "0000000000000000: 00000003 00000000 00000000 0001 03 20113\n"
            "0000000000000000: 00000002 00000000 00000000 0002 01 20114 @bongsu abstract\n")
    assert parse_unix(unix) == [
        {"proto": "unix", "state": "LISTEN", "local": "/run/app.sock", "remote": "",
         "inode": 20112},
        {"proto": "unix", "state": "CONNECTED", "local": "", "remote": "", "inode": 20113},
        {"proto": "unix", "state": "UNCONNECTED", "local": "@bongsu abstract", "remote": "",
         "inode": 20114}]
