"""What the server knows of running agents: their in-flight requests and their commands.

Active requests are kept in memory, the latest report per instance, and count as current
for ``FRESH_SECONDS`` (three missed reports). Commands wait in memory until the instance
polls; a command's result is stored durably as a capture (``store.save_capture``), so the
evidence outlives the pod. Captures requested but not yet answered are lost on restart.
A capture the agent took by itself (its watchdog: ``command_id`` null) is given an id and
stored the same way, whole or not at all, before the agent gets its answer.

Example::

    registry = AgentRegistry(store)
    capture_id = registry.request_capture("default", "orders", "orders-1", "threads")
    registry.take_commands("default", "orders", "orders-1")   # the agent's next poll
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bongsu.diagnostics.captures import store_capture
from bongsu.store.base import TelemetryStore

FRESH_SECONDS = 15.0
MAX_QUEUED = 10  # per instance; an agent runs at most 10 commands a poll
COMMAND_KINDS = {kind: f"capture_{kind}" for kind in (
    "threads", "memory", "network", "files", "processes")}  # capture kind -> agent command
# What an agent may push unasked (docs/captures.md); a pushed document is at most MAX_BODY.
PUSHED_KINDS = frozenset({"threads", "memory", "network", "files", "processes"})
TRIGGERS = frozenset({"memory_near_limit", "long_request", "sigterm", "alert", "request"})


@dataclass
class PendingCapture:
    id: str
    tenant: str
    service: str
    instance: str
    kind: str
    requested_at: float
    args: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] | None = None  # why it was asked for, when not by a person


class AgentRegistry:
    """Latest active requests per instance, queued commands, captures awaiting answers."""

    def __init__(self, store: TelemetryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._active: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._queued: dict[tuple[str, str, str], list[PendingCapture]] = {}
        self._pending: dict[str, PendingCapture] = {}
        self._saving: set[str] = set()  # answered, being stored: still listed as pending

    def report_active(self, tenant: str, report: dict[str, Any]) -> None:
        report = {**report, "received_at": time.time()}
        with self._lock:
            self._active[(tenant, report["service"], report["instance"])] = report

    def active(self, tenant: str, service: str | None, instance: str | None
               ) -> tuple[list[dict[str, Any]], list[str]]:
        """In-flight requests of current reports, longest first, and the instances seen."""
        now = time.time()
        with self._lock:
            reports = [
                r for (t, s, i), r in self._active.items()
                if t == tenant and (not service or s == service)
                and (not instance or i == instance) and now - r["received_at"] <= FRESH_SECONDS
            ]
        rows = [
            {"service": r["service"], "instance": r["instance"], "host": r.get("host"),
             "pid": r.get("pid"), "reported_at": int(r["received_at"] * 1000), **q}
            for r in reports for q in r.get("requests", []) if isinstance(q, dict)
        ]
        for row in rows:  # a report is up to one interval old: elapsed time runs on
            start = row.get("start_unix_nano")
            if isinstance(start, int) and start > 0:
                row["elapsed_ms"] = max(0.0, (now * 1e9 - start) / 1e6)
        rows.sort(key=lambda q: -float(q.get("elapsed_ms") or 0))
        return rows, sorted({r["instance"] for r in reports})

    def request_capture(self, tenant: str, service: str, instance: str, kind: str,
                        args: dict[str, Any] | None = None,
                        trigger: dict[str, Any] | None = None) -> PendingCapture:
        capture = PendingCapture(uuid.uuid4().hex[:16], tenant, service, instance, kind,
                                 time.time(), args or {}, trigger)
        with self._lock:
            queue = self._queued.setdefault((tenant, service, instance), [])
            if len(queue) >= MAX_QUEUED:
                raise OverflowError(f"{MAX_QUEUED} commands already wait for this instance")
            queue.append(capture)
            self._pending[capture.id] = capture
        return capture

    def take_commands(self, tenant: str, service: str, instance: str) -> list[dict[str, Any]]:
        with self._lock:
            waiting = self._queued.pop((tenant, service, instance), [])
        return [{"id": c.id, "kind": COMMAND_KINDS[c.kind], "args": c.args} for c in waiting]

    def pending(self, tenant: str) -> list[PendingCapture]:
        with self._lock:
            return [c for c in self._pending.values() if c.tenant == tenant]

    def complete(self, tenant: str, result: dict[str, Any]) -> bool:
        """Store an agent's answer as a capture; False for an unknown command."""
        capture_id = str(result.get("command_id") or "")
        with self._lock:
            capture = self._pending.get(capture_id)
            if capture is None or capture.tenant != tenant or capture_id in self._saving:
                return False
            # Listed as pending until it is stored, so a reader never finds it in neither.
            self._saving.add(capture_id)
        try:
            self._save(tenant, capture, result)
            with self._lock:
                del self._pending[capture_id]
        finally:
            with self._lock:
                self._saving.discard(capture_id)
        return True

    def store_pushed(self, tenant: str, result: dict[str, Any]) -> str:
        """Store a capture the agent took unasked (``command_id`` null); returns its new id.

        Raises ValueError naming the field when the document is not one the contract
        allows. Returns only once the one store write is done, so an agent that dies while
        this runs leaves the capture stored whole or absent.
        """
        kind = result.get("kind")
        if kind not in PUSHED_KINDS:
            raise ValueError(f"kind: one of {', '.join(sorted(PUSHED_KINDS))}")
        payload = result.get("result")
        if not isinstance(payload, dict):
            raise ValueError("result: the capture document (a JSON object)")
        trigger = payload.get("trigger")
        if not isinstance(trigger, dict) or trigger.get("reason") not in TRIGGERS:
            raise ValueError(f"result.trigger.reason: one of {', '.join(sorted(TRIGGERS))}")
        capture = PendingCapture(uuid.uuid4().hex[:16], tenant, str(result["service"]),
                                 str(result["instance"]), str(kind), time.time(),
                                 trigger=trigger)
        self._save(tenant, capture, {**result, "ok": True})
        return capture.id

    def _save(self, tenant: str, capture: PendingCapture, result: dict[str, Any]) -> None:
        # The one save path (bongsu.diagnostics.captures): analysed once, stored whole.
        payload = result.get("result")
        if capture.trigger is not None and isinstance(payload, dict):
            # The server knows why it asked (an alert); the agent's document says "request".
            payload = {**payload, "trigger": capture.trigger}
        store_capture(
            self._store, tenant, payload if isinstance(payload, dict) else None,
            service=capture.service, instance=capture.instance, kind=capture.kind,
            capture_id=capture.id, ok=bool(result.get("ok")),
            error=str(result.get("error") or ""), host=result.get("host"),
            pid=result.get("pid"), requested_at_ms=int(capture.requested_at * 1000),
            trigger=capture.trigger,
        )
