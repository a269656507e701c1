"""Captures inside a pod through the Kubernetes exec API: ``jcmd`` and ``/proc``, no agent.

:func:`capture_pod` runs, in the pod's container, ``cat /proc/PID/maps`` and ``jcmd -l``
(does PID run a JVM jcmd can reach? ``jcmd PID ...`` against a non-JVM would SIGQUIT it),
``jcmd PID Thread.print -l`` and ``GC.class_histogram`` for the JVM kinds,
and one ``sh`` script (:data:`bongsu.diagnostics.procfs.DUMP_SCRIPT`) for network, files
and processes. PID is the container's main process, 1 unless the pod shares its process
namespace. Each kind that cannot be taken is reported in ``errors`` with why (no ``jcmd``
in the image, not a JVM, no ``sh``); the others are still returned.

Every exec goes through a client of its own: the official ``stream()`` swaps the
``ApiClient``'s request function while it runs, so it must not share the cluster
watcher's client.

Example::

    result = capture_pod(spec, "shop", "orders-7d9f-x2k4q", "orders", ["threads", "network"])
    [d["format"] for d in result.documents]     # ["jvm.thread_print/1", "bongsu.network/1"]
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream
from websocket import WebSocketException

from bongsu.diagnostics import procfs
from bongsu.diagnostics.captures import store_capture
from bongsu.diagnostics.host import JVM_KINDS, KINDS, CaptureError
from bongsu.diagnostics.jvm import CLASS_HISTOGRAM, THREAD_PRINT, runtime_of
from bongsu.errors import InvalidQuery, NotFound, QueryError
from bongsu.kube.config import ClusterSpec
from bongsu.kube.connect import api_client
from bongsu.store.base import TelemetryStore

if TYPE_CHECKING:
    from bongsu.kube.hub import KubeHub

__all__ = ["ClusterUnreachable", "ExecResult", "PodCapture", "PodTarget", "Unavailable",
           "capture_pod", "exec_in_pod", "pod_capture", "store_pod_capture", "target_of"]

EXEC_TIMEOUT_S = 120.0  # a class histogram of a large heap takes seconds; a dump far less
_PROC_KINDS = ("network", "files", "processes")


@dataclass(frozen=True)
class ExecResult:
    """What one command printed in the container, and how it ended."""

    stdout: str
    stderr: str
    exit_code: int | None  # None: the command never started (see ``message``)
    message: str  # the exec status's message ("" on success)


@dataclass
class PodCapture:
    """The documents taken in one pod, and the kinds that could not be, with why."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


class ClusterUnreachable(CaptureError):
    """The exec got no answer from the cluster's API server (connection refused, timed
    out, name not resolved)."""


class Unavailable(QueryError):
    """A pod capture whose cluster is unreachable: 503, the cluster named and why."""

    status = 503


def exec_in_pod(core: k8s.CoreV1Api, namespace: str, pod: str, container: str | None,
                command: Sequence[str], timeout_s: float = EXEC_TIMEOUT_S) -> ExecResult:
    """Run ``command`` in the container; CaptureError when the exec itself is refused
    (no such pod or container), ClusterUnreachable when the API server does not answer."""
    kwargs: dict[str, Any] = {"command": list(command), "stderr": True, "stdin": False,
                              "stdout": True, "tty": False, "_preload_content": False}
    if container:
        kwargs["container"] = container
    try:
        resp = stream(core.connect_get_namespaced_pod_exec, pod, namespace, **kwargs)
    except ApiException as exc:
        # stream() folds every handshake failure into ApiException(status=0); a socket
        # error under it (refused, timed out, not resolved) means no API server answered.
        if isinstance(exc.__context__, OSError):
            raise ClusterUnreachable(f"exec in {namespace}/{pod}: {_refused(exc)}") from None
        raise CaptureError(f"exec in {namespace}/{pod}: {_refused(exc)}") from None
    except (WebSocketException, OSError) as exc:
        raise ClusterUnreachable(f"exec in {namespace}/{pod}: {exc}") from None
    try:
        resp.run_forever(timeout=timeout_s)
        if resp.is_open():
            raise CaptureError(f"exec in {namespace}/{pod}: {command[0]} gave no answer in "
                               f"{timeout_s:.0f} s")
        stdout, stderr = resp.read_stdout() or "", resp.read_stderr() or ""
        status_text = resp.read_channel(3) or "{}"
    except (WebSocketException, OSError) as exc:
        raise CaptureError(f"exec in {namespace}/{pod}: the connection was lost while "
                           f"{command[0]} ran ({exc})") from None
    finally:
        resp.close()
    try:
        status: dict[str, Any] = json.loads(status_text)
    except ValueError:
        status = {}
    if status.get("status") == "Success":
        return ExecResult(stdout, stderr, 0, "")
    causes = (status.get("details") or {}).get("causes") or []
    code = next((c.get("message") for c in causes if c.get("reason") == "ExitCode"), None)
    return ExecResult(stdout, stderr, int(code) if code and str(code).lstrip("-").isdigit()
                      else None, str(status.get("message") or "the exec ended without a status"))


