"""``bongsu capture jvm --pid``: a real Java 17 program captured with jcmd and /proc, stored by
a real server, read back through the captures API; and each error the user can meet.

``Grow.java`` listens on a loopback port and keeps a known file open, so the network and
files captures have something known to show.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diagnostics.java.programs import (  # noqa: F401 (fixtures)
    JavaProgram,
    java_classes_fixture,
    java_program_fixture,
)
from server_process import ServerProcess, free_port

Start = Callable[..., JavaProgram]
CLI_TIMEOUT_S = 180  # five jcmd attaches and five posts on a loaded 2-core machine


def _capture(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bongsu", "capture", "jvm", *args],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
                          env={**os.environ, **(env or {})}, check=False)


def _stored(server: ServerProcess, service: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        status, body = server.api(f"/api/v1/captures?service={service}")
        assert status == 200, body
        rows = [r for r in body["captures"] if r["status"] != "pending"]
        if len(rows) >= count:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"{len(rows)} of {count} captures stored: {rows}")


def test_capture_jvm_stores_every_kind(java_program: Start, server_factory: Any,
                                       tmp_path: Path) -> None:
    kept = tmp_path / "orders-ledger.txt"
    kept.write_text("ledger\n")
    program = java_program("Grow", str(kept))
    port = int(program.ready.split()[1])
    program.send("grow 20000")
    program.expect("grown 20000")
    server = server_factory().start()

    done = _capture("--pid", str(program.pid), "--service", "orders-jvm", "--instance",
                    "orders-jvm-1", "--server", server.otlp_url)
    assert done.returncode == 0, done.stderr
    printed = [line.split() for line in done.stdout.splitlines()]
    assert [p[1] for p in printed] == ["threads", "memory", "network", "files", "processes"]
    assert [p[2] for p in printed] == ["jvm.thread_print/1", "jvm.class_histogram/1",
                                       "bongsu.network/1", "bongsu.files/1",
                                       "bongsu.processes/1"]

    rows = _stored(server, "orders-jvm", 5)
    assert sorted(r["kind"] for r in rows) == ["files", "memory", "network", "processes",
                                              "threads"]
    assert {r["instance"] for r in rows} == {"orders-jvm-1"}
    assert {r["id"] for r in rows} == {p[0] for p in printed}
    payloads = {}
    for row in rows:
        status, one = server.api(f"/api/v1/captures/{row['id']}")
        assert status == 200, one
        payloads[row["kind"]] = one["payload"]
        assert one["payload"]["pid"] == program.pid
        assert one["payload"]["trigger"]["reason"] == "request"

    threads = payloads["threads"]
    assert threads["format"] == "jvm.thread_print/1"
    assert threads["runtime"].startswith("java 17.")
    assert '"main" #1' in threads["text"] and "Grow.main(Grow.java:" in threads["text"]
    memory = payloads["memory"]
    assert memory["format"] == "jvm.class_histogram/1"
    leaked = [line for line in memory["text"].splitlines() if line.endswith(" Grow$LeakedOrder")]
    assert len(leaked) == 1 and leaked[0].split()[1] == "20000"

    network = payloads["network"]
    # Java listens on a dual-stack socket: tcp6, the IPv4-mapped loopback address.
    listening = [s for s in network["listen"] if s["local"].endswith(f":{port}")]
    assert [s["proto"] for s in listening] == ["tcp6"]
    address = ipaddress.ip_address(listening[0]["local"].rsplit(":", 1)[0].strip("[]"))
    assert isinstance(address, ipaddress.IPv6Address)
    assert address.ipv4_mapped == ipaddress.IPv4Address("127.0.0.1")
    assert network["by_state"].get("LISTEN", 0) >= 1
    files = payloads["files"]
    by_path = {f["path"]: f for f in files["fds"]}
    assert by_path[str(kept)]["type"] == "file"
    assert files["count"] == len(files["fds"]) and files["limit_soft"] > 0
    assert sum(1 for f in files["fds"] if f["type"] == "socket") >= 1
    processes = payloads["processes"]
    mine = processes["processes"][0]
    assert mine["pid"] == program.pid and mine["name"] == "java"
    assert "Grow" in mine["cmdline"] and mine["threads"] > 5 and mine["rss_bytes"] > 10 << 20


def test_capture_jvm_analysis_through_the_api(java_program: Start, server_factory: Any,
                                              tmp_path: Path) -> None:
    program = java_program("Deadlock")
    server = server_factory().start()
    deadline = time.monotonic() + 60
    while True:  # the deadlock forms 0.3 s after start; a dump before then shows none
        done = _capture("--pid", str(program.pid), "--kinds", "threads", "--service",
                        "ledger", "--server", server.otlp_url)
        assert done.returncode == 0, done.stderr
        capture_id = done.stdout.split()[0]
        status, one = server.api(f"/api/v1/captures/{capture_id}")
        assert status == 200, one
        if one["payload"]["text"].count("Found one Java-level deadlock") == 2:
            break
        assert time.monotonic() < deadline, "the JVM never reported both deadlocks"
        time.sleep(0.5)
    assert one["instance"] == f"{os.uname().nodename}:{program.pid}"
    analysis = one.get("analysis")
    assert analysis is not None, sorted(one)
    cycles = sorted(sorted(d["threads"]) for d in analysis["deadlocks"])
    assert cycles == [["queue-a", "queue-b"], ["transfer-a", "transfer-b"]]


def test_capture_jvm_of_a_containerised_jvm(java_program: Start, server_factory: Any,
                                            tmp_path: Path) -> None:
    # A JVM that is pid 1 of a PID namespace of its own (as in a container), seen from the
    # host: jcmd reaches it by its host pid, the processes are its namespace's only.
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    helper = subprocess.Popen(["sleep", "300"])  # in this namespace: must not be listed
    try:
        program = java_program("Grow", str(kept), prefix=[
            "unshare", "--pid", "--fork", "--kill-child", "--mount-proc"])
        assert program.pid != program.proc.pid
        server = server_factory().start()
        done = _capture("--pid", str(program.pid), "--kinds", "threads,processes",
                        "--service", "boxed", "--server", server.otlp_url)
        assert done.returncode == 0, done.stderr
        rows = {r["kind"]: r for r in _stored(server, "boxed", 2)}
        status, threads = server.api(f"/api/v1/captures/{rows['threads']['id']}")
        assert status == 200 and "Grow.main(Grow.java:" in threads["payload"]["text"]
        status, procs = server.api(f"/api/v1/captures/{rows['processes']['id']}")
        listed = [(p["pid"], p["name"]) for p in procs["payload"]["processes"]]
        assert listed == [(program.pid, "java")]
        assert helper.pid not in {p for p, _ in listed}
    finally:
        helper.kill()
        helper.wait()


def test_capture_jvm_errors(java_program: Start, tmp_path: Path) -> None:
    # No such process: one we started and reaped.
    gone = subprocess.Popen(["true"])
    gone.wait()
    done = _capture("--pid", str(gone.pid), "--server", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert f"bongsu: --pid {gone.pid}: no such process" in done.stderr

    # Not a JVM: refused before jcmd could send it SIGQUIT (which would kill it).
    other = subprocess.Popen(["sleep", "300"])
    try:
        done = _capture("--pid", str(other.pid), "--server", "http://127.0.0.1:9")
        assert done.returncode == 1
        assert f"--pid {other.pid} (sleep) is not a JVM" in done.stderr
        assert "threads, memory need a Java process" in done.stderr
        assert other.poll() is None, "the non-JVM process was signalled"
    finally:
        other.kill()
        other.wait()

    program = java_program("Deadlock")
    # No jcmd on PATH.
    bare = tmp_path / "bin"
    bare.mkdir()
    done = _capture("--pid", str(program.pid), "--server", "http://127.0.0.1:9",
                    env={"PATH": str(bare)})
    assert done.returncode == 1
    assert "bongsu: jcmd: not found on PATH" in done.stderr

    # The server cannot be reached: the capture was taken, the send fails plainly.
    url = f"http://127.0.0.1:{free_port()}"
    done = _capture("--pid", str(program.pid), "--kinds", "files", "--server", url)
    assert done.returncode == 1
    assert f"bongsu: server {url}: unreachable" in done.stderr
    assert "refused" in done.stderr.lower()

    done = _capture("--pid", str(program.pid), "--kinds", "threads,heap", "--server", url)
    assert done.returncode == 1
    assert "--kinds: heap not one of threads, memory, network, files, processes" in done.stderr
