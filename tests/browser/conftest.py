"""A real ``bongsu server`` fed by ``bongsu simulate``, and Debian Chromium to look at it.

The server (``tests/server_process.py``) and the simulator run as subprocesses on free
loopback ports with a temporary data directory, once per session. The browser is the
system ``chromium`` package driven by PyPI ``playwright`` (never ``playwright install``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("BONGSU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BONGSU = [sys.executable, "-m", "bongsu"]


def _has_command(name: str) -> bool:
    proc = subprocess.run([*BONGSU, name, "--help"], capture_output=True, timeout=60)
    return proc.returncode == 0


@dataclass
class Console:
    """The running server: its URL and a small JSON client for cross-checking the UI."""

    url: str
    services: list[dict[str, Any]] = field(default_factory=list)
    #: A service that calls a database and reports DB connections: every dashboard chart fills.
    db_service: str = ""
    active_requests_exists: bool = True

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        with urllib.request.urlopen(
            f"{self.url}{path}{'?' + query if query else ''}", timeout=30
        ) as r:
            return json.loads(r.read())


def _wait_ready(console: Console, deadline: float) -> None:
    """Until the simulated services, a database node and memory metrics are queryable."""
    last = ""
    while time.monotonic() < deadline:
        try:
            services = console.get("/api/v1/services")["services"]
            topo = console.get("/api/v1/topology", level="service")
            kinds = {n["kind"] for n in topo["nodes"]}
            busy = [s for s in services if s["transactions"] >= 50]
            if len(busy) >= 3 and "database" in kinds:
                dbs = {n["id"] for n in topo["nodes"] if n["kind"] == "database"}
                callers = sorted({e["source"] for e in topo["edges"] if e["target"] in dbs})
                for name in callers:
                    has = [
                        console.get("/api/v1/metrics/series", name=m, service=name, step=30)[
                            "points"
                        ]
                        for m in ("db.client.connections.usage", "process.memory.usage")
                    ]
                    if all(has):
                        console.services = services
                        console.db_service = name
                        return
            last = (
                f"{len(busy)} busy services, node kinds {sorted(kinds)}, no DB/memory metrics yet"
            )
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            last = repr(exc)
        time.sleep(1)
    raise RuntimeError(f"server never showed simulated data: {last}")


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not _has_command("server") or not _has_command("simulate"):
        pytest.skip("`bongsu server` / `bongsu simulate` do not exist yet (server issue)")
    from bongsu.web import static_dir

    if static_dir() is None:
        pytest.skip(
            "web console not built: run `npm ci && npm run build` in web/ (or pip install -e .)"
        )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    from server_process import ServerProcess

    data = tmp_path_factory.mktemp("console") / "data"
    server = ServerProcess(data, {"BONGSU_EDGE_MATCH_SECONDS": "1"}).start()
    sim_log = (data.parent / "simulate.log").open("wb")
    # The simulator keeps running for the whole session, so live views move.
    sim = subprocess.Popen(
        [*BONGSU, "simulate", "--endpoint", server.otlp_url, "--rate", "30", "--seed", "7"],
        stdout=sim_log,
        stderr=subprocess.STDOUT,
    )
    try:
        c = Console(url=server.api_url)
        _wait_ready(c, time.monotonic() + 120)
        try:
            c.get("/api/v1/active-requests")
        except urllib.error.HTTPError as exc:
            c.active_requests_exists = exc.code != 404
        yield c
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=20)
        except subprocess.TimeoutExpired:
            sim.kill()
        sim_log.close()
        server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright hook: the Debian browser, with the flags these machines need."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


class Problems:
    """Console errors, page errors, failed and 4xx/5xx requests seen by one page."""

    def __init__(self, console: Console) -> None:
        self.items: list[str] = []
        self._console = console

    def _allowed_404(self, url: str) -> bool:
        # The agent's real-time endpoint may not exist yet; the page shows an empty state.
        return not self._console.active_requests_exists and "/api/v1/active-requests" in url

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            if "status of 404" in msg.text and not self._console.active_requests_exists:
                return  # the console line for the allowed 404 above; URL checked on the response
            self.items.append(f"console: {msg.text}")

    def on_response(self, resp: Any) -> None:
        if resp.status >= 400 and not (resp.status == 404 and self._allowed_404(resp.url)):
            self.items.append(f"HTTP {resp.status} {resp.url}")

    def on_failed(self, req: Any) -> None:
        # Navigation aborts the previous page's fetches on purpose (AbortController).
        if req.failure != "net::ERR_ABORTED":
            self.items.append(f"failed: {req.url} {req.failure}")

    def check(self) -> None:
        assert not self.items, "\n".join(self.items)


@pytest.fixture
def problems(page: Any, console: Console) -> Iterator[Problems]:
    p = Problems(console)
    page.on("console", p.on_console)
    page.on("pageerror", lambda err: p.items.append(f"pageerror: {err}"))
    page.on("response", p.on_response)
    page.on("requestfailed", p.on_failed)
    yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
