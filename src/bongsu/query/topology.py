"""Topology maps from the ingest-time edge table: services (or instances), databases and
external hosts as nodes; calls, TPS, average time and error rate on each edge.

Every node has a display ``name``: the service name, the instance's display name
(:mod:`bongsu.query.names`) at instance level, or the database / external host id.

Example::

    body = topology(reads, "default", window, "service", now_us)
    [e for e in body["edges"] if e["target"] == "postgresql:orders"]
"""

from __future__ import annotations

from typing import Any

from bongsu.query.names import instance_names
from bongsu.query.window import Window
from bongsu.store.reads import Level, Reads

LEVELS: tuple[Level, ...] = ("service", "instance")


def topology(
    reads: Reads, tenant: str, window: Window, level: Level, now_us: int
) -> dict[str, Any]:
    """Nodes and edges over the window (per-minute edge rows)."""
    w = window.aligned(60)
    seconds = w.elapsed_seconds(now_us)
    edges = reads.edges(tenant, w.start_us, w.end_us, level)
    nodes: dict[str, dict[str, Any]] = {}
    out = []
    for e in edges:
        nodes.setdefault(e.source, {"id": e.source, "kind": "service",
                                    "service": e.source_service})
        target = nodes.setdefault(e.target, {"id": e.target, "kind": e.target_kind,
                                             "service": e.target_service})
        if target["kind"] != "service" and e.target_kind == "service":
            target["kind"] = "service"
        out.append(
            {
                "source": e.source,
                "target": e.target,
                "target_kind": e.target_kind,
                "calls": e.calls,
                "errors": e.errors,
                "tps": e.calls / seconds if seconds > 0 else 0.0,
                "avg_ms": e.sum_us / e.calls / 1000 if e.calls else None,
                "error_rate": e.errors / e.calls if e.calls else None,
            }
        )
    _label(reads, tenant, level, nodes, out)
    return {
        "level": level,
        "from": w.start_us // 1000,
        "to": w.end_us // 1000,
        "nodes": sorted(nodes.values(), key=lambda n: (n["kind"] != "service", n["id"])),
        "edges": out,
    }


def _label(reads: Reads, tenant: str, level: Level, nodes: dict[str, dict[str, Any]],
           edges: list[dict[str, Any]]) -> None:
    """Give every node its display name; at instance level, instances and edge ends too."""
    if level == "service":
        for node in nodes.values():
            node["name"] = node["id"]
        return
    ids = [n["id"] for n in nodes.values() if n["kind"] == "service"]
    names = instance_names(reads, tenant, ids)
    for node in nodes.values():
        if node["kind"] == "service":
            node["name"] = names[node["id"]]
            node["instance"] = node["id"]
            node["instance_name"] = node["name"]
        else:
            node["name"] = node["id"]
    for edge in edges:
        edge["source_instance_name"] = nodes[edge["source"]]["name"]
        edge["target_instance_name"] = nodes[edge["target"]]["name"]
