"""Container CPU and memory usage from ``metrics.k8s.io`` (metrics-server's PodMetrics).

One list call per cluster and interval reads every pod's usage; :func:`apply_usage` puts
it on the watcher's :class:`~bongsu.kube.model.PodState` containers, where
:func:`bongsu.kube.points.state_points` turns it into points against the limits. The body
is read raw and decoded with orjson: the client's own model deserialisation is not needed
for three fields per container and costs far more on a 10,000-pod list.

Example::

    usage = read_pod_usage(api_client, timeout_s=5.0)
    if usage is not None:          # None: the cluster serves no metrics.k8s.io
        apply_usage(pods, usage)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import orjson
import urllib3
from kubernetes import client

from bongsu.errors import ScrapeError
from bongsu.kube.model import PodState
from bongsu.kube.quantity import parse_quantity

Usage = Mapping[tuple[str, str], Mapping[str, tuple[float, float]]]
"""(namespace, pod) → container → (CPU cores, memory bytes)."""


def read_pod_usage(api: client.ApiClient, timeout_s: float
                   ) -> dict[tuple[str, str], dict[str, tuple[float, float]]] | None:
    """Every pod's container usage, or None when the cluster serves no metrics.k8s.io."""
    objects = client.CustomObjectsApi(api)
    try:
        response = objects.list_cluster_custom_object(
            "metrics.k8s.io", "v1beta1", "pods",
            _preload_content=False, _request_timeout=timeout_s)
        # With _preload_content=False the client hands back urllib3's response unread.
        body = cast(urllib3.BaseHTTPResponse, response).data
    except client.ApiException as e:
        if e.status == 404:  # no APIService for metrics.k8s.io (no metrics-server)
            return None
        # 503 "the server is currently unable to handle the request": registered but down
        raise ScrapeError(f"metrics.k8s.io: HTTP {e.status} {e.reason}") from e
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise ScrapeError(f"metrics.k8s.io: {e}") from e
    try:
        return parse_pod_metrics(orjson.loads(body))
    except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError, ValueError) as e:
        raise ScrapeError(f"metrics.k8s.io: malformed PodMetricsList: {e}") from e


def parse_pod_metrics(body: Any) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """A ``PodMetricsList`` as {(namespace, pod): {container: (cores, bytes)}}."""
    out: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for item in body.get("items") or ():
        meta = item["metadata"]
        containers: dict[str, tuple[float, float]] = {}
        for c in item.get("containers") or ():
            usage = c.get("usage") or {}
            cpu, memory = parse_quantity(usage.get("cpu")), parse_quantity(usage.get("memory"))
            if cpu is not None and memory is not None:  # else unknown, as if not reported
                containers[c["name"]] = (cpu, memory)
        out[(meta.get("namespace") or "", meta["name"])] = containers
    return out


def apply_usage(pods: Iterable[PodState], usage: Usage) -> None:
    """Set each container's usage from ``usage``; a container it does not name gets None.

    Clearing matters: a pod metrics-server has stopped reporting (it is terminating, or
    its node is gone) must not keep drawing its last figure as if it were current.
    """
    for pod in pods:
        mine = usage.get((pod.namespace, pod.name), {})
        for c in pod.containers:
            figures = mine.get(c.name)
            c.cpu_usage, c.memory_usage = figures if figures else (None, None)
