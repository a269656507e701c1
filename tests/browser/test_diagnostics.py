"""The console's Diagnostics section against a real server and a real app under the agent.

The app (``APP`` below, Flask's threaded server run by ``bongsu run`` with lock tracking
on) has known evidence in it: two threads deadlocked on two locks, six identical idle
workers, slow requests in flight, a type it leaks on request, twelve sockets left in
CLOSE_WAIT, five open files and a ``sleep`` child. Each test asks for captures from the UI
("Capture now"), waits for the pending row to become the stored capture, and checks that
the analyzer's view shows the figures the API gives — and that those are the app's own.
The last test stops the app: its captures stay listed, the instance marked gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMIUM, Console, Problems
from .test_console import open_page, shot

pytestmark = pytest.mark.timeout(240)

SERVICE = "ledger-api"
IDLE_WORKERS = 6
CLOSE_WAIT = 12
FILES = 5
SLOW_CLIENTS = 2
#: The app runs as this pod of a loopback Kubernetes API server, whose exec runs on this host.
CLUSTER, NAMESPACE, POD = "ledger-lab", "ledger", "ledger-api-5f6c8d9b7-k2x4p"
#: Java programs of the JVM analyzer's tests; Deadlock.java deadlocks two pairs of threads.
JAVA = Path(__file__).resolve().parents[1] / "diagnostics" / "java"

APP = textwrap.dedent('''
    """What the Diagnostics tests look into (run under ``bongsu run``)."""
    import json, os, socket, subprocess, sys, threading, time
    from flask import Flask, request

    app = Flask("ledger")
    ACCOUNTS = threading.Lock()
    LEDGER = threading.Lock()
    CROSSED = threading.Barrier(2)
    IDLE = threading.Event()


    class LeakedBlob(bytes):
        """What /leak keeps: its shallow size is its length, so it tops the types by bytes."""


    KEPT = []


    def debit():
        with ACCOUNTS:
            CROSSED.wait()
            with LEDGER:
                pass


    def credit():
        with LEDGER:
            CROSSED.wait()
            with ACCOUNTS:
                pass


    def idle_worker():
        IDLE.wait()


    @app.get("/slow")
    def slow():
        build_statement(float(request.args.get("seconds", "20")))
        return "done"


    def build_statement(seconds):
        time.sleep(seconds)


    @app.get("/leak")
    def leak():
        n = int(request.args.get("n", "200"))
        KEPT.extend(LeakedBlob(b"%d" % i * 2000) for i in range(n))
        return str(len(KEPT))


    def main():
        directory = os.environ["DIAG_DIR"]
        threading.Thread(target=debit, name="debit-worker", daemon=True).start()
        threading.Thread(target=credit, name="credit-worker", daemon=True).start()
        for i in range(IDLE_N):
            threading.Thread(target=idle_worker, name=f"pool-worker-{i}", daemon=True).start()
        peer = socket.socket()
        peer.bind(("127.0.0.1", 0))
        peer.listen(64)
        left_open = []
        for _ in range(CLOSE_WAIT_N):
            left_open.append(socket.create_connection(peer.getsockname()))
            accepted, _ = peer.accept()
            accepted.close()  # the peer closes; this side never does: CLOSE_WAIT
        files = [open(os.path.join(directory, f"statement-{i}.log"), "a") for i in range(FILES_N)]
        child = subprocess.Popen(["sleep", "600"])
        port = int(os.environ["DIAG_PORT"])
        with open(os.path.join(directory, "ready.json.tmp"), "w") as out:
            json.dump({"pid": os.getpid(), "child": child.pid, "peer": peer.getsockname()[1],
                       "files": [f.name for f in files], "port": port}, out)
        os.rename(os.path.join(directory, "ready.json.tmp"), os.path.join(directory, "ready.json"))
        try:
            app.run(host="127.0.0.1", port=port, threaded=True)
        finally:
            child.kill()


    if __name__ == "__main__":
        main()
''').replace("IDLE_N", str(IDLE_WORKERS)).replace("CLOSE_WAIT_N", str(CLOSE_WAIT)).replace(
    "FILES_N", str(FILES))


@dataclass
class Diag(Console):
    """The server, the app under the agent and what the app says it holds."""

    proc: subprocess.Popen[bytes] | None = None
    ready: dict[str, Any] = field(default_factory=dict)
    instance: str = ""
    otlp: str = ""
    stopping: threading.Event = field(default_factory=threading.Event)

    def app(self, path: str) -> str:
        url = f"http://127.0.0.1:{self.ready['port']}{path}"
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read().decode()

    def stop_app(self) -> None:
        self.stopping.set()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _slow_client(diag: Diag) -> None:
    """Keep one slow request in flight, so thread dumps have requests with traces."""
    while not diag.stopping.is_set():
        try:
            diag.app("/slow?seconds=20")
        except OSError:
            diag.stopping.wait(0.5)


@pytest.fixture(scope="module")
def diag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Diag]:
    from bongsu.web import static_dir

    if static_dir() is None:
        pytest.skip("web console not built: run `npm ci && npm run build` in web/")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
    from server_process import ServerProcess, free_port

    root = tmp_path_factory.mktemp("diagnostics")
    cluster = FakeCluster(name=CLUSTER)
    api = ApiServer(cluster).start()
    kubeconfig = api.kubeconfig(root / f"{CLUSTER}.kubeconfig")
    cluster.put(shapes.namespace(NAMESPACE))
    cluster.put(shapes.node("ledger-node-1", boot_id="5b1f-ledger"))
    dep = cluster.put(shapes.deployment(SERVICE, NAMESPACE, replicas=1, image="ledger:1.0"))
    rs = cluster.put(shapes.replicaset(dep, "5f6c8d9b7", replicas=1))
    spec = shapes.container(SERVICE, "ledger:1.0", cpu_limit="1", memory_limit="256Mi")
    started = time.time() - 600
    cluster.put(shapes.pod(POD, NAMESPACE, node="ledger-node-1", containers=[spec],
                           statuses=[shapes.running(SERVICE, "ledger:1.0", started_at=started)],
                           owner=shapes.owner_ref(rs), started=started,
                           labels={"app": SERVICE, "pod-template-hash": "5f6c8d9b7"}))
    server = ServerProcess(root / "data", {
        "BONGSU_KUBE_CLUSTERS": f"{CLUSTER}:lab={kubeconfig}", "BONGSU_EDGE_MATCH_SECONDS": "1",
        "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "2"}).start()
    (root / "app").mkdir()
    script = root / "app" / "ledger_app.py"
    script.write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BONGSU_", "OTEL_"))}
    env.update({"BONGSU_TRACK_LOCKS": "1", "BONGSU_CONTROL_INTERVAL": "1",
                "BONGSU_ACTIVE_INTERVAL": "1", "DIAG_DIR": str(root / "app"),
                "DIAG_PORT": str(free_port()),
                # Its telemetry names the pod: the server links the two.
                "OTEL_RESOURCE_ATTRIBUTES": f"k8s.pod.name={POD},k8s.namespace.name={NAMESPACE},"
                                            f"k8s.cluster.name={CLUSTER}"})
    d = Diag(url=server.api_url, agent_service=SERVICE, otlp=server.otlp_url)
    log = (root / "app.log").open("wb")
    d.proc = subprocess.Popen(
        [sys.executable, "-m", "bongsu", "run", "--service-name", SERVICE, "--endpoint",
         server.otlp_url, "--", sys.executable, str(script)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root / "app")
    clients: list[threading.Thread] = []
    try:
        deadline = time.monotonic() + 90
        ready = root / "app" / "ready.json"
        while not ready.exists():
            assert d.proc.poll() is None, (root / "app.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the app never became ready"
            time.sleep(0.2)
        d.ready = json.loads(ready.read_text())
        while True:  # the server answers and the agent reports in-flight requests
            try:
                d.app("/leak?n=1")
                break
            except OSError:
                assert time.monotonic() < deadline, "the app never answered"
                time.sleep(0.2)
        clients = [threading.Thread(target=_slow_client, args=(d,), daemon=True)
                   for _ in range(SLOW_CLIENTS)]
        for c in clients:
            c.start()
        while True:
            body = d.get("/api/v1/active-requests", service=SERVICE)
            if body["instances"] and len(body["requests"]) >= SLOW_CLIENTS:
                d.instance = body["instances"][0]
                break
            assert time.monotonic() < deadline, f"the agent never reported: {body}"
            time.sleep(0.5)
        yield d
    finally:
        d.stop_app()
        log.close()
        server.stop()
        api.stop()


def capture_now(page: Any, diag: Diag, kind: str) -> dict[str, Any]:
    """Click "Capture now" for ``kind`` on the Captures page; the pending row must be the
    row that turns into the stored capture. Returns the stored capture from the API."""
    row = f"#diag-instances tr[data-instance='{diag.instance}'][data-live=yes]"
    page.wait_for_selector(f"{row} button[data-kind={kind}]:not([disabled])", timeout=20_000)
    # Record every status each capture row shows, and mark the element first seen.
    page.evaluate(
        """() => { window.__rows = {};
          const seen = () => document.querySelectorAll('#captures-list tr[data-capture-id]')
            .forEach(tr => { const id = tr.dataset.captureId;
              (window.__rows[id] ??= []).push(tr.dataset.status);
              if (tr.__first === undefined) tr.__first = id; });
          seen();
          new MutationObserver(seen).observe(document.getElementById('captures-list-panel'),
            {subtree: true, childList: true, attributes: true,
             attributeFilter: ['data-status']}); }"""
    )
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/captures") and r.request.method == "POST"
    ) as posted:
        page.click(f"{row} button[data-kind={kind}]")
    assert posted.value.status == 202
    capture_id = posted.value.json()["id"]
    done = f"#captures-list tr[data-capture-id='{capture_id}'][data-status=done]"
    try:
        page.wait_for_selector(done, timeout=60_000)
    except Exception as exc:  # say where the capture is (pending: the agent never answered)
        state = diag.get(f"/api/v1/captures/{capture_id}")
        raise AssertionError(f"{kind} capture not shown stored: {state}") from exc
    statuses = page.evaluate(f"() => window.__rows['{capture_id}']")
    assert statuses[0] == "pending" and statuses[-1] == "done", statuses
    # The same row: the element that showed it pending now shows it stored.
    assert page.eval_on_selector(done, "tr => tr.__first") == capture_id
    capture: dict[str, Any] = diag.get(f"/api/v1/captures/{capture_id}")
    assert capture["status"] == "done" and capture["kind"] == kind, capture
    return capture


def test_thread_capture_from_the_captures_page_opens_the_analyzer(
    page: Any, diag: Diag, problems: Problems, screenshots: Path
) -> None:
    open_page(page, diag, "captures", service=SERVICE)
    capture = capture_now(page, diag, "threads")
    cid = capture["id"]
    row = page.locator(f"#captures-list tr[data-capture-id='{cid}']")
    assert row.locator("td.kind").inner_text() == "Threads"
    # Asked from the UI: the trigger says so.
    assert capture["summary"]["trigger"]["reason"] == "request"
    assert row.locator(".badge.trigger").get_attribute("data-trigger") == "request"
    assert row.locator(".badge.trigger").inner_text() == "asked"
    assert row.locator("td.summary").inner_text() == capture["summary"]["headline"]

    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/captures/{cid}")):
        row.click()
    page.wait_for_selector(f"#capture-panel[data-status=done][data-capture-id='{cid}']",
                           timeout=20_000)
    assert "#/threads?" in page.url and f"capture={cid}" in page.url

    analysis = capture["analysis"]
    threads = capture["payload"]["threads"]
    assert analysis["thread_count"] == len(threads)
    assert page.locator("#capture-threads details.thread").count() == len(threads)
    # Groups of identical stacks, biggest first: the six idle workers lead.
    groups = analysis["groups"]
    assert groups[0]["count"] == IDLE_WORKERS, groups[0]
    shown = page.locator("#thread-groups tbody tr")
    assert shown.count() == len(groups)
    assert shown.first.locator("td.count").inner_text() == str(groups[0]["count"])
    assert "idle_worker" in shown.first.locator("td.where").inner_text()
    # The deadlock in plain words, as the API gives it, naming both threads and locks.
    [deadlock] = analysis["deadlocks"]
    assert sorted(deadlock["threads"]) == ["credit-worker", "debit-worker"]
    text = page.inner_text("#thread-deadlocks")
    assert deadlock["message"] in text
    # The lock graph: each lock held by one worker and waited for by the other.
    graph = {g["lock"]: g for g in analysis["lock_graph"]}
    assert set(deadlock["locks"]) <= set(graph)
    for lock in deadlock["locks"]:
        li = page.locator(f"#thread-locks li[data-lock='{lock}']")
        owner, [waiter] = graph[lock]["owner_name"], graph[lock]["waiters"]
        assert f"held by {owner}" in li.inner_text()
        assert f"waited for by {waiter['name']}" in li.inner_text()
        assert {owner, waiter["name"]} == {"credit-worker", "debit-worker"}
    # Each thread serving a request links to its trace.
    serving = [t for t in threads if t["request"]]
    assert len(serving) >= SLOW_CLIENTS, serving
    for t in serving:
        el = page.locator(f"#capture-threads details.thread[data-thread-id='{t['id']}']")
        trace = t["request"]["trace_id"]
        link = el.locator(f"a.trace-link[data-trace-id='{trace}']")
        assert f"#/traces/{trace}?" in (link.get_attribute("href") or "")
        assert el.locator(".frame .fn").first.inner_text() == "build_statement"
    shot(page, screenshots, "thread-dump")
    t = serving[0]
    page.click(f"#capture-threads details.thread[data-thread-id='{t['id']}'] a.trace-link")
    page.wait_for_function("() => location.hash.startsWith('#/traces/')")
    assert page.url.split("#/traces/")[1].startswith(t["request"]["trace_id"])
    problems.check()


def test_thread_dumps_page_captures_the_selected_instance(
    page: Any, diag: Diag, problems: Problems
) -> None:
    open_page(page, diag, "threads", service=SERVICE, instance=diag.instance)
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/captures") and r.request.method == "POST"
    ) as posted:
        page.click("#capture-threads-now")
    assert posted.value.status == 202
    cid = posted.value.json()["id"]
    page.wait_for_selector(f"#capture-panel[data-status=done][data-capture-id='{cid}']",
                           timeout=60_000)
    capture = diag.get(f"/api/v1/captures/{cid}")
    assert capture["instance"] == diag.instance
    assert page.inner_text("#thread-headline") == capture["analysis"]["headline"]
    assert page.inner_text("#capture-summary").startswith(
        f"{capture['analysis']['thread_count']} threads")
    page.wait_for_selector(f"#captures-table tr[data-capture-id='{cid}']")
    problems.check()


def test_memory_compare_puts_the_leaked_type_first(
    page: Any, diag: Diag, problems: Problems, screenshots: Path
) -> None:
    open_page(page, diag, "captures", service=SERVICE)
    base = capture_now(page, diag, "memory")
    assert base["payload"]["tracemalloc"] is None  # tracing off, no window asked for
    diag.app("/leak?n=400")  # 400 blobs of ~2-8 kB each kept
    # The second traces allocations for 5 s first, while the app keeps leaking.
    page.select_option("#memory-window", "5")
    leaking = threading.Event()

    def leak() -> None:
        while not leaking.wait(0.3):
            diag.app("/leak?n=20")

    leaker = threading.Thread(target=leak, daemon=True)
    leaker.start()
    try:
        other = capture_now(page, diag, "memory")
    finally:
        leaking.set()
        leaker.join(timeout=60)
    assert other["payload"]["tracemalloc"]["window_s"] == 5
    compared = diag.get("/api/v1/captures/compare", base=base["id"], other=other["id"])
    first = compared["comparison"]["types"][0]
    assert first["type"].endswith("LeakedBlob"), first
    site = compared["comparison"]["sites"][0]
    assert "ledger_app.py" in site["site"], compared["comparison"]["sites"]

    # A memory row opens the analyzer, comparing it with the capture before it.
    page.click(f"#captures-list tr[data-capture-id='{other['id']}']")
    panel = f"#memory-compare-panel[data-base='{base['id']}'][data-other='{other['id']}']"
    page.wait_for_selector(f"{panel} #compare-types tbody tr", timeout=20_000)
    top = page.locator("#compare-types tbody tr").first
    assert top.locator("td.name").inner_text() == first["type"]
    assert int(top.get_attribute("data-delta-bytes") or 0) == first["bytes_grown"]
    assert top.locator("td.rank").inner_text() == "1"
    top_site = page.locator("#compare-sites tbody tr").first
    assert top_site.locator("td.name").inner_text() == site["site"]
    assert int(top_site.get_attribute("data-delta-bytes") or 0) == site["bytes_grown"]
    assert page.input_value("#compare-base") == base["id"]
    assert page.input_value("#compare-other") == other["id"]
    shot(page, screenshots, "memory-compare")
    problems.check()


def test_network_files_and_processes_views(
    page: Any, diag: Diag, problems: Problems, screenshots: Path
) -> None:
    ready = diag.ready
    open_page(page, diag, "captures", service=SERVICE)
    net = capture_now(page, diag, "network")
    page.click(f"#captures-list tr[data-capture-id='{net['id']}']")
    detail = f"#capture-detail-panel[data-capture-id='{net['id']}'][data-status=done]"
    page.wait_for_selector(f"{detail} #network-view", timeout=20_000)
    by_state = net["payload"]["by_state"]
    assert by_state["CLOSE_WAIT"] == CLOSE_WAIT
    for state, n in by_state.items():
        chip = page.locator(f"#net-by-state .chip[data-state='{state}']")
        assert chip.get_attribute("data-count") == str(n)
    # The pile-up flagged as the analyzer words it, on the app's own peer.
    [flag] = [f for f in net["analysis"]["flags"] if f["state"] == "CLOSE_WAIT"]
    assert flag["endpoint"] == f"127.0.0.1:{ready['peer']}" and flag["count"] == CLOSE_WAIT
    assert flag["message"] in page.inner_text("#net-flags")
    endpoint = page.locator(f"#net-endpoints tr[data-remote='127.0.0.1:{ready['peer']}']")
    assert endpoint.get_attribute("data-total") == str(CLOSE_WAIT)
    assert page.locator("#net-sockets tbody tr").count() == len(net["payload"]["sockets"])
    assert f"127.0.0.1:{ready['port']}" in page.inner_text("#net-listen")
    shot(page, screenshots, "capture-network")

    files = capture_now(page, diag, "files")
    page.click(f"#captures-list tr[data-capture-id='{files['id']}']")
    page.wait_for_selector(f"#capture-detail-panel[data-capture-id='{files['id']}'] #files-view",
                           timeout=20_000)
    meter = page.locator("#files-meter")
    assert meter.get_attribute("data-count") == str(files["payload"]["count"])
    assert meter.get_attribute("data-limit") == str(files["payload"]["limit_soft"])
    table = page.inner_text("#files-table")
    for path in ready["files"]:
        assert path in table
    assert page.locator("#files-table tbody tr").count() == len(files["payload"]["fds"])

    procs = capture_now(page, diag, "processes")
    page.click(f"#captures-list tr[data-capture-id='{procs['id']}']")
    page.wait_for_selector(
        f"#capture-detail-panel[data-capture-id='{procs['id']}'] #processes-view", timeout=20_000)
    child = page.locator(f"#processes-table tr[data-pid='{ready['child']}']")
    assert "sleep 600" in child.inner_text()
    assert page.locator(f"#processes-table tr[data-pid='{ready['pid']}']").count() == 1
    assert page.locator("#processes-table tbody tr").count() == len(procs["payload"]["processes"])
    # A second one shows the CPU and memory movers since the first, as the API compares them.
    again = capture_now(page, diag, "processes")
    page.click(f"#captures-list tr[data-capture-id='{again['id']}']")
    page.wait_for_selector(f"#processes-compare[data-base='{procs['id']}']", timeout=20_000)
    compared = diag.get("/api/v1/captures/compare", base=procs["id"], other=again["id"])
    movers = compared["comparison"]["cpu_movers"]
    assert movers, compared["comparison"]
    assert page.inner_text("#processes-compare-headline") == compared["comparison"]["headline"]
    shown = page.eval_on_selector_all("#processes-cpu-movers tbody tr",
                                      "rows => rows.map(r => r.dataset.pid)")
    assert shown == [str(m["pid"]) for m in movers]

    shot(page, screenshots, "captures")
    # The kind filter asks the API for that kind alone.
    with page.expect_response(lambda r: "/api/v1/captures?" in r.url and "kind=network" in r.url):
        page.click("#kind-filter button[data-kind=network]")
    page.wait_for_function(
        """() => [...document.querySelectorAll('#captures-list tbody tr')]
                   .every(r => r.dataset.kind === 'network')"""
    )
    listed = diag.get("/api/v1/captures", service=SERVICE, kind="network")["captures"]
    assert page.locator("#captures-list tbody tr").count() == len(listed)

    # The URL reproduces the view (the filter and the capture opened), here in Korean.
    assert "kind=network" in page.url
    page.goto(page.url.replace("lang=en", "lang=ko"))
    page.wait_for_selector(
        f"#capture-detail-panel[data-capture-id='{again['id']}'] #processes-view", timeout=20_000)
    page.wait_for_selector("#captures-list tbody tr")
    assert page.locator("#captures-list tbody tr").count() == len(listed)
    assert page.inner_text(".menu-group[data-group=diagnostics] h4") == "진단"
    assert page.inner_text("#kind-filter button[data-kind=network]") == "네트워크"
    assert "지금 수집" in page.inner_text("#diag-instances-panel")
    problems.check()


def test_a_pod_is_captured_without_its_agent(
    page: Any, diag: Diag, problems: Problems
) -> None:
    """Through the Kubernetes exec API of the loopback cluster (the command runs on this
    host as the pod: its /proc is this host's)."""
    deadline = time.monotonic() + 60
    while True:  # the server links the pod to the service from the app's telemetry
        pods = diag.get("/api/v1/kube/pods", service=SERVICE)["pods"]
        linked = [p for p in pods if p["name"] == POD and p["instance"] == diag.instance]
        if linked:
            break
        assert time.monotonic() < deadline, pods
        time.sleep(1)
    open_page(page, diag, "captures", service=SERVICE)
    row = f"#diag-pods tr[data-pod='{POD}'][data-cluster='{CLUSTER}']"
    page.wait_for_selector(row, timeout=20_000)
    assert page.inner_text(f"{row} td.inst") == linked[0]["instance_name"] == POD
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/captures") and r.request.method == "POST"
    ) as posted:
        page.click(f"{row} button[data-kind=processes]")
    assert posted.value.status == 202
    assert posted.value.request.post_data_json == {
        "cluster": CLUSTER, "namespace": NAMESPACE, "pod": POD, "kind": "processes"}
    cid = posted.value.json()["id"]
    # Stored before the answer: its row and its view open at once, under the pod's instance.
    detail = f"#capture-detail-panel[data-capture-id='{cid}'][data-status=done] #processes-view"
    page.wait_for_selector(detail, timeout=30_000)
    capture = diag.get(f"/api/v1/captures/{cid}")
    assert capture["instance"] == diag.instance and capture["kind"] == "processes"
    listed = page.locator(f"#captures-list tr[data-capture-id='{cid}']")
    assert listed.get_attribute("data-instance") == diag.instance
    assert page.locator("#processes-table tbody tr").count() == len(
        capture["payload"]["processes"])
    assert page.locator("#processes-table tr[data-pid='1']").count() == 1
    problems.check()


