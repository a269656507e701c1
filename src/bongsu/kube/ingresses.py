"""An Ingress as its routes: one per rule host + path → backend Service.

``networking.k8s.io/v1`` (``backend.service.name`` / ``port.number`` or ``port.name``)
and the older ``v1beta1`` (``serviceName`` / ``servicePort``) are read; a rule without a
host is ``"*"``, the default backend is host ``"*"`` path ``""``.

Example::

    for route in ingress_routes("public", obj):
        print(route.host, route.path, "→", route.backend_service, route.backend_port)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import items, mapping, string_map, text
from bongsu.kube.model import IngressRoute

_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ingress_routes(cluster: str, obj: Mapping[str, Any]) -> list[IngressRoute]:
    """The routes of an Ingress object, in the order its rules list them."""
    meta = mapping(obj, "metadata")
    spec = mapping(obj, "spec")
    ingress_class = (text(spec, "ingressClassName")
                     or string_map(meta, "annotations").get(_CLASS_ANNOTATION) or None)

    def route(host: str, path: str, backend: Mapping[str, Any]) -> IngressRoute | None:
        service, port = _backend(backend)
        if not service:
            return None  # a resource backend (a bucket …) routes to no Service
        return IngressRoute(cluster=cluster, namespace=text(meta, "namespace"),
                            name=text(meta, "name"), ingress_class=ingress_class,
                            host=host or "*", path=path, backend_service=service,
                            backend_port=port)

    found: list[IngressRoute] = []
    default = mapping(spec, "defaultBackend") or mapping(spec, "backend")
    if default:
        made = route("*", "", default)
        if made is not None:
            found.append(made)
    for rule in items(spec, "rules"):
        for path in items(mapping(rule, "http"), "paths"):
            made = route(text(rule, "host"), text(path, "path") or "/",
                         mapping(path, "backend"))
            if made is not None:
                found.append(made)
    return found


def _backend(backend: Mapping[str, Any]) -> tuple[str, str]:
    service = mapping(backend, "service")
    if service:
        port = mapping(service, "port")
        return text(service, "name"), text(port, "number") or text(port, "name")
    return text(backend, "serviceName"), text(backend, "servicePort")
