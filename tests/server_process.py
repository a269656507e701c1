"""A real ``bongsu server`` in a subprocess, on free loopback ports, for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """Start, stop, ``kill -9`` and restart a server on one data directory.

    Example::

        server = ServerProcess(tmp_path, {"BONGSU_EDGE_MATCH_SECONDS": "1"}).start()
        server.post("/v1/traces", body)
        started = server.kill()              # SIGKILL the server alone, nothing flushed
        assert survivors(started) == []      # its decoder went with it
        server.start()                       # same ports, same data

    ``launcher`` is what ``python`` runs before the ``server`` arguments: ``-m bongsu``, or
    a test's script that wraps it. Nothing here ends a process the server started: the
    server must take them down itself, and :func:`survivors` tells when it does not.
    """

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None,
        launcher: Sequence[str] = ("-m", "bongsu"),
    ) -> None:
        self.data_dir = data_dir
        # Single-user unless the test says otherwise (BONGSU_AUTH=accounts): the servers
        # listen on loopback, and the accounts tests sign in on their own.
        self.env = {**os.environ, "BONGSU_AUTH": "single-user", **(env or {})}
        self.launcher = list(launcher)
        self.otlp_port = free_port()
        self.api_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.left_behind: list[psutil.Process] = []  # what it had started, at each stop

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, *self.launcher, "server", "--data-dir", str(self.data_dir),
             "--port", str(self.api_port), "--otlp-port", str(self.otlp_port)],
            stdout=log, stderr=subprocess.STDOUT, env=self.env,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                self.get_json(self.api_url + "/healthz")
                self.status()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, timeout: float = 120) -> list[psutil.Process]:
        """SIGTERM and wait; returns the processes the server had started."""
        started: list[psutil.Process] = []
        if self.proc and self.proc.poll() is None:
            started = self.descendants()
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)
        self.left_behind.extend(started)
        return started

    def kill(self) -> list[psutil.Process]:
        """SIGKILL the server process alone; returns the processes it had started."""
        assert self.proc is not None
        started = self.descendants()
        self.proc.kill()
        self.proc.wait(30)
        self.left_behind.extend(started)
        return started

    def descendants(self) -> list[psutil.Process]:
        """Every process the running server started, and theirs."""
        assert self.proc is not None
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.get_json(self.otlp_url + "/healthz")
        return status

    def wait_loaded(self, timeout: float = 30) -> None:
        """Until everything acknowledged is in the store."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.status()
            if s["loaded_lsn"] >= s["durable_lsn"]:
                return
            time.sleep(0.05)
        raise TimeoutError("the store did not catch up with the ingest log")

    def post(
        self, path: str, body: bytes, content_type: str = "application/x-protobuf",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.otlp_url + path, data=body, method="POST",
            headers={"Content-Type": content_type, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def api(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(self.api_url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    @staticmethod
    def get_json(url: str) -> Any:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())


def survivors(processes: Iterable[psutil.Process], timeout: float = 2.0) -> list[str]:
    """Those of ``processes`` still running after ``timeout`` seconds, described.

    A zombie has exited (only its parent, now init, has not reaped it yet), so it counts
    as gone; ``psutil.Process`` remembers its start time, so a reused pid does not count.
    """
    left = list(processes)
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in left if _running(p)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    described = []
    for p in left:
        try:
            described.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.Error:
            continue
    return described


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
