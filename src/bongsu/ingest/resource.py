"""Who sent the telemetry: service, instance, cluster and namespace from resource attributes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bongsu.ingest.attributes import to_dict


@dataclass(frozen=True)
class Origin:
    """The resource columns every span, metric point and log record carries."""

    service: str
    instance: str
    cluster: str | None
    namespace: str | None
    host: str | None
    resource_json: str


def origin_of(resource: Any) -> Origin:
    """Name the service and instance of an OTLP ``Resource``.

    The instance is ``service.instance.id``, else ``k8s.pod.name``, else host and pid.
    """
    attrs = to_dict(resource.attributes)
    service = str(attrs.get("service.name") or "unknown_service")
    host = attrs.get("host.name")
    instance = attrs.get("service.instance.id") or attrs.get("k8s.pod.name")
    if not instance:
        pid = attrs.get("process.pid")
        instance = f"{host or 'unknown'}:{pid}" if pid is not None else (host or "unknown")
    return Origin(
        service=service,
        instance=str(instance),
        cluster=_str_or_none(attrs.get("k8s.cluster.name")),
        namespace=_str_or_none(attrs.get("k8s.namespace.name")),
        host=_str_or_none(host),
        resource_json=json.dumps(attrs, sort_keys=True, default=str),
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def note_resource(
    resources: dict[tuple[str, str, str], list[Any]], tenant: str, origin: Origin,
    first_us: int, last_us: int,
) -> None:
    """Remember the first and last sighting of one instance for the ``instances`` table."""
    key = (tenant, origin.service, origin.instance)
    seen = resources.get(key)
    if seen is None:
        resources[key] = [tenant, origin.service, origin.instance, origin.cluster,
                          origin.namespace, origin.host, first_us, last_us,
                          origin.resource_json]
    else:
        seen[6] = min(seen[6], first_us)
        if last_us >= seen[7]:
            seen[7] = last_us
            seen[8] = origin.resource_json
