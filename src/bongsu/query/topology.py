"""Topology maps from the ingest-time edge table: services (or instances), databases and
external hosts as nodes; calls, TPS, average time and error rate on each edge.

Example::

    body = topology(reads, "default", window, "service", now_us)
    [e for e in body["edges"] if e["target"] == "postgresql:orders"]
"""

from __future__ import annotations

from typing import Any

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
    return {
        "level": level,
        "from": w.start_us // 1000,
        "to": w.end_us // 1000,
        "nodes": sorted(nodes.values(), key=lambda n: (n["kind"] != "service", n["id"])),
        "edges": out,
    }
