"""Captured before death, for real: two Python apps under ``bongsu run``, each in a cgroup v1
memory group of its own with a 200 MiB limit, run until the kernel OOM-kills them.

- ``orders-leak`` keeps every order it makes, growing its cgroup's memory at 1.2 MiB/s;
- ``orders-spike`` sits still, then loads ~170 MiB at once, holds it, and grows past the limit.

For each: the kernel killed it (SIGKILL, ``memory.oom_control`` counts the kill), and the
agent's watchdog had the memory + threads captures (trigger ``memory_near_limit``) stored
on the real server before that (the server listed both while the app still ran); the
memory capture shows what was filling the memory and the threads capture where. Then the
server's OOM classification of the agent's memory series (``process.memory.usage``,
through ``GET /api/v1/oom``) calls the first a leak, with its slope, and the second a spike.

Needs root and the cgroup v1 memory controller (mounted at /sys/fs/cgroup/memory, as on the
machines the project's CI runs on): without them the test fails saying so, never skips.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from server_process import ServerProcess

MEMORY = Path("/sys/fs/cgroup/memory")
LIMIT = 200 * 2**20
LEAK_MIB_S = 1.2
FLAT_S = 110.0  # the spike app's quiet start: ten 10 s points before its jump
HOLD_S = 25.0

_APP = r"""
import sys, time

GROUP, MODE = sys.argv[1], sys.argv[2]


def usage():
    with open(GROUP + "/memory.usage_in_bytes") as f:
        return int(f.read())


class Order:
    def __init__(self, i):
        self.id = i
        self.customer = f"customer-{i}"
        self.lines = [(i, 2.5), (i + 1, 4.0)]
        self.note = "gift wrap " * 6 + str(i)


orders = []  # the cache nobody empties


def leak(rate):
    start, base, i = time.monotonic(), usage(), 0
    while True:
        target = base + rate * 2**20 * (time.monotonic() - start)
        while usage() < target:
            orders.extend(Order(i + k) for k in range(500))
            i += 500
        time.sleep(0.05)


def spike(flat_s, hold_s):
    time.sleep(flat_s)
    with open(GROUP + "/memory.limit_in_bytes") as f:
        limit = int(f.read())
    report = []
    while usage() < 0.93 * limit:  # a report loaded whole into memory
        report.append(b"\x01" * 2**20)
    time.sleep(hold_s)
    while True:
        report.append(b"\x01" * 2**20)
        time.sleep(0.1)


print("ready", flush=True)
if MODE == "leak":
    leak(float(sys.argv[3]))
else:
    spike(float(sys.argv[3]), float(sys.argv[4]))
"""


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _oom_kills(group: Path) -> int:
    for line in (group / "memory.oom_control").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    raise AssertionError(f"{group}/memory.oom_control has no oom_kill line (kernel < 4.13)")


@contextmanager
def memory_group(name: str, limit: int) -> Iterator[Path]:
    """A cgroup v1 memory group with ``limit`` (no swap), removed afterwards."""
    assert os.geteuid() == 0, "this test needs root to make a memory cgroup"
    assert (MEMORY / "memory.limit_in_bytes").exists(), f"no cgroup v1 memory at {MEMORY}"
    group = MEMORY / name
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit))
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():  # with swap accounting, a limit on memory + swap too: no swapping out
            swap.write_text(str(limit))
        yield group
    finally:
        deadline = time.monotonic() + 30
        while (group / "cgroup.procs").read_text().split() and time.monotonic() < deadline:
            time.sleep(0.1)  # the test's own finally has killed what it started
        group.rmdir()


class App:
    """One app under ``bongsu run``, moved into ``group`` before Python starts."""

    def __init__(self, server: ServerProcess, group: Path, script: Path, service: str,
                 *args: str) -> None:
        env = {"PATH": "/usr/bin:/bin", "BONGSU_ENDPOINT": server.otlp_url,
               "BONGSU_SERVICE_NAME": service, "BONGSU_METRICS_IDLE": "1",
               "BONGSU_METRICS_INTERVAL": "1", "BONGSU_FLUSH_INTERVAL": "0.2"}
        command = " ".join([sys.executable, "-m", "bongsu.agent", "run", "--", sys.executable,
                            str(script), str(group), *args])
        self.group = group
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", f"echo $$ > {group}/cgroup.procs && exec {command}"],
            env=env, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"
        assert str(self.proc.pid) in (group / "cgroup.procs").read_text().split()
        self.died_at: float | None = None
        self.seen_alive = False  # both captures listed by the server while it still ran

    def look(self, server: ServerProcess, service: str) -> None:
        if self.seen_alive or self.died_at is not None:
            return
        kinds = {c["kind"] for c in _get(f"{server.api_url}/api/v1/captures?service={service}")[
            "captures"] if c["status"] == "done"}
        # Alive after the answer came: the captures were stored before any kill.
        self.seen_alive = {"memory", "threads"} <= kinds and self.proc.poll() is None

    def poll(self) -> bool:
        if self.died_at is None and self.proc.poll() is not None:
            self.died_at = time.time()
        return self.died_at is not None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def _captures(server: ServerProcess, service: str) -> list[dict[str, Any]]:
    rows = _get(f"{server.api_url}/api/v1/captures?service={service}")["captures"]
    return [_get(f"{server.api_url}/api/v1/captures/{c['id']}") for c in rows]


def _check_evidence(server: ServerProcess, app: App, service: str, oom_before: int) -> dict[
        str, dict[str, Any]]:
    """The kernel killed it, and the watchdog's memory + threads captures were stored first."""
    assert app.proc.returncode == -signal.SIGKILL
    assert _oom_kills(app.group) == oom_before + 1
    assert app.died_at is not None
    assert app.seen_alive, "the server did not list both captures while the app still ran"
    captures = _captures(server, service)
    by_kind = {c["kind"]: c for c in captures}
    assert sorted(c["kind"] for c in captures) == ["memory", "threads"], captures
    for c in captures:
        trigger = c["payload"]["trigger"]
        assert trigger["reason"] == "memory_near_limit" and "of the 200 MiB limit" in trigger[
            "detail"]
        assert c["payload"]["captured_at_unix_nano"] < app.died_at * 1e9
    container = by_kind["memory"]["payload"]["container"]
    assert container["cgroup"] == "v1" and container["limit_bytes"] == LIMIT
    assert container["usage_bytes"] >= 0.9 * LIMIT
    assert container["oom_kills"] == oom_before  # taken before the kill
    return by_kind


