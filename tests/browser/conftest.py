"""A real ``bongsu server`` fed by ``bongsu simulate`` and by a real app under the agent,
and Debian Chromium to look at it.

The server (``tests/server_process.py``), the simulator and ``slow_app.py`` (run by
``bongsu run`` under gunicorn, with clients that keep a few slow requests in flight, so
the Transactions page has live data and thread captures have something to show) run as
subprocesses on free loopback ports with a temporary data directory, once per session.
The simulator also serves two simulated Kubernetes clusters (``--kube``: a private and a
public one, the shop split between them) whose kubeconfigs and ingress endpoints the
server is started with. Two more clusters sit beside them: one that cannot be reached,
and ``edge-lab``, served here on loopback with the simulator's API server, where the app
under the agent runs as a pod and is OOM-killed once the server has linked the pod to
its telemetry (the simulated shop's leaking pod takes 36-116 minutes to reach its
limit). Every page sees that same world.
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
#: A third cluster, on a port nothing listens on.
UNREACHABLE = "standby"
#: A fourth, served by the tests: the app under the agent runs there as this pod.
EDGE, EDGE_LABEL, EDGE_NAMESPACE = "edge-lab", "edge", "reports"
EDGE_POD = "report-api-6c9f7d8b5-q7x2m"
MIB = 1 << 20
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
    #: The simulated Kubernetes clusters the server watches, name → label.
    clusters: dict[str, str] = field(default_factory=dict)
    #: A cluster the server is told to watch that cannot be reached.
    unreachable: str = UNREACHABLE
    #: The cluster served by the tests, where the agent's app runs as ``EDGE_POD``.
    edge: str = EDGE

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


def kube_labels() -> dict[str, str]:
    """The simulated shop's clusters, name → label (``private`` / ``public``)."""
    from bongsu.simulate._topology import SITES

    return {site.name: site.label for site in SITES}


def _kube_specs(kube_dir: Path, deadline: float) -> tuple[list[str], list[str]]:
    """The ``--kube`` and ``--kube-ingress`` specs of the clusters ``bongsu simulate
    --kube`` serves, once it has written their kubeconfigs (``<dir>/<name>.kubeconfig``)
    and ingress endpoints (``<dir>/<name>.ingress``), and one for a cluster nobody serves."""
    from server_process import free_port

    labels = kube_labels()
    while time.monotonic() < deadline:
        found = {p.stem: p for p in kube_dir.glob("*.kubeconfig")} if kube_dir.is_dir() else {}
        if set(labels) <= set(found):
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"bongsu simulate --kube wrote no kubeconfigs into {kube_dir}")
    clusters = [f"{name}:{label}={found[name]}" for name, label in labels.items()]
    ingress = [
        f"{name}={(kube_dir / f'{name}.ingress').read_text().strip()}"
        for name in labels
        if (kube_dir / f"{name}.ingress").is_file()
    ]
    # A kubeconfig (JSON is YAML) for an API server on a port nothing listens on.
    dead = kube_dir.parent / f"{UNREACHABLE}.kubeconfig"
    dead.write_text(json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": UNREACHABLE, "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "viewer", "user": {"token": "none"}}],
        "contexts": [{"name": UNREACHABLE, "context": {"cluster": UNREACHABLE, "user": "viewer"}}],
        "current-context": UNREACHABLE,
    }))
    clusters.append(f"{UNREACHABLE}:public={dead}")
    return clusters, ingress


class EdgeCluster:
    """``edge-lab``: one node and the slow app's Deployment and pod, served on loopback by
    the simulator's API server; :meth:`oom_kill` records an OOM kill in the pod's status,
    as the kubelet does (no Event says OOMKilled)."""

    def __init__(self, kubeconfig: Path) -> None:
        from bongsu.simulate.kube import ApiServer, FakeCluster, shapes

        self.shapes = shapes
        self.cluster = FakeCluster(name=EDGE)
        self.server = ApiServer(self.cluster).start()
        self.kubeconfig = self.server.kubeconfig(kubeconfig)
        now = time.time()
        self.cluster.put(shapes.namespace(EDGE_NAMESPACE))
        self.node = self.cluster.put(shapes.node("edge-node-1", boot_id="8d1e0c6a-edge"))
        dep = self.cluster.put(shapes.deployment(AGENT_SERVICE, EDGE_NAMESPACE, replicas=1,
                                                 image="ghcr.io/shop/report-api:2.3.1"))
        self.rs = self.cluster.put(shapes.replicaset(dep, "6c9f7d8b5", replicas=1))
        self.spec = shapes.container(AGENT_SERVICE, "ghcr.io/shop/report-api:2.3.1",
                                     cpu_limit="1", memory_limit="256Mi")
        self.started = now - 3600
        self._put_pod(shapes.running(AGENT_SERVICE, self.spec["image"], started_at=self.started))
        self.cluster.put(shapes.pod_metrics(EDGE_POD, EDGE_NAMESPACE,
                                            {AGENT_SERVICE: (0.05, 180 * MIB)}))

    def _put_pod(self, status: dict[str, Any]) -> None:
        self.cluster.put(self.shapes.pod(
            EDGE_POD, EDGE_NAMESPACE, node="edge-node-1", containers=[self.spec],
            statuses=[status], owner=self.shapes.owner_ref(self.rs),
            labels={"app": AGENT_SERVICE, "pod-template-hash": "6c9f7d8b5"},
            started=self.started))

    def oom_kill(self) -> None:
        """The container ended OOMKilled (137) now and runs again: restartCount 1."""
        shapes, now = self.shapes, time.time()
        ended = shapes.terminated("OOMKilled", 137, started_at=self.started, finished_at=now,
                                  container_id=shapes.container_id(f"{EDGE_POD}/1"))
        self._put_pod(shapes.running(AGENT_SERVICE, self.spec["image"], started_at=now,
                                     restarts=1, last=ended,
                                     cid=shapes.container_id(f"{EDGE_POD}/2")))

    def stop(self) -> None:
        self.server.stop()


