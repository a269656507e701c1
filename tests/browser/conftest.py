"""A real ``bongsu server`` fed by ``bongsu simulate`` and by a real app under the agent,
and Debian Chromium to look at it.

The server (``tests/server_process.py``), the simulator and ``slow_app.py`` (run by
``bongsu run`` under gunicorn, with clients that keep a few slow requests in flight, so
the Transactions page has live data and thread captures have something to show) run as
subprocesses on free loopback ports with a temporary data directory, once per session.
The browser is the system ``chromium`` package driven by PyPI ``playwright`` (never
``playwright install``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
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
#: The service name of ``slow_app.py`` under the agent.
AGENT_SERVICE = "report-api"
#: Slow requests kept in flight at any time, and how long each takes (seconds).
IN_FLIGHT = 4
SLOW_SECONDS = (8.0, 16.0)


@dataclass
class Console:
    """The running server: its URL and a small JSON client for cross-checking the UI."""

    url: str
    services: list[dict[str, Any]] = field(default_factory=list)
    #: A service that calls a database and reports DB connections: every dashboard chart fills.
    db_service: str = ""
    #: A real app under the agent, with slow requests in flight.
    agent_service: str = AGENT_SERVICE

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


def _wait_in_flight(console: Console, deadline: float) -> None:
    """Until the agent has reported requests of the slow app in flight."""
    last = ""
    while time.monotonic() < deadline:
        try:
            body = console.get("/api/v1/active-requests", service=console.agent_service)
            if body["requests"]:
                return
            last = f"no request in flight; instances {body['instances']}"
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise RuntimeError(f"the agent never reported in-flight requests: {last}")


class SlowClients:
    """Threads that keep ``IN_FLIGHT`` slow requests running against ``slow_app.py``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(i,), name=f"slow-client-{i}", daemon=True)
            for i in range(IN_FLIGHT)
        ]

    def start(self) -> SlowClients:
        for t in self.threads:
            t.start()
        return self

    def _loop(self, i: int) -> None:
        rng = random.Random(i)
        n = 0
        while not self.stopping.is_set():
            n += 1
            seconds = round(rng.uniform(*SLOW_SECONDS), 1)
            url = f"{self.base_url}/reports/monthly-{i}-{n}?seconds={seconds}"
            try:
                with urllib.request.urlopen(url, timeout=SLOW_SECONDS[1] + 30) as r:
                    r.read()
            except OSError:
                self.stopping.wait(0.5)  # starting up, or stopping

    def stop(self) -> None:
        self.stopping.set()


def _start_slow_app(server_otlp: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``slow_app.py`` under ``bongsu run`` (gunicorn, threaded worker); returns its URL."""
    from server_process import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BONGSU_", "OTEL_"))}
    # Report in-flight requests and poll for commands every second (default 5 s), so
    # elapsed times move between refreshes and a capture answers within a second or two.
    env.update({"BONGSU_ACTIVE_INTERVAL": "1", "BONGSU_CONTROL_INTERVAL": "1"})
    agent = [*BONGSU, "run", "--service-name", AGENT_SERVICE, "--endpoint", server_otlp, "--"]
    gunicorn = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "8", "-w", "1"]
    options = ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--log-level", "warning"]
    options += ["--chdir", str(Path(__file__).parent)]
    if int(importlib.metadata.version("gunicorn").split(".")[0]) >= 27:
        options.append("--no-control-socket")  # else every run shares ~/.gunicorn/'s socket
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*agent, *gunicorn, *options, "slow_app:app"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _backfill(server: Any, minutes: int) -> None:
    """The last ``minutes`` of the simulated shop, so charts show history, not one edge.

    Export bodies of one kind are concatenated (serialized protobuf messages merge by
    concatenation) into requests of about 1 MB, then posted through the real receiver.
    """
    from bongsu.simulate import generate

    start = time.time_ns() - minutes * 60 * 10**9
    pending: dict[str, list[bytes]] = {"traces": [], "metrics": [], "logs": []}

    def flush(kind: str) -> None:
        body = b"".join(pending[kind])
        pending[kind].clear()
        if body:
            status, _, reply = server.post(f"/v1/{kind}", body)
            assert status == 200, reply

    for export in generate(seed=3, start_ns=start, duration_s=minutes * 60 - 10, rate=6):
        pending[export.kind].append(export.body)
        if sum(map(len, pending[export.kind])) >= 1_000_000:
            flush(export.kind)
    for kind in pending:
        flush(kind)
    server.wait_loaded(timeout=120)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    from bongsu.web import static_dir

    if static_dir() is None:
        pytest.skip(
            "web console not built: run `npm ci && npm run build` in web/ (or pip install -e .)"
        )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    if not all(importlib.util.find_spec(m) for m in ("flask", "gunicorn")):
        pytest.skip("the app under the agent needs flask and gunicorn: pip install -e '.[dev]'")
    from server_process import ServerProcess

    data = tmp_path_factory.mktemp("console") / "data"
    server = ServerProcess(data, {"BONGSU_EDGE_MATCH_SECONDS": "1"}).start()
    _backfill(server, minutes=20)
    sim_log = (data.parent / "simulate.log").open("wb")
    # The simulator keeps running for the whole session, so live views move.
    sim = subprocess.Popen(
        [*BONGSU, "simulate", "--endpoint", server.otlp_url, "--rate", "30", "--seed", "7"],
        stdout=sim_log,
        stderr=subprocess.STDOUT,
    )
    app, app_url = _start_slow_app(server.otlp_url, data.parent / "slow_app.log")
    clients = SlowClients(app_url).start()
    try:
        c = Console(url=server.api_url)
        _wait_ready(c, time.monotonic() + 120)
        _wait_in_flight(c, time.monotonic() + 60)
        yield c
    finally:
        clients.stop()
        _stop(app, signal.SIGINT)  # gunicorn's quick shutdown: do not wait for slow requests
        _stop(sim)
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

    def __init__(self) -> None:
        self.items: list[str] = []

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.items.append(f"console: {msg.text}")

    def on_response(self, resp: Any) -> None:
        if resp.status >= 400:
            self.items.append(f"HTTP {resp.status} {resp.url}")

    def on_failed(self, req: Any) -> None:
        # Navigation aborts the previous page's fetches on purpose (AbortController).
        if req.failure != "net::ERR_ABORTED":
            self.items.append(f"failed: {req.url} {req.failure}")

    def check(self) -> None:
        assert not self.items, "\n".join(self.items)


@pytest.fixture
def problems(page: Any) -> Iterator[Problems]:
    p = Problems()
    page.on("console", p.on_console)
    page.on("pageerror", lambda err: p.items.append(f"pageerror: {err}"))
    page.on("response", p.on_response)
    page.on("requestfailed", p.on_failed)
    yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
