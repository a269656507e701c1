"""Resource detection: who is sending (service, instance, host, process, container, pod).

Each process gets its own ``service.instance.id`` (a fresh one after ``fork``), so every
gunicorn or ``uvicorn --workers`` worker is an instance of its own.

Example::

    attrs = detect_resource(AgentSettings.from_env({}), environ={"POD_NAME": "web-1"})
    assert attrs["k8s.pod.name"] == "web-1"
"""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
import uuid
from collections.abc import Mapping

from bongsu import __version__
from bongsu.agent._settings import AgentSettings, parse_pairs

__all__ = ["container_id", "detect_resource"]

_K8S_ENV = {
    "k8s.pod.name": ("POD_NAME", "K8S_POD_NAME", "KUBERNETES_POD_NAME"),
    "k8s.namespace.name": ("POD_NAMESPACE", "K8S_NAMESPACE", "KUBERNETES_NAMESPACE"),
    "k8s.node.name": ("NODE_NAME", "K8S_NODE_NAME", "KUBERNETES_NODE_NAME"),
    "k8s.cluster.name": ("CLUSTER_NAME", "K8S_CLUSTER_NAME"),
    "k8s.container.name": ("CONTAINER_NAME", "K8S_CONTAINER_NAME"),
}
_ID64 = re.compile(r"([0-9a-f]{64})")


def detect_resource(
    settings: AgentSettings,
    environ: Mapping[str, str] | None = None,
    proc_root: str = "/proc",
) -> dict[str, object]:
    """Resource attributes of this process; explicit OTEL_RESOURCE_ATTRIBUTES win."""
    env = os.environ if environ is None else environ
    attrs: dict[str, object] = {
        "service.name": settings.effective_service_name,
        "service.instance.id": str(uuid.uuid4()),
        "host.name": socket.gethostname(),
        "process.pid": os.getpid(),
        "process.runtime.name": sys.implementation.name,
        "process.runtime.version": platform.python_version(),
        "process.executable.name": os.path.basename(sys.executable),
        # argv[0] only: arguments can carry passwords and tokens
        "process.command": sys.argv[0] if sys.argv else "",
        "telemetry.sdk.name": "bongsu",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.version": __version__,
    }
    cid = container_id(proc_root)
    if cid:
        attrs["container.id"] = cid
    for key, names in _K8S_ENV.items():
        for name in names:
            if env.get(name):
                attrs[key] = env[name]
                break
    if "k8s.pod.name" not in attrs and env.get("KUBERNETES_SERVICE_HOST") and env.get("HOSTNAME"):
        attrs["k8s.pod.name"] = env["HOSTNAME"]  # a pod's hostname is its name by default
    attrs.update(parse_pairs(settings.resource_attributes))
    if settings.service_name:
        attrs["service.name"] = settings.service_name
    return attrs


def container_id(proc_root: str = "/proc") -> str:
    """The container id from cgroup v1 (/proc/self/cgroup) or v2 (/proc/self/mountinfo)."""
    for name, pick in (("cgroup", _from_cgroup), ("mountinfo", _from_mountinfo)):
        try:
            with open(os.path.join(proc_root, "self", name), encoding="utf-8") as f:
                found = pick(f.read())
        except OSError:
            continue
        if found:
            return found
    return ""


def _from_cgroup(text: str) -> str:
    for line in text.splitlines():
        path = line.rpartition(":")[2]
        match = _ID64.search(path.rsplit("/", 1)[-1]) or _ID64.search(path)
        if match:
            return match.group(1)
    return ""


def _from_mountinfo(text: str) -> str:
    # cgroup v2 hides the id from /proc/self/cgroup ("0::/"); the runtime's bind mounts
    # of /etc/hostname etc. still name it: .../containers/<id>/hostname, or
    # .../pod.../<id>/... (containerd, CRI-O).
    for line in text.splitlines():
        if "/etc/hostname" not in line and "/etc/hosts" not in line:
            continue
        for part in line.split():
            match = _ID64.search(part)
            if match:
                return match.group(1)
    return ""