def _refused(exc: ApiException) -> str:
    """The Status message a refused exec carries (the client folds it into ``reason``)."""
    body = exc.body or str(exc.reason or "").rpartition("-+-+-")[2]
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError, TypeError):
        message = None
    return str(message or exc.reason or exc)


def capture_pod(cluster: ClusterSpec | k8s.ApiClient, namespace: str, pod: str,
                container: str | None, kinds: Sequence[str], pid: int = 1,
                trigger: dict[str, Any] | None = None) -> PodCapture:
    """One document per kind taken in the pod (see the module docstring)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise CaptureError(f"kind: {', '.join(unknown)} not one of {', '.join(KINDS)}")
    api = api_client(cluster) if isinstance(cluster, ClusterSpec) else cluster
    try:
        return _capture(k8s.CoreV1Api(api), namespace, pod, container, kinds, pid,
                        dict(trigger or {"reason": "request", "detail": "pod exec",
                                         "rule_id": None}))
    finally:
        if isinstance(cluster, ClusterSpec):
            api.close()  # type: ignore[no-untyped-call]


def _not_a_jvm(core: k8s.CoreV1Api, namespace: str, pod: str, container: str | None,
               pid: int) -> str:
    """Why ``jcmd PID`` must not be run ("" when PID is a JVM jcmd can reach).

    ``/proc/PID/maps`` with ``libjvm.so`` decides when the image has ``cat``: ``jcmd -l``
    alone trusts ``/tmp/hsperfdata_*``, where a JVM killed with SIGKILL leaves its pid
    behind, and ``jcmd PID`` sends SIGQUIT to whatever now has that pid.
    """
    maps = exec_in_pod(core, namespace, pod, container, ["cat", f"/proc/{pid}/maps"])
    if maps.exit_code == 0 and "/libjvm.so" not in maps.stdout:
        return f"pid {pid} is not a JVM (no libjvm.so in /proc/{pid}/maps)"
    listed = exec_in_pod(core, namespace, pod, container, ["jcmd", "-l"])
    if listed.exit_code is None:
        return ("no jcmd in the container's image (a JDK, not a JRE, has it)"
                if "not found" in listed.message else listed.message)
    if str(pid) not in {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}:
        return (f"pid {pid} is not a JVM jcmd can reach (jcmd -l does not list it: not Java, "
                "or another user's)")
    return ""


def _capture(core: k8s.CoreV1Api, namespace: str, pod: str, container: str | None,
             kinds: Sequence[str], pid: int, trigger: dict[str, Any]) -> PodCapture:
    out = PodCapture()
    texts: dict[str, str] = {}
    runtime = ""
    jvm_kinds = [k for k in kinds if k in JVM_KINDS]
    if jvm_kinds:
        not_java = _not_a_jvm(core, namespace, pod, container, pid)
        if not_java:
            out.errors.update({k: not_java for k in jvm_kinds})
        else:
            runtime = "java"  # the version is read from the dump when threads are taken
            for kind in jvm_kinds:
                done = exec_in_pod(core, namespace, pod, container,
                                   ["jcmd", str(pid), *JVM_KINDS[kind]])
                first, _, rest = done.stdout.partition("\n")
                text = rest if first.strip() == f"{pid}:" else done.stdout
                if done.exit_code != 0:
                    lines = (text.strip() or done.stderr.strip() or done.message).splitlines()
                    out.errors[kind] = f"jcmd failed: {lines[0] if lines else done.exit_code}"
                    continue
                texts[kind] = text
                if kind == "threads":
                    runtime = runtime_of(text)
    dumped: procfs.DumpedProc | None = None
    if any(k in _PROC_KINDS for k in kinds):
        done = exec_in_pod(core, namespace, pod, container,
                           ["sh", "-c", procfs.DUMP_SCRIPT, "sh", str(pid)])
        dumped = procfs.DumpedProc(done.stdout)
        if not dumped.complete:
            why = ("no sh in the container's image" if done.exit_code is None
                   and "not found" in done.message else
                   f"the /proc script failed: {done.message or done.stderr.strip()[:200]}")
            out.errors.update({k: why for k in kinds if k in _PROC_KINDS})
            dumped = None
        elif f"/proc/{pid}/stat" not in dumped.files:
            out.errors.update({k: f"no process {pid} in the container" for k in kinds
                               if k in _PROC_KINDS})
            dumped = None
    for kind in kinds:
        envelope: dict[str, Any] = {"kind": kind, "captured_at_unix_nano": time.time_ns(),
                                    "pid": pid, "host": pod, "runtime": runtime,
                                    "trigger": trigger}
        if kind in texts:
            fmt = THREAD_PRINT if kind == "threads" else CLASS_HISTOGRAM
            out.documents.append({**envelope, "format": fmt, "text": texts[kind]})
        elif kind in _PROC_KINDS and dumped is not None:
            body = (procfs.network(dumped, pid) if kind == "network" else
                    procfs.files(dumped, pid) if kind == "files" else
                    procfs.processes(dumped, first=[pid]))
            out.documents.append({**envelope, "format": f"bongsu.{kind}/1", **body})
    return out


@dataclass(frozen=True)
class PodTarget:
    """A pod to exec into: its cluster's connection, and the service and instance its
    captures are filed under (the telemetry it sent, else its workload and its name)."""

    spec: ClusterSpec
    namespace: str
    pod: str
    service: str
    instance: str


def target_of(hub: KubeHub, tenant: str, cluster: str, namespace: str, pod: str) -> PodTarget:
    """The pod ``namespace/pod`` of the watched ``cluster``; CaptureError naming ``cluster``
    when no such cluster is watched for ``tenant``."""
    watches = [w for w in hub.watches if w.name == cluster] if hub.tenant == tenant else []
    if not watches:
        names = ", ".join(repr(w.name) for w in hub.watches) if hub.tenant == tenant else ""
        raise CaptureError(f"cluster: no cluster {cluster!r} is watched (watched: "
                           f"{names or 'none'})")
    known = next((p for p in hub.pods(tenant, cluster, namespace, None) if p.name == pod), None)
    service = (known.service or known.workload) if known is not None else None
    instance = known.instance if known is not None else None
    return PodTarget(watches[0].spec, namespace, pod, service or pod, instance or pod)


def store_pod_capture(store: TelemetryStore, tenant: str, target: PodTarget,
                      container: str | None, kinds: Sequence[str], pid: int = 1,
                      trigger: dict[str, Any] | None = None
                      ) -> tuple[dict[str, str], dict[str, str]]:
    """Capture ``kinds`` in the pod and store each document (analysed, whole); returns the
    stored ids by kind and the kinds that could not be taken, with why."""
    result = capture_pod(target.spec, target.namespace, target.pod, container, kinds, pid,
                         trigger)
    ids: dict[str, str] = {}
    for doc in result.documents:
        ids[doc["kind"]] = store_capture(store, tenant, doc, service=target.service,
                                         instance=target.instance, host=target.pod, pid=pid)
    return ids, result.errors


def pod_capture(kube: KubeHub, store: TelemetryStore, tenant: str, cluster: str,
                namespace: str, pod: str, container: str | None, kind: str,
                pid: int = 1) -> str:
    """``POST /api/v1/captures`` with a pod: take ``kind`` there and store it; the id.

    InvalidQuery naming the field (``cluster``, ``namespace``, ``pod``, ``kind``) when the
    capture cannot be taken, NotFound when the cluster has no such pod, Unavailable (503)
    when the cluster's API server does not answer.
    """
    for field_name, value in (("cluster", cluster), ("namespace", namespace), ("pod", pod)):
        if not value:
            raise InvalidQuery(f"{field_name}: required for a pod's capture")
    try:
        target = target_of(kube, tenant, cluster, namespace, pod)
        ids, errors = store_pod_capture(store, tenant, target, container, [kind], pid)
    except ClusterUnreachable as exc:
        raise Unavailable(f"cluster: {cluster!r} is unreachable ({exc})") from None
    except CaptureError as exc:
        message = str(exc)
        if message.startswith("cluster:"):
            raise InvalidQuery(message) from None
        if " not found" in message and "pods " in message:
            raise NotFound(f"pod: {message}") from None
        raise InvalidQuery(f"pod: {message}") from None
    if kind in errors:
        raise InvalidQuery(f"kind: {kind} cannot be taken in {namespace}/{pod}: {errors[kind]}")
    return ids[kind]