def _oom_kill_the_linked_pod(console: Console, edge: EdgeCluster, deadline: float) -> None:
    """Once the server links the edge pod to the agent's service, OOM-kill it, and wait for
    the episode (an episode takes its service from the link when it is opened)."""
    last = ""
    killed = False
    while time.monotonic() < deadline:
        try:
            if not killed:
                pods = console.get("/api/v1/kube/pods", cluster=EDGE)["pods"]
                if any(p["name"] == EDGE_POD and p["service"] == AGENT_SERVICE for p in pods):
                    edge.oom_kill()
                    killed = True
                last = f"edge pods {[(p['name'], p['service']) for p in pods]}"
            else:
                events = console.get("/api/v1/events", cluster=EDGE, kind="oom_killed")["events"]
                if any(e["service"] == AGENT_SERVICE and e["pod"] == EDGE_POD for e in events):
                    return
                last = f"OOM-killed, episodes {[(e['pod'], e['service']) for e in events]}"
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise RuntimeError(f"the edge pod's OOM kill never became an episode: {last}")


def _wait_kube(console: Console, deadline: float) -> None:
    """Until the simulated clusters are connected, the dead one is marked unreachable,
    episodes of several kinds, a critical one among them, are queryable and each
    simulated cluster's ingress traffic is measured."""
    last = ""
    labels = kube_labels()
    while time.monotonic() < deadline:
        try:
            clusters = {c["name"]: c for c in console.get("/api/v1/kube/clusters")["clusters"]}
            states = {name: c["state"] for name, c in clusters.items()}
            events = console.get("/api/v1/events", limit=500)["events"]
            kinds = {e["kind"] for e in events}
            routes = console.get("/api/v1/kube/ingresses")["routes"]
            measured = {r["cluster"] for r in routes if r["requests_per_s"] is not None}
            if (
                all(states.get(name) == "connected" for name in labels)
                and states.get(UNREACHABLE) == "unreachable"
                and any(e["severity"] == "critical" for e in events)
                and len(kinds) >= 3
                and set(labels) <= measured
            ):
                console.clusters = labels
                return
            last = (f"clusters {states}, episode kinds {sorted(kinds)}, "
                    f"routes measured in {sorted(measured)}")
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            last = repr(exc)
        time.sleep(1)
    raise RuntimeError(f"the server never showed the simulated clusters: {last}")


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
    # It runs as a pod of the edge cluster: its telemetry names the pod, so the server
    # links the two.
    env["OTEL_RESOURCE_ATTRIBUTES"] = (
        f"k8s.pod.name={EDGE_POD},k8s.namespace.name={EDGE_NAMESPACE},k8s.cluster.name={EDGE}"
    )
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
    # Ingress scrapes, usage and pod state every 2 s (15 s / 15 s / 60 s by default), so
    # rates and replicas are measured within seconds of the start.
    server = ServerProcess(data, {"BONGSU_EDGE_MATCH_SECONDS": "1",
                                  "BONGSU_KUBE_SCRAPE_INTERVAL_SECONDS": "2",
                                  "BONGSU_KUBE_USAGE_INTERVAL_SECONDS": "2",
                                  "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "2"})
    kube_dir = data.parent / "kube"
    sim_log = (data.parent / "simulate.log").open("wb")
    # The simulator keeps running for the whole session, so live views move. It starts
    # first: the server reads the kubeconfigs it writes at start-up (its OTLP sends
    # before the server is up fail and are dropped, as for any SDK).
    sim = subprocess.Popen(
        [*BONGSU, "simulate", "--endpoint", server.otlp_url, "--rate", "30", "--seed", "7",
         "--kube", "--kube-dir", str(kube_dir)],
        stdout=sim_log,
        stderr=subprocess.STDOUT,
    )
    app: subprocess.Popen[bytes] | None = None
    clients: SlowClients | None = None
    edge: EdgeCluster | None = None
    try:
        kube, ingress = _kube_specs(kube_dir, time.monotonic() + 60)
        edge = EdgeCluster(data.parent / f"{EDGE}.kubeconfig")
        kube.append(f"{EDGE}:{EDGE_LABEL}={edge.kubeconfig}")
        server.env.update({"BONGSU_KUBE_CLUSTERS": ",".join(kube),
                           "BONGSU_KUBE_INGRESS": ",".join(ingress)})
        server.start()
        _backfill(server, minutes=20)
        app, app_url = _start_slow_app(server.otlp_url, data.parent / "slow_app.log")
        clients = SlowClients(app_url).start()
        c = Console(url=server.api_url)
        _wait_ready(c, time.monotonic() + 120)
        _wait_in_flight(c, time.monotonic() + 60)
        _wait_kube(c, time.monotonic() + 120)
        _oom_kill_the_linked_pod(c, edge, time.monotonic() + 90)
        yield c
    finally:
        if clients:
            clients.stop()
        if app:
            _stop(app, signal.SIGINT)  # gunicorn's quick shutdown: do not wait for slow requests
        _stop(sim)
        sim_log.close()
        server.stop()
        if edge:
            edge.stop()


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
    # With the stack: a page error seen once under load is found from the report alone.
    page.on("pageerror", lambda err: p.items.append(f"pageerror: {err}\n{err.stack}"))
    page.on("response", p.on_response)
    page.on("requestfailed", p.on_failed)
    yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
