"""Find anything: services, instances, pods, hosts, endpoints, databases, Kubernetes events
and traces by id, for the console's search box. Each result names the console route that
opens it and that route's parameters.

Names are matched case-insensitively, exact before prefix before substring, then shorter
names first, over what was seen in the last :data:`SINCE_DAYS` days; a 32-hex-digit text
is also looked up as a trace id. Console pages are matched by the console itself.

Example::

    search(reads, "default", "orders", 10, now_us)["results"][0]
    # {"kind": "service", "label": "orders", "route": "dashboard", "params": {...}, ...}
"""

from __future__ import annotations

import re
from typing import Any

from bongsu.errors import InvalidQuery
from bongsu.query.ids import trace_hex
from bongsu.store.reads import NameMatch, Reads

MAX_LIMIT = 50
MAX_TEXT = 200
SINCE_DAYS = 7
_DAY_US = 86_400 * 1_000_000
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
# Within one rank, kinds in this order (what people look for most first).
KIND_ORDER = ("trace", "service", "endpoint", "database", "host", "instance", "pod", "event")


def search(reads: Reads, tenant: str, text: str, limit: int, now_us: int) -> dict[str, Any]:
    """At most ``limit`` results for ``text``, best first."""
    q = text.strip()
    if not q:
        raise InvalidQuery("q: must not be empty")
    if len(q) > MAX_TEXT:
        raise InvalidQuery(f"q: at most {MAX_TEXT} characters, got {len(q)}")
    since = now_us - SINCE_DAYS * _DAY_US
    ranked: list[tuple[int, int, int, dict[str, Any]]] = []
    if _TRACE_ID.fullmatch(q):
        hi, lo = int(q[:16], 16), int(q[16:], 16)
        spans = reads.trace_spans(tenant, hi, lo)
        if spans:
            root = next((s for s in spans if s.parent_id == 0), spans[0])
            ranked.append((-1, 0, 0, {
                "kind": "trace", "label": trace_hex(hi, lo),
                "detail": f"{root.service} {root.name} · {len(spans)} spans",
                "route": "trace", "params": {"trace_id": trace_hex(hi, lo)}}))
    lowered = q.lower()
    for m in reads.search_names(tenant, lowered, since, limit):
        ranked.append((m.rank, len(m.label), KIND_ORDER.index(m.kind), _name_result(m)))
    for e in reads.search_events(tenant, lowered, since, limit):
        ranked.append((e.rank, len(e.object_name), KIND_ORDER.index("event"), {
            "kind": "event", "label": f"{e.object_kind}/{e.object_name}",
            "detail": f"{e.reason}: {e.summary} ({e.cluster}"
                      f"{'/' + e.namespace if e.namespace else ''})",
            "route": "events", "params": {"id": e.id}}))
    ranked.sort(key=lambda r: (r[0], r[1], r[2], r[3]["label"]))
    return {"q": q, "results": [r[3] for r in ranked[:limit]]}


def _name_result(m: NameMatch) -> dict[str, Any]:
    if m.kind == "service":
        return {"kind": "service", "label": m.label, "detail": "service",
                "route": "dashboard", "params": {"service": m.label}}
    if m.kind in ("instance", "pod"):
        return {"kind": m.kind, "label": m.label, "detail": f"{m.kind} of {m.service}",
                "route": "dashboard",
                "params": {"service": m.service or "", "instance": m.instance or ""}}
    if m.kind == "host":
        return {"kind": "host", "label": m.label, "detail": "host", "route": "hosts",
                "params": {"host": m.label}}
    if m.kind == "endpoint":
        return {"kind": "endpoint", "label": m.label, "detail": f"endpoint of {m.service}",
                "route": "web", "params": {"service": m.service or "", "endpoint": m.label}}
    return {"kind": "database", "label": m.label, "detail": "database",
            "route": "databases", "params": {"db": m.label}}
