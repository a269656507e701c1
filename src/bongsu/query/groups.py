"""The group dashboard: several services side by side, chosen by a list or by a label
(``namespace``, ``cluster`` or ``team`` of their instances seen in the window), with the
service dashboard's tile figures, per-service TPS / response time / error rate series and
the topology among them (edges from a group service to another group service, or to a
database or external host).

A service belongs to a label value when any of its instances seen in the window carried
it; ``team`` is the ``k8s.pod.labels.team`` resource attribute (the Collector's
k8sattributes processor with the pod label ``team`` extracted), else ``team``.

Example::

    chosen = by_label(reads, "default", window, "namespace", "shop")
    body = group(reads, "default", window, 60, 10_000, services_body, chosen)
"""

from __future__ import annotations

from typing import Any, Literal

from bongsu.errors import NotFound
from bongsu.query.dashboard import service_series
from bongsu.query.topology import topology
from bongsu.query.window import Window
from bongsu.store.reads import Reads

LabelKey = Literal["namespace", "cluster", "team"]
LABEL_KEYS: tuple[LabelKey, ...] = ("namespace", "cluster", "team")
TILE_FIELDS = ("tps", "error_rate", "avg_ms", "p95_ms", "apdex", "active_users",
               "transactions", "errors", "instances")


def labels(reads: Reads, tenant: str, window: Window) -> dict[str, Any]:
    """The label values instances seen in the window carry, per key, sorted."""
    found: dict[str, set[str]] = {k: set() for k in LABEL_KEYS}
    for row in reads.group_labels(tenant, window.start_us, window.end_us):
        for key in LABEL_KEYS:
            value = getattr(row, key)
            if value:
                found[key].add(value)
    return {k: sorted(v) for k, v in found.items()}


def by_label(reads: Reads, tenant: str, window: Window, key: LabelKey, value: str
             ) -> list[str]:
    """The services with an instance seen in the window carrying ``key`` = ``value``."""
    return sorted({row.service for row in reads.group_labels(tenant, window.start_us,
                                                              window.end_us)
                   if getattr(row, key) == value})


def group(reads: Reads, tenant: str, window: Window, step_s: int, max_rows: int,
          now_us: int, services_body: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """Tiles, series and topology of the ``chosen`` services; ``services_body`` is the
    dashboard's ``/services`` answer for the window (its figures are the tiles')."""
    wanted = set(chosen)
    figures = {s["name"]: s for s in services_body["services"]}
    tiles = []
    for name in chosen:
        found = figures.get(name)
        tile: dict[str, Any] = {"service": name}
        for field in TILE_FIELDS:
            tile[field] = found.get(field) if found else (
                0 if field in ("tps", "active_users", "transactions", "errors", "instances")
                else None)
        if found is None:
            tile["tps"] = 0.0
        tiles.append(tile)
    series = []
    for name in chosen:
        try:
            body = service_series(reads, tenant, name, window, step_s, max_rows)
        except NotFound:  # a service never seen: no points rather than a 404 for the group
            body = {"points": []}
        points: list[dict[str, Any]] = [
            {"ts": p["ts"], "tps": p["tps"], "avg_ms": p["avg_ms"],
             "error_rate": p["error_rate"], "transactions": p["transactions"]}
            for p in body["points"]]
        series.append({"service": name, "points": points})
    graph = topology(reads, tenant, window, "service", now_us)
    service_of = {n["id"]: n.get("service") for n in graph["nodes"]}
    edges = [e for e in graph["edges"]
             if service_of.get(e["source"]) in wanted
             and (e["target_kind"] != "service" or service_of.get(e["target"]) in wanted)]
    ends = {e["source"] for e in edges} | {e["target"] for e in edges}
    nodes = [n for n in graph["nodes"]
             if n["id"] in ends or (n["kind"] == "service" and n["service"] in wanted)]
    return {
        "from": services_body["from"], "to": services_body["to"], "step": step_s,
        "services": tiles, "series": series,
        "topology": {"nodes": nodes, "edges": edges},
    }

