"""Harness of the capture tests: ``apps/capture_target.py`` under ``bongsu run`` against a
real server, a peer TCP server it connects to, captures asked for through the API.

Example::

    with running_target(server, tmp_path) as target:
        doc = target.capture("files")["payload"]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP = str(Path(__file__).parent / "apps" / "capture_target.py")
SERVICE = "capture-target"


def api(url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Peer:
    """A TCP server in the test: keeps the first connection, closes the next ones."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.kept: list[socket.socket] = []
        self.closed = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if not self.kept:
                self.kept.append(conn)
            else:
                conn.close()
                self.closed += 1

    def close(self) -> None:
        self.listener.close()
        for conn in self.kept:
            conn.close()


@dataclass
class Target:
    api_url: str
    instance: str
    ready: dict[str, Any]
    directory: Path
    peer: Peer
    timings: dict[str, float] = field(default_factory=dict)

    def request(self, kind: str, args: dict[str, Any] | None = None) -> tuple[int, Any]:
        body: dict[str, Any] = {"service": SERVICE, "instance": self.instance, "kind": kind}
        if args is not None:
            body["args"] = args
        return api(f"{self.api_url}/api/v1/captures", body)

    def capture(self, kind: str, args: dict[str, Any] | None = None,
                timeout: float = 90.0) -> dict[str, Any]:
        """Ask for a capture through the API and read it back once stored."""
        status, accepted = self.request(kind, args)
        assert status == 202, accepted
        detail = self.wait(accepted["id"], timeout)
        assert detail["kind"] == kind
        return detail

    def wait(self, capture_id: str, timeout: float = 90.0, done: bool = True
             ) -> dict[str, Any]:
        """The capture once the agent has answered (``done``: and it succeeded)."""
        deadline = time.monotonic() + timeout
        while True:
            status, detail = api(f"{self.api_url}/api/v1/captures/{capture_id}")
            assert status == 200, detail
            if detail["status"] != "pending":
                break
            assert time.monotonic() < deadline, f"capture {capture_id} still pending"
            time.sleep(0.1)
        if done:
            assert detail["status"] == "done", detail
            payload, kind = detail["payload"], detail["kind"]
            assert payload["kind"] == kind and payload["format"] == f"bongsu.{kind}/1"
            assert payload["pid"] == self.ready["pid"]
            assert payload["trigger"]["reason"] == "request"
        return dict(detail)


@contextmanager
def running_target(api_url: str, otlp_url: str, tmp_path: Path, files: int = 5,
                   closed: int = 7, env: dict[str, str] | None = None) -> Iterator[Target]:
    """Start the app under ``bongsu run`` and wait until it has made its sockets and files."""
    directory = tmp_path / "target"
    directory.mkdir()
    ready_path = tmp_path / "ready.json"
    instance = f"target-{uuid.uuid4().hex[:8]}"
    peer = Peer()
    full_env = {**os.environ, "BONGSU_ENDPOINT": otlp_url, "BONGSU_SERVICE_NAME": SERVICE,
                "BONGSU_CONTROL_INTERVAL": "0.2", "BONGSU_FLUSH_INTERVAL": "0.2",
                "OTEL_RESOURCE_ATTRIBUTES": f"service.instance.id={instance}",
                "TARGET_DIR": str(directory), "TARGET_READY": str(ready_path),
                "TARGET_PEER": str(peer.port), "TARGET_FILES": str(files),
                "TARGET_CLOSED": str(closed), **(env or {})}
    full_env.pop("PYTHONPATH", None)
    with open(tmp_path / "target.err", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bongsu.agent", "run", "--",
                                 sys.executable, APP], cwd=str(tmp_path), env=full_env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not ready_path.exists():
            assert proc.poll() is None, (tmp_path / "target.err").read_text()
            assert time.monotonic() < deadline, "the target app did not get ready"
            time.sleep(0.05)
        ready = json.loads(ready_path.read_text())
        yield Target(api_url, instance, ready, directory, peer)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        peer.close()
