"""System information a support request carries, gathered by the server itself.

Each section is read on its own and bounded (rows, a time window); a section that cannot
be read says why (``{"error": …}``) instead of failing the request — people ask for help
exactly when something is broken, and the request must still go out.

Sections: ``bongsu`` (version, Python, platform), ``services`` (over the last 15 minutes:
transactions, errors, instances by name), ``kube_events`` (the newest episodes of the
last hour), ``alerts`` (firing now, with their rules' names), ``captures`` (the newest
diagnostic captures), ``gathered_ms``.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from bongsu import __version__
from bongsu.alerts.repo import AlertRepo
from bongsu.query import QueryService
from bongsu.query.window import Window
from bongsu.store.reads import EventSearch, Reads

SERVICES_WINDOW_S = 15 * 60
EVENTS_WINDOW_S = 3600
MAX_SERVICES = 50
MAX_EVENTS = 20
MAX_ALERTS = 50
MAX_CAPTURES = 10


class SystemInfo:
    """Gathers the sections for one tenant."""

    def __init__(self, queries: QueryService | None, reads: Reads | None,
                 alerts: AlertRepo | None,
                 clock: Callable[[], float] = time.time) -> None:
        self._queries = queries
        self._reads = reads
        self._alerts = alerts
        self._clock = clock

    def gather(self, tenant: str) -> dict[str, Any]:
        now_us = int(self._clock() * 1e6)
        return {
            "gathered_ms": now_us // 1000,
            "bongsu": {"version": __version__, "python": sys.version.split()[0],
                       "platform": platform.platform()},
            "services": _section(lambda: self._services(tenant, now_us)),
            "kube_events": _section(lambda: self._events(tenant, now_us)),
            "alerts": _section(lambda: self._firing(tenant)),
            "captures": _section(lambda: self._captures(tenant)),
        }

    def _services(self, tenant: str, now_us: int) -> list[dict[str, Any]]:
        if self._queries is None:
            raise LookupError("no query service")
        window = Window(now_us - SERVICES_WINDOW_S * 1_000_000, now_us)
        out = []
        for s in self._queries.services(tenant, window)["services"][:MAX_SERVICES]:
            names = s.get("instance_names") or {}
            # The figures as the dashboard's list has them (transactions, errors, APDEX …).
            figures = {k: v for k, v in s.items()
                       if isinstance(v, int | float) and not isinstance(v, bool)}
            out.append({"name": s["name"], **figures,
                        "instance_names": sorted(names.values())[:20]})
        return out

    def _events(self, tenant: str, now_us: int) -> list[dict[str, Any]]:
        if self._reads is None:
            raise LookupError("no store")
        search = EventSearch(start_us=now_us - EVENTS_WINDOW_S * 1_000_000, end_us=now_us,
                             limit=MAX_EVENTS)
        return [{"cluster": e.cluster, "namespace": e.namespace,
                 "object": f"{e.object_kind}/{e.object_name}", "reason": e.reason,
                 "severity": e.severity, "summary": e.summary, "count": e.count,
                 "last_seen_ms": e.last_seen_us // 1000}
                for e in self._reads.kube_events(tenant, search)]

    def _firing(self, tenant: str) -> list[dict[str, Any]]:
        if self._alerts is None:
            raise LookupError("alerts are off")
        names: dict[str, str] = {}
        out = []
        for a in self._alerts.instances(tenant, state="firing")[:MAX_ALERTS]:
            if a.rule_id not in names:
                rule = self._alerts.get_rule(tenant, a.rule_id)
                names[a.rule_id] = rule.name if rule is not None else a.rule_id
            out.append({"rule": names[a.rule_id], "severity": a.severity,
                        "summary": a.summary, "labels": a.labels,
                        "fired_ms": None if a.fired_at_us is None else a.fired_at_us // 1000})
        return out

    def _captures(self, tenant: str) -> list[dict[str, Any]]:
        if self._reads is None:
            raise LookupError("no store")
        return [{"id": c.id, "kind": c.kind, "service": c.service, "instance": c.instance,
                 "ts_ms": c.ts_us // 1000}
                for c in self._reads.captures(tenant, None, None, None, MAX_CAPTURES)]


def _section(read: Callable[[], list[dict[str, Any]]]) -> Any:
    try:
        return read()
    except Exception as error:  # a section that cannot be read must not stop the request
        return {"error": f"{type(error).__name__}: {error}"}


__all__ = ["SystemInfo"]
