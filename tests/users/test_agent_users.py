"""A real Flask app under ``bongsu run`` (gunicorn, two workers) with a session cookie:
the agent sends each session's cookie as an HMAC of it, never the cookie itself (every
OTLP body is recorded on its way to the real server), and the server counts each session
once across both workers; an ``enduser.id`` the app sets wins over the cookie."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from server_process import ServerProcess, free_port

pytest.importorskip("flask")
pytest.importorskip("gunicorn")

APPS = Path(__file__).parent / "apps"
SALT = "test-deployment-salt"
SESSIONS = [f"sess-{i}-{os.urandom(6).hex()}" for i in range(5)]


class Recorder:
    """An OTLP/HTTP hop that keeps every request body and forwards it to the server."""

    def __init__(self, target: str) -> None:
        self.bodies: list[bytes] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.bodies.append(body)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "content-encoding")}
                request = urllib.request.Request(target + self.path, data=body, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as r:
                        status, answer = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[ServerProcess, Recorder, int]]:
    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(data).start()
    recorder = Recorder(server.otlp_url)
    port = free_port()
    env = {**os.environ, "BONGSU_ENDPOINT": recorder.url, "BONGSU_FLUSH_INTERVAL": "0.2",
           "BONGSU_COMPRESSION": "none", "BONGSU_SERVICE_NAME": "users-app",
           "BONGSU_USER_KEY": "cookie:SESSIONID", "BONGSU_USER_SALT": SALT}
    env.pop("PYTHONPATH", None)
    app = subprocess.Popen(
        [sys.executable, "-m", "bongsu", "run", "--", str(Path(sys.executable).parent /
         "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "users_flask:app"],
        cwd=APPS, env=env, stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "app.log", "wb"))  # noqa: SIM115
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/page/0", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or app.poll() is not None:
                    raise RuntimeError((tmp_path / "app.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield server, recorder, port
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()
        recorder.server.shutdown()
        server.stop()


def hashed(session: str) -> str:
    mac = hmac.new(SALT.encode(), f"cookie:SESSIONID\0{session}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def test_sessions_are_counted_by_a_hash_of_their_cookie(
        running: tuple[ServerProcess, Recorder, int]) -> None:
    server, recorder, port = running
    for round_ in range(4):  # several requests per session, spread over the workers
        for session in SESSIONS:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/page/{round_}",
                headers={"Cookie": f"theme=dark; SESSIONID={session}"})
            urllib.request.urlopen(request, timeout=10).read()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/me",
                                     headers={"Cookie": f"SESSIONID={SESSIONS[0]}"})
    urllib.request.urlopen(request, timeout=10).read()
    # the warm-up request had no cookie: no user
    expected_users = 5 + 1  # five sessions and the app's account-42
    deadline = time.monotonic() + 90
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, got = server.api("/api/v1/users?service=users-app")
        if status == 200:  # 404 until the service's first spans are in
            body = got
            if body["dau"]["users"] >= expected_users:
                break
        time.sleep(0.5)
    assert body["dau"] == {"users": expected_users, "exact": True, "error_bound": None}
    assert body["active"]["users"] == expected_users

    sent = b"".join(recorder.bodies)
    for session in SESSIONS:
        assert session.encode() not in sent  # the raw cookie never left the app
    for session in SESSIONS:
        assert hashed(session).encode() in sent  # its hash did, as enduser.id
    assert b"account-42" in sent
    assert b"enduser.id" in sent
