"""An empty Kubernetes API server on loopback for ``kubectl apply --dry-run=client``:
discovery for the kinds the chart makes, and 404 for every object (nothing exists yet),
so kubectl maps each document to its resource and builds the object it would create.

Real shapes: ``/api`` (APIVersions), ``/apis`` (APIGroupList), ``/api/v1`` and
``/apis/GROUP/VERSION`` (APIResourceList), a ``Status`` body with the 404. kubectl asks
for aggregated discovery first and falls back to these when the answer is plain JSON.

Example::

    api = FakeApiServer()
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    # kubectl --kubeconfig kubeconfig apply --dry-run=client -f manifests.yaml
    api.close()
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.loopback import Loopback

# (group, version) -> [(plural, kind, namespaced)]: what the chart and plain manifests use.
RESOURCES: dict[tuple[str, str], list[tuple[str, str, bool]]] = {
    ("", "v1"): [("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
                 ("services", "Service", True), ("serviceaccounts", "ServiceAccount", True),
                 ("namespaces", "Namespace", False)],
    ("apps", "v1"): [("statefulsets", "StatefulSet", True)],
    ("policy", "v1"): [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    ("networking.k8s.io", "v1"): [("ingresses", "Ingress", True)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _resource_list(group: str, version: str) -> dict[str, Any]:
    return {
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [{"name": plural, "singularName": kind.lower(), "namespaced": ns,
                       "kind": kind, "verbs": VERBS}
                      for plural, kind, ns in RESOURCES[(group, version)]],
    }


def _groups() -> dict[str, Any]:
    groups = []
    for group, version in RESOURCES:
        if group:
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"
    seen: list[tuple[str, str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        self.seen.append(("GET", path))
        parts = path.strip("/").split("/")
        if path == "/version":
            return self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"],
                                    "serverAddressByClientCIDRs": []})
        if path == "/apis":
            return self._send(200, _groups())
        if parts[:1] == ["api"] and len(parts) == 2 and ("", parts[1]) in RESOURCES:
            return self._send(200, _resource_list("", parts[1]))
        if parts[:1] == ["apis"] and len(parts) == 3 and (parts[1], parts[2]) in RESOURCES:
            return self._send(200, _resource_list(parts[1], parts[2]))
        name = parts[-1]
        self._send(404, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                         "status": "Failure", "message": f"{name!r} not found",
                         "reason": "NotFound", "code": 404})


class FakeApiServer:
    """Serve discovery on a free loopback port; ``requests`` lists what kubectl asked."""

    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"seen": []})
        self.requests: list[tuple[str, str]] = handler.seen
        self._served = Loopback(handler)
        self.url = f"http://127.0.0.1:{self._served.port}"

    def kubeconfig(self, path: Path) -> Path:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake",
                                                       "namespace": "bongsu"}}],
        }
        path.write_text(json.dumps(config))
        return path

    def close(self) -> None:
        self._served.close()
