"""The real ``kubectl`` against the simulated API server: what it prints is what a cluster shows.

kubectl is whatever is on PATH (``scripts/setup.sh`` installs Debian's
``kubernetes-client`` when there is none); it discovers the API (aggregated discovery
on 1.30+), asks for server-side Tables and watches with chunked JSON, so these tests
keep the simulation honest about the protocol.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bongsu.simulate.kube import EventRecorder, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg
from kube.conftest import ServedCluster
from kube.test_apiserver import NS, _pod, _populate

TIMEOUT_S = 30


@pytest.fixture
def kubectl(fake_cluster: ServedCluster, tmp_path: Path) -> list[str]:
    exe = shutil.which("kubectl")
    assert exe, "kubectl is not on PATH: run scripts/setup.sh (installs kubernetes-client)"
    return [exe, "--kubeconfig", str(fake_cluster.kubeconfig), "--request-timeout=20s"]


def _env(tmp_path: Path) -> dict[str, str]:
    # A HOME of its own: no discovery cache carried over from another test's server.
    return {**os.environ, "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path / "cache")}


def _run(kubectl: list[str], tmp_path: Path, *args: str) -> list[list[str]]:
    done = subprocess.run([*kubectl, *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=_env(tmp_path), check=False)
    assert done.returncode == 0, done.stderr
    return [line.split() for line in done.stdout.splitlines() if line.strip()]


def _incidents(cluster: FakeCluster) -> None:
    _populate(cluster)
    pod = cluster.get("v1", "Pod", NS, "web-5d8f7c9b4-a1b2c")
    assert pod is not None
    EventRecorder(cluster, shapes.KUBELET, host="node-1").record(
        pod, "Warning", "BackOff",
        msg.backoff_restart("web", pod["metadata"]["name"], NS, pod["metadata"]["uid"]),
        field_path="spec.containers{web}")
    EventRecorder(cluster, shapes.SCHEDULER, series=True).record(
        pod, "Normal", "Scheduled", msg.scheduled(NS, pod["metadata"]["name"], "node-1"))
    crashing = _pod("web-5d8f7c9b4-crash")
    crashing["status"]["containerStatuses"] = [shapes.waiting(
        "web", "ghcr.io/shop/web:1.2.0", "CrashLoopBackOff", restarts=7)]
    crashing["status"]["phase"] = "Running"
    cluster.put(crashing)


def test_get_pods_all_namespaces(fake_cluster: ServedCluster, kubectl: list[str],
                                 tmp_path: Path) -> None:
    _incidents(fake_cluster.cluster)
    rows = _run(kubectl, tmp_path, "get", "pods", "-A")
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"web-5d8f7c9b4-a1b2c", "web-5d8f7c9b4-d3e4f", "web-5d8f7c9b4-crash"}
    assert by_name["web-5d8f7c9b4-a1b2c"][:5] == ["shop", "web-5d8f7c9b4-a1b2c", "1/1",
                                                   "Running", "1"]
    assert by_name["web-5d8f7c9b4-crash"][2:5] == ["0/1", "CrashLoopBackOff", "7"]
    # kubectl took the aggregated discovery: no request per group version.
    paths = [r.path for r in fake_cluster.server.requests]
    assert "/api" in paths and "/apis" in paths
    assert not [p for p in paths if p.startswith("/apis/") and p.count("/") == 3]


def test_get_events_all_namespaces(fake_cluster: ServedCluster, kubectl: list[str],
                                   tmp_path: Path) -> None:
    _incidents(fake_cluster.cluster)
    rows = _run(kubectl, tmp_path, "get", "events", "-A")
    assert rows[0] == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    by_reason = {r[3]: r for r in rows[1:]}
    assert by_reason["BackOff"][2] == "Warning"
    assert by_reason["BackOff"][4] == "pod/web-5d8f7c9b4-a1b2c"
    assert " ".join(by_reason["BackOff"][5:]).startswith(
        "Back-off restarting failed container web in pod web-5d8f7c9b4-a1b2c_shop(")
    # A scheduler event has no lastTimestamp: kubectl's LAST SEEN comes from eventTime.
    assert by_reason["Scheduled"][1] != "<unknown>"
    assert " ".join(by_reason["Scheduled"][5:]) == (
        "Successfully assigned shop/web-5d8f7c9b4-a1b2c to node-1")


def test_get_nodes(fake_cluster: ServedCluster, kubectl: list[str], tmp_path: Path) -> None:
    cluster = fake_cluster.cluster
    _populate(cluster)
    cluster.put(shapes.node("node-2", ready=False, boot_id="b2", created=time.time() - 7200,
                            labels={"node-role.kubernetes.io/worker": ""}))
    rows = _run(kubectl, tmp_path, "get", "nodes")
    assert rows[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows[1][:3] == ["node-1", "Ready", "<none>"] and rows[1][4] == "v1.30.5"
    assert rows[2][:4] == ["node-2", "NotReady", "worker", "120m"]


def test_get_workloads_autoscalers_and_ingresses(fake_cluster: ServedCluster,
                                                 kubectl: list[str], tmp_path: Path) -> None:
    _populate(fake_cluster.cluster)
    rows = _run(kubectl, tmp_path, "get", "deploy,hpa,ingress", "-A")
    names = [r[1] for r in rows if r[0] == "shop"]
    assert names == ["deployment.apps/web", "horizontalpodautoscaler.autoscaling/web",
                     "ingress.networking.k8s.io/web"]
    dep = next(r for r in rows if r[1] == "deployment.apps/web")
    assert dep[2:5] == ["2/2", "2", "2"]
    hpa = next(r for r in rows if r[1].startswith("horizontalpodautoscaler"))
    assert hpa[2:7] == ["Deployment/web", "cpu:", "91%/70%", "2", "6"]
    ing = next(r for r in rows if r[1].startswith("ingress"))
    assert ing[2:4] == ["nginx", "shop.example"]


def test_top_reads_metrics(fake_cluster: ServedCluster, kubectl: list[str],
                           tmp_path: Path) -> None:
    _populate(fake_cluster.cluster)
    rows = _run(kubectl, tmp_path, "top", "pods", "-n", NS)
    assert rows == [["NAME", "CPU(cores)", "MEMORY(bytes)"], ["web-5d8f7c9b4-a1b2c", "153m",
                                                             "200Mi"]]


def test_watch_sees_a_pod_change(fake_cluster: ServedCluster, kubectl: list[str],
                                 tmp_path: Path) -> None:
    cluster = fake_cluster.cluster
    _populate(cluster)
    proc = subprocess.Popen([*kubectl, "get", "pods", "-n", NS, "--watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(tmp_path))
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        first = [lines.get(timeout=TIMEOUT_S).split() for _ in range(3)]
        assert first[0][:3] == ["NAME", "READY", "STATUS"]
        assert {r[0] for r in first[1:]} == {"web-5d8f7c9b4-a1b2c", "web-5d8f7c9b4-d3e4f"}
        while not fake_cluster.server.watches("/pods"):  # kubectl listed, now it watches
            time.sleep(0.05)

        def crash(pod: dict[str, Any]) -> None:
            pod["status"]["containerStatuses"] = [
                shapes.waiting("web", "ghcr.io/shop/web:1.2.0", "CrashLoopBackOff",
                               restarts=3)]

        cluster.update("v1", "Pod", NS, "web-5d8f7c9b4-d3e4f", crash)
        changed = lines.get(timeout=TIMEOUT_S).split()
        assert changed[:4] == ["web-5d8f7c9b4-d3e4f", "0/1", "CrashLoopBackOff", "3"]
        cluster.put(_pod("web-5d8f7c9b4-n3w00"))
        added = lines.get(timeout=TIMEOUT_S).split()
        assert added[:3] == ["web-5d8f7c9b4-n3w00", "1/1", "Running"]
    finally:
        proc.kill()
        proc.wait(TIMEOUT_S)
        reader.join(TIMEOUT_S)
        assert proc.stderr is not None
        proc.stderr.close()
