"""Captures inside a pod through the Kubernetes exec API (bongsu.diagnostics.pod_exec).

The loopback API server (``bongsu.simulate.kube``) serves ``pods/NAME/exec`` over a
WebSocket as a real one does, running the command on this host as "the pod": the official
Python client and the real ``kubectl exec`` both talk to it, and ``jcmd`` in "the pod"
reaches a real Java 17 program. What is checked is what the user gets back: the parsed
dump, the class counts, the program's socket and file, and the plain errors.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from bongsu.diagnostics import analyze
from bongsu.diagnostics.host import CaptureError
from bongsu.diagnostics.jvm import parse_class_histogram, parse_thread_print
from bongsu.diagnostics.pod_exec import ExecResult, capture_pod, exec_in_pod
from bongsu.diagnostics.procfs import LocalProc, files
from bongsu.kube.config import ClusterSpec
from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
from diagnostics.java.programs import (  # noqa: F401 (fixtures)
    JavaProgram,
    java_classes_fixture,
    java_program_fixture,
    wait_for_deadlocks,
)
from server_process import ServerProcess

Start = Callable[..., JavaProgram]
NS = "shop"
ALL = ["threads", "memory", "network", "files", "processes"]


class Cluster:
    """A simulated cluster on loopback with pods to exec into."""

    def __init__(self, tmp_path: Path) -> None:
        self.cluster = FakeCluster(name="kind")
        self.server = ApiServer(self.cluster).start()
        self.kubeconfig = self.server.kubeconfig(tmp_path / "kind.kubeconfig")
        self.spec = ClusterSpec("kind", None, self.kubeconfig)
        self.tmp_path = tmp_path

    def pod(self, name: str, *containers: str, phase: str = "Running",
            env: dict[str, str] | None = None) -> None:
        specs = [{"name": c, "image": f"ghcr.io/shop/{c}:1",
                  "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}
                 for c in containers]
        self.cluster.put(shapes.pod(name, NS, node="node-1", containers=specs, phase=phase))

    def core(self) -> k8s.CoreV1Api:
        api = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig), persist_config=False)
        return k8s.CoreV1Api(api)


@pytest.fixture
def kind(tmp_path: Path) -> Iterator[Cluster]:
    served = Cluster(tmp_path)
    yield served
    served.server.stop()


def test_exec_protocol_with_the_official_client(kind: Cluster) -> None:
    kind.pod("web-0", "web", env={"SHOP_REGION": "seoul"})
    kind.pod("two-0", "web", "sidecar")
    kind.pod("done-0", "job", phase="Succeeded")
    core = kind.core()

    ran = exec_in_pod(core, NS, "web-0", None,
                      ["sh", "-c", "echo out $SHOP_REGION; echo err >&2; exit 3"])
    assert (ran.stdout, ran.stderr, ran.exit_code) == ("out seoul\n", "err\n", 3)
    assert "exit code 3" in ran.message
    # Output larger than one frame arrives whole and in order.
    big = exec_in_pod(core, NS, "web-0", "web", ["seq", "1", "200000"])
    assert big.exit_code == 0 and big.stdout.split() == [str(i) for i in range(1, 200001)]
    missing = exec_in_pod(core, NS, "web-0", None, ["no-such-tool", "-l"])
    assert missing.exit_code is None
    assert 'exec: "no-such-tool": executable file not found in $PATH' in missing.message

    refusals = {
        ("nope-0", None): 'exec in shop/nope-0: pods "nope-0" not found',
        ("two-0", None): "a container name must be specified for pod two-0, choose one of: "
                         "[web sidecar]",
        ("web-0", "db"): "container db is not valid for pod web-0",
        ("done-0", None): "cannot exec into a container in a completed pod; current phase "
                          "is Succeeded",
    }
    for (pod, container), message in refusals.items():
        with pytest.raises(CaptureError) as caught:
            exec_in_pod(core, NS, pod, container, ["true"])
        assert message in str(caught.value)
    execs = [r for r in kind.server.requests if r.path.endswith("/exec")]
    assert len(execs) == 3 + len(refusals)


def test_stopping_the_server_ends_a_running_exec(kind: Cluster) -> None:
    kind.pod("web-0", "web")
    core = kind.core()
    ended: list[BaseException | ExecResult] = []  # what the caller got back

    def run() -> None:
        try:
            ended.append(exec_in_pod(core, NS, "web-0", None, ["sleep", "300"], timeout_s=120))
        except BaseException as exc:  # what the caller sees when the server goes away
            ended.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 30
    while not kind.server.exec_children:
        assert time.monotonic() < deadline, "the exec never started its command"
        time.sleep(0.05)
    child = next(iter(kind.server.exec_children))
    started = time.monotonic()
    kind.server.stop()
    runner.join(60)
    assert not runner.is_alive() and child.poll() is not None
    assert time.monotonic() - started < 30  # not the 300 s the command would have slept
    assert len(ended) == 1 and isinstance(ended[0], CaptureError)
    assert str(ended[0]).startswith("exec in shop/web-0: the connection was lost while sleep ran")


def test_kubectl_exec_against_the_simulated_server(kind: Cluster, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH: run scripts/setup.sh (installs kubernetes-client)"
    kind.pod("web-0", "web")
    env = {**os.environ, "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path / "cache")}
    done = subprocess.run([kubectl, "--kubeconfig", str(kind.kubeconfig), "-n", NS, "exec",
                           "web-0", "--", "sh", "-c", "echo from-pod; echo oops >&2; exit 4"],
                          capture_output=True, text=True, timeout=60, env=env, check=False)
    assert done.returncode == 4, done.stderr
    assert done.stdout == "from-pod\n"
    assert done.stderr == "oops\ncommand terminated with exit code 4\n"


def test_capture_pod_of_a_jvm(kind: Cluster, java_program: Start, tmp_path: Path) -> None:
    kept = tmp_path / "ledger.txt"
    kept.write_text("kept open by the JVM\n")
    program = java_program("Grow", str(kept))
    port = int(program.ready.split()[1])
    program.send("grow 30000")
    program.expect("grown 30000")
    kind.pod("orders-0", "orders")

    result = capture_pod(kind.spec, NS, "orders-0", "orders", ALL, pid=program.pid)
    assert result.errors == {}
    docs = {d["kind"]: d for d in result.documents}
    assert [d["format"] for d in result.documents] == [
        "jvm.thread_print/1", "jvm.class_histogram/1", "bongsu.network/1", "bongsu.files/1",
        "bongsu.processes/1"]
    for doc in result.documents:
        assert doc["pid"] == program.pid and doc["host"] == "orders-0"
        assert doc["runtime"].startswith("java 17.")
        assert doc["trigger"]["reason"] == "request"

    threads = {t["name"]: t for t in parse_thread_print(docs["threads"]["text"])["threads"]}
    assert threads["main"]["state"] == "io"  # RUNNABLE, reading stdin
    assert threads["main"]["stack"][0]["function"] == "Grow.main"
    types = {t["type"]: t for t in parse_class_histogram(docs["memory"]["text"])["types"]}
    assert types["Grow$LeakedOrder"]["count"] == 30000

    listening = [s for s in docs["network"]["listen"] if s["local"].endswith(f":{port}")]
    assert [s["proto"] for s in listening] == ["tcp6"]
    # The fds read in the pod are the ones this host's /proc shows for the program.
    local = files(LocalProc(), program.pid)
    assert docs["files"]["fds"] == local["fds"] and docs["files"]["count"] == local["count"]
    assert {"fd": next(f["fd"] for f in local["fds"] if f["path"] == str(kept)),
            "type": "file", "path": str(kept)} in docs["files"]["fds"]
    mine = docs["processes"]["processes"][0]
    assert (mine["pid"], mine["name"]) == (program.pid, "java")
    assert "Grow" in mine["cmdline"] and mine["rss_bytes"] > 10 << 20


def test_capture_pod_deadlock_analyzed(kind: Cluster, java_program: Start) -> None:
    program = java_program("Deadlock")
    wait_for_deadlocks(program.pid, 2)
    kind.pod("ledger-0", "ledger")
    result = capture_pod(kind.spec, NS, "ledger-0", None, ["threads"], pid=program.pid)
    assert result.errors == {}
    analysis: Any = analyze(result.documents[0])
    cycles = sorted(sorted(d["threads"]) for d in analysis["deadlocks"])
    assert cycles == [["queue-a", "queue-b"], ["transfer-a", "transfer-b"]]
    jvm = sorted(sorted(d["threads"]) for d in analysis["jvm_deadlocks"])
    assert jvm == cycles


def test_capture_pod_without_a_jvm(kind: Cluster, java_program: Start, tmp_path: Path) -> None:
    # An agent-less, non-Java "pod": a Python HTTP server on a known port.
    server = subprocess.Popen(["python3", "-m", "http.server", "0", "--bind", "127.0.0.1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=tmp_path)
    # A JVM killed with SIGKILL leaves /tmp/hsperfdata_USER/PID behind; here one names the
    # Python server's pid, so `jcmd -l` lists it as a JVM. `jcmd PID` would SIGQUIT it.
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    jvm = java_program("Grow", str(kept))
    perf = Path(tempfile.gettempdir()) / f"hsperfdata_{getpass.getuser()}"
    stale = perf / str(server.pid)
    try:
        shutil.copyfile(perf / str(jvm.pid), stale)
        listed = subprocess.run(["jcmd", "-l"], capture_output=True, text=True, timeout=60,
                                check=True).stdout
        assert f"{server.pid} Grow {kept}" in listed.splitlines()
        assert server.stdout is not None
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        port = int(line.split(" port ")[1].split()[0])
        kind.pod("static-0", "static")
        result = capture_pod(kind.spec, NS, "static-0", None, ALL, pid=server.pid)
        not_java = f"pid {server.pid} is not a JVM (no libjvm.so in /proc/{server.pid}/maps)"
        assert result.errors == {"threads": not_java, "memory": not_java}
        assert server.poll() is None, "the non-JVM process was signalled"
        docs = {d["kind"]: d for d in result.documents}
        assert sorted(docs) == ["files", "network", "processes"]
        assert docs["network"]["listen"] == [{"proto": "tcp", "local": f"127.0.0.1:{port}"}]
        assert docs["processes"]["processes"][0]["pid"] == server.pid

        # A pid that is not in "the container", and a kind that does not exist.
        gone = subprocess.Popen(["true"])
        gone.wait()
        result = capture_pod(kind.spec, NS, "static-0", None, ["files"], pid=gone.pid)
        assert result.errors == {"files": f"no process {gone.pid} in the container"}
        # An image with neither a JDK nor a shell (PATH leads nowhere in this container).
        kind.pod("distroless-0", "app", env={"PATH": str(tmp_path / "empty")})
        result = capture_pod(kind.spec, NS, "distroless-0", None, ALL, pid=server.pid)
        no_jdk = "no jcmd in the container's image (a JDK, not a JRE, has it)"
        assert result.errors == {"threads": no_jdk, "memory": no_jdk,
                                 "network": "no sh in the container's image",
                                 "files": "no sh in the container's image",
                                 "processes": "no sh in the container's image"}
        assert result.documents == []
        with pytest.raises(CaptureError, match="kind: heap not one of"):
            capture_pod(kind.spec, NS, "static-0", None, ["heap"])
    finally:
        stale.unlink(missing_ok=True)
        server.kill()
        server.wait()


def _post(server: ServerProcess, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(server.api_url + "/api/v1/captures",
                                     json.dumps(body).encode(),
                                     {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_pod_capture_through_the_api(kind: Cluster, java_program: Start, server_factory: Any,
                                     tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    program = java_program("Grow", str(kept))
    program.send("grow 40000")
    program.expect("grown 40000")
    kind.pod("orders-7d9f-x2k4q", "orders")
    server = server_factory({"BONGSU_KUBE_CLUSTERS": f"kind={kind.kubeconfig}"}).start()
    pod = {"cluster": "kind", "namespace": NS, "pod": "orders-7d9f-x2k4q"}

    ids = {}
    for what in ("memory", "threads", "network"):
        status, body = _post(server, {**pod, "kind": what, "args": {"pid": program.pid}})
        assert (status, body["status"]) == (202, "done"), body
        ids[what] = body["id"]
    status, one = server.api(f"/api/v1/captures/{ids['memory']}")
    assert status == 200, one
    assert (one["kind"], one["format"], one["status"]) == ("memory", "jvm.class_histogram/1",
                                                           "done")
    assert one["instance"] == "orders-7d9f-x2k4q"
    assert (one["payload"]["host"], one["payload"]["pid"]) == ("orders-7d9f-x2k4q", program.pid)
    # What the memory analyzer shows first: the class the program keeps, 40,000 of them.
    first = one["analysis"]["top_types"][0]
    assert (first["type"], first["count"]) == ("Grow$LeakedOrder", 40000)
    status, threads = server.api(f"/api/v1/captures/{ids['threads']}")
    assert status == 200 and threads["format"] == "jvm.thread_print/1"
    assert threads["analysis"]["thread_count"] == len(
        parse_thread_print(threads["payload"]["text"])["threads"])
    status, network = server.api(f"/api/v1/captures/{ids['network']}")
    assert status == 200 and network["format"] == "bongsu.network/1"
    port = int(program.ready.split()[1])
    assert [s["local"] for s in network["payload"]["listen"] if s["proto"] == "tcp6"] == [
        next(s["local"] for s in network["payload"]["sockets"] if s["state"] == "LISTEN"
             and s["local"].endswith(f":{port}"))]
    status, listed = server.api("/api/v1/captures?instance=orders-7d9f-x2k4q")
    assert status == 200
    assert sorted(r["kind"] for r in listed["captures"]) == ["memory", "network", "threads"]

    other = subprocess.Popen(["sleep", "300"])  # not a JVM
    refusals = [
        ({**pod, "cluster": "paris", "kind": "threads"}, 400,
         "cluster: no cluster 'paris' is watched (watched: 'kind')"),
        ({**pod, "pod": "gone-0", "kind": "threads"}, 404,
         'pod: exec in shop/gone-0: pods "gone-0" not found'),
        ({**pod, "kind": "threads", "args": {"pid": other.pid}}, 400,
         f"kind: threads cannot be taken in shop/orders-7d9f-x2k4q: pid {other.pid} is not a "
         f"JVM (no libjvm.so in /proc/{other.pid}/maps)"),
        ({**pod, "kind": "memory", "args": {"window_s": 5}}, 400,
         "args.window_s: only for an agent's memory capture"),
        ({"service": "orders", "instance": "i-1", "kind": "threads", "args": {"pid": 3}}, 400,
         "args.pid: only for a pod's capture (with cluster)"),
        ({"cluster": "kind", "pod": "x", "kind": "threads"}, 400,
         "namespace: required for a pod's capture"),
    ]
    try:
        for body, code, message in refusals:
            status, answer = _post(server, body)
            assert (status, answer) == (code, {"detail": message}), body
        assert other.poll() is None  # not signalled
    finally:
        other.kill()
        other.wait()


def test_a_pod_capture_on_a_stopped_cluster_is_a_503_saying_why(kind: Cluster,
                                                                server_factory: Any) -> None:
    kind.pod("orders-7d9f-x2k4q", "orders")
    server = server_factory({"BONGSU_KUBE_CLUSTERS": f"kind={kind.kubeconfig}"}).start()
    kind.server.stop()  # the cluster goes away: its API server's port refuses connections
    status, answer = _post(server, {"cluster": "kind", "namespace": NS,
                                    "pod": "orders-7d9f-x2k4q", "kind": "threads"})
    assert status == 503, answer
    assert answer == {"detail": "cluster: 'kind' is unreachable (exec in "
                                "shop/orders-7d9f-x2k4q: [Errno 111] Connection refused)"}
    status, listed = server.api("/api/v1/captures?instance=orders-7d9f-x2k4q")
    assert (status, listed["captures"]) == (200, [])  # nothing stored
    status, spec = server.api("/openapi.json")
    assert status == 200
    described = spec["paths"]["/api/v1/captures"]["post"]["responses"]["503"]
    assert described["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}
