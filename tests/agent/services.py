"""Real services for agent tests, each on a free loopback port in a temp directory:
a recording HTTP downstream, Redis, PostgreSQL and MariaDB (skipped when not installed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


class Downstream:
    """An HTTP server that records request headers and answers JSON (``/status/N``)."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        seen = self.headers

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen.append({k.lower(): v for k, v in self.headers.items()})
                code = int(self.path.rsplit("/", 1)[-1]) if self.path.startswith(
                    "/status/") else 200
                body = json.dumps({"path": self.path}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def redis_server() -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def _pg_bin() -> str | None:
    root = "/usr/lib/postgresql"
    if not os.path.isdir(root):
        return None
    versions = sorted(os.listdir(root))
    return os.path.join(root, versions[-1], "bin") if versions else None


@contextmanager
def postgres_server() -> Iterator[int]:
    """A throwaway PostgreSQL cluster (trust auth) owned by the ``postgres`` OS user."""
    bindir = _pg_bin()
    if bindir is None or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="bongsu-pg-")
    os.chmod(tmp, 0o777)
    data = os.path.join(tmp, "data")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    try:
        subprocess.run([*as_pg, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([*as_pg, f"{bindir}/pg_ctl", "-D", data, "-w", "-l",
                        os.path.join(tmp, "log"), "-o",
                        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start"], check=True, stdout=subprocess.DEVNULL)
        yield port
    finally:
        subprocess.run([*as_pg, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def mariadb_server() -> Iterator[int]:
    """A throwaway MariaDB server (root without password) on 127.0.0.1."""
    daemon = shutil.which("mariadbd") or shutil.which("mysqld")
    installer = shutil.which("mariadb-install-db")
    if daemon is None or installer is None:
        pytest.skip("MariaDB is not installed (apt-get install mariadb-server)")
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="bongsu-my-")
    data = os.path.join(tmp, "data")
    user = ["--user=root"] if os.geteuid() == 0 else []
    try:
        subprocess.run([installer, f"--datadir={data}", "--auth-root-authentication-method=normal",
                        *user, "--skip-test-db"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        proc = subprocess.Popen([daemon, "--no-defaults", f"--datadir={data}", f"--port={port}",
                                 "--bind-address=127.0.0.1", f"--socket={tmp}/sock",
                                 f"--pid-file={tmp}/pid", "--skip-grant-tables", *user],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, 60)
            yield port
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def under_agent(command: list[str], endpoint: str, service: str, cwd: str,
                port: int | None = None, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run ``command`` with ``python -m bongsu.agent run --`` exporting to ``endpoint``."""
    import sys

    full_env = {**os.environ, "BONGSU_ENDPOINT": endpoint, "BONGSU_SERVICE_NAME": service,
                "BONGSU_FLUSH_INTERVAL": "0.1", **(env or {})}
    full_env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([sys.executable, "-m", "bongsu.agent", "run", "--", *command],
                            cwd=cwd, env=full_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if port is not None:
            wait_port(port, 60)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
