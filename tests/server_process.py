"""A real ``bongsu server`` in a subprocess, on free loopback ports, for tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """Start, stop, ``kill -9`` and restart a server on one data directory.

    Example::

        server = ServerProcess(tmp_path, {"BONGSU_EDGE_MATCH_SECONDS": "1"}).start()
        server.post("/v1/traces", body)
        server.kill()          # SIGKILL, nothing flushed
        server.start()         # same ports, same data
    """

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.otlp_port = free_port()
        self.api_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bongsu", "server", "--data-dir", str(self.data_dir),
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

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(120)

    def kill(self) -> None:
        """SIGKILL the server and every process it started (the decoder)."""
        assert self.proc is not None
        children = _children(self.proc.pid)
        self.proc.kill()
        self.proc.wait(30)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

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


def _children(pid: int) -> list[int]:
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:
        return []