def _verdict(server: ServerProcess, service: str, start_ms: int) -> dict[str, Any]:
    body = _get(f"{server.api_url}/api/v1/oom?service={service}&from={start_ms}"
                f"&to={int(time.time() * 1000)}")
    [verdict] = body["verdicts"]
    assert verdict["usage"]["metric"] == "process.memory.usage"
    return dict(verdict)


def test_leak_and_spike_are_captured_before_the_kernel_kills_them(
        server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    script = tmp_path / "orders_app.py"
    script.write_text(_APP)
    start_ms = int(time.time() * 1000)
    tag = f"bongsu-test-{os.getpid()}-{int(time.time())}"
    with ExitStack() as stack:
        leak_group = stack.enter_context(memory_group(f"{tag}-leak", LIMIT))
        spike_group = stack.enter_context(memory_group(f"{tag}-spike", LIMIT))
        before = {"leak": _oom_kills(leak_group), "spike": _oom_kills(spike_group)}
        leak = App(server, leak_group, script, "orders-leak", "leak", str(LEAK_MIB_S))
        stack.callback(leak.stop)
        spike = App(server, spike_group, script, "orders-spike", "spike", str(FLAT_S),
                    str(HOLD_S))
        stack.callback(spike.stop)
        deadline = time.monotonic() + 600
        next_look = 0.0
        while not (leak.poll() & spike.poll()):
            assert time.monotonic() < deadline, "the kernel did not kill both apps in 10 min"
            if time.monotonic() >= next_look:  # the leak has ~16 s from 90 % to its death
                leak.look(server, "orders-leak")
                spike.look(server, "orders-spike")
                next_look = time.monotonic() + 0.5
            time.sleep(0.05)

        leaked = _check_evidence(server, leak, "orders-leak", before["leak"])
        spiked = _check_evidence(server, spike, "orders-spike", before["spike"])

    # What filled the memory, and where: the orders the leaking app kept, in leak().
    types = {t["type"]: t for t in leaked["memory"]["payload"]["types"]}
    assert types["__main__.Order"]["count"] >= 100_000
    [main] = [t for t in leaked["threads"]["payload"]["threads"] if t["name"] == "MainThread"]
    assert "leak" in [f["function"] for f in main["stack"]]
    [main] = [t for t in spiked["threads"]["payload"]["threads"] if t["name"] == "MainThread"]
    assert "spike" in [f["function"] for f in main["stack"]]

    server.wait_loaded()
    verdict = _verdict(server, "orders-leak", start_ms)
    assert verdict["verdict"] == "leak", verdict["reason"]
    # the app grew its cgroup by 1.2 MiB/s; its resident set grows about as fast
    assert 0.6 * LEAK_MIB_S * 2**20 <= verdict["slope_per_s"] <= 1.6 * LEAK_MIB_S * 2**20, (
        verdict["slope_per_s"] / 2**20)
    assert verdict["fit_fraction"] >= 0.8
    assert max(v for _, v in verdict["usage"]["points"]) >= 0.8 * LIMIT

    verdict = _verdict(server, "orders-spike", start_ms)
    assert verdict["verdict"] == "spike", verdict["reason"]
    jump = verdict["jump"]
    assert jump["to_value"] - jump["from_value"] >= 0.6 * LIMIT
    assert jump["end"] - jump["start"] <= 30_000