def test_a_jvm_thread_dump_reads_the_same_way(
    page: Any, diag: Diag, problems: Problems, tmp_path: Path
) -> None:
    """``bongsu capture jvm`` of a real deadlocked Java 17 program, read in the analyzer."""
    subprocess.run(["javac", "-d", str(tmp_path), str(JAVA / "Deadlock.java")], check=True,
                   timeout=180)
    java = subprocess.Popen(["java", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                             "-cp", str(tmp_path), "Deadlock"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert java.stdout is not None and java.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 90
        while True:  # both pairs cross 300 ms after ready: wait until the JVM says so
            text = subprocess.run(["jcmd", str(java.pid), "Thread.print"], capture_output=True,
                                  text=True, timeout=60).stdout
            if "Found 2 deadlocks" in text:
                break
            assert time.monotonic() < deadline, text[-2000:]
            time.sleep(0.5)
        subprocess.run([sys.executable, "-m", "bongsu", "capture", "jvm", "--pid",
                        str(java.pid), "--service", "jvm-ledger", "--server", diag.otlp,
                        "--kinds", "threads"], check=True, timeout=120)
    finally:
        java.kill()
        java.wait(timeout=30)
    [listed] = diag.get("/api/v1/captures", service="jvm-ledger")["captures"]
    capture = diag.get(f"/api/v1/captures/{listed['id']}")
    analysis = capture["analysis"]
    assert capture["format"] == "jvm.thread_print/1"
    assert len(analysis["jvm_deadlocks"]) == 2

    open_page(page, diag, "captures", service="jvm-ledger")
    row = f"#captures-list tr[data-capture-id='{listed['id']}'][data-status=done]"
    page.wait_for_selector(row, timeout=20_000)
    assert page.inner_text(f"{row} td.summary") == capture["summary"]["headline"]
    page.click(row)
    page.wait_for_selector(f"#capture-panel[data-capture-id='{listed['id']}'] #thread-analysis",
                           timeout=20_000)
    assert page.inner_text("#capture-format") == "jvm.thread_print/1"
    assert page.inner_text("#capture-summary").startswith(f"{analysis['thread_count']} threads")
    # The JVM's own deadlock sections, and the wait-for cycles found in the parsed dump.
    found = analysis["deadlocks"] + analysis["jvm_deadlocks"]
    shown = page.locator("#thread-deadlocks .deadlock")
    assert shown.count() == len(found)
    words = page.inner_text("#thread-deadlocks")
    for d in analysis["deadlocks"]:
        assert d["message"] in words
    for d in analysis["jvm_deadlocks"]:
        assert d["text"].splitlines()[0] in words
        assert {"transfer-a", "transfer-b"} <= set(d["threads"]) or {
            "queue-a", "queue-b"} <= set(d["threads"])
    assert page.locator("#thread-groups tbody tr").count() == len(analysis["groups"])
    graph = analysis["lock_graph"]
    assert page.locator("#thread-locks li").count() == len(graph)
    # No thread list of the agent's: the dump's own text, open.
    assert page.locator("#capture-raw[open]").count() == 1
    assert "Found 2 deadlocks" in page.inner_text("#capture-raw pre")
    problems.check()


def test_a_dead_instance_keeps_its_captures(page: Any, diag: Diag, problems: Problems) -> None:
    diag.stop_app()  # SIGTERM: the agent's watchdog sends a last capture before the exit
    deadline = time.monotonic() + 60
    while diag.get("/api/v1/active-requests", service=SERVICE)["instances"]:
        assert time.monotonic() < deadline, "the stopped app still reports"
        time.sleep(1)
    listed = diag.get("/api/v1/captures", service=SERVICE, instance=diag.instance)["captures"]
    last = [c for c in listed
            if ((c.get("summary") or {}).get("trigger") or {}).get("reason") == "sigterm"]
    assert last, [c["summary"] for c in listed]
    open_page(page, diag, "captures", service=SERVICE)
    row = f"#diag-instances tr[data-instance='{diag.instance}'][data-live=no]"
    page.wait_for_selector(row, timeout=20_000)
    assert page.inner_text(f"{row} .badge") == "gone"
    assert page.inner_text(f"{row} td.num") == str(len(listed))
    assert page.locator(f"{row} button").count() == 0
    rows = page.locator(f"#captures-list tbody tr[data-instance='{diag.instance}']")
    assert rows.count() == len(listed)
    sig = page.locator(f"#captures-list tr[data-capture-id='{last[0]['id']}'] .badge.trigger")
    assert sig.get_attribute("data-trigger") == "sigterm" and sig.inner_text() == "SIGTERM"
    problems.check()
