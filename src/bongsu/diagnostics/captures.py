"""Captures kept with their analysis: the one save path, and the analysis read back.

Every capture that reaches the store goes through :func:`store_capture` — a command's
answer (``AgentRegistry.complete``), a capture the agent's watchdog pushed by itself
(``command_id: null``), a ``jcmd`` document — so each is analysed exactly once, when it is
stored, and kept whole with its analysis in one store write. An analyzer that fails does
not lose the evidence: the capture is stored with ``analysis_error`` in its summary.

:func:`analysis_of` returns the stored analysis, recomputed when the analyzer's version
changed since it was stored. Stored rather than always recomputed, measured on this
machine: a 201-thread dump (361 KiB) analyses in 5.8 ms against 1.7 ms to read its stored
66 KiB analysis back; a memory capture of 194 types 0.44 ms against 0.86 ms — cheap either
way, but the listing's headline must come without reading any document, and a JVM
capture's analysis includes parsing the ``jcmd`` text.

Example::

    capture_id = store_capture(store, "default", doc, service="orders", instance="orders-1")
    record = reads.capture("default", capture_id)
    analysis = analysis_of(record)
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from bongsu.diagnostics import analyze, format_of, version_of
from bongsu.store.base import TelemetryStore
from bongsu.store.reads import CaptureRecord

__all__ = ["analysis_of", "document_of", "store_capture"]

log = logging.getLogger("bongsu.diagnostics")

MAX_SKEW_US = 86_400_000_000  # a capture's own time is kept when within a day of now


def store_capture(
    store: TelemetryStore,
    tenant: str,
    doc: Mapping[str, Any] | None,
    *,
    service: str,
    instance: str,
    kind: str | None = None,
    capture_id: str | None = None,
    ok: bool = True,
    error: str = "",
    host: str | None = None,
    pid: int | None = None,
    requested_at_ms: int | None = None,
    trigger: Mapping[str, Any] | None = None,
    now_us: int | None = None,
) -> str:
    """Analyse ``doc`` (a ``docs/captures.md`` document) and store it durably with its
    analysis and summary in one write; returns the capture's id (a new one when None).

    ``kind`` defaults to the document's; a failed command (``ok=False``) is stored with
    its ``error`` and no analysis. ``trigger`` fills the document's when it has none.
    """
    body: dict[str, Any] = dict(doc or {})
    kind = kind or str(body.get("kind") or "")
    if not kind:
        raise ValueError("kind: the capture names no kind")
    if trigger is not None and not body.get("trigger"):
        body["trigger"] = dict(trigger)
    fmt = format_of(body, kind)
    capture_id = capture_id or uuid.uuid4().hex[:16]
    now_us = now_us if now_us is not None else int(time.time() * 1e6)
    summary: dict[str, Any] = {
        "ok": ok, "error": error, "host": host if host is not None else body.get("host"),
        "pid": pid if pid is not None else body.get("pid"), "requested_at": requested_at_ms,
        "trigger": body.get("trigger"), "headline": None,
    }
    if kind == "threads":  # what the console's capture list showed before analyzers
        listed = body.get("threads")
        threads: list[Any] = listed if isinstance(listed, list) else []
        summary["threads"] = len(threads)
        summary["serving_requests"] = sum(
            1 for t in threads if isinstance(t, dict) and t.get("request"))
    analysis = None
    version = None
    if ok and body:
        try:
            analysis = analyze(body, kind)
            version = version_of(kind, fmt)
        except Exception as exc:  # the evidence is kept even when its analysis fails
            log.exception("analysing capture %s (%s) failed", capture_id, fmt)
            summary["analysis_error"] = f"{type(exc).__name__}: {exc}"
        if analysis is not None:
            summary["headline"] = analysis.get("headline")
    store.save_capture(
        tenant, capture_id, _captured_us(body, now_us), service, instance, kind, fmt,
        json.dumps(body), json.dumps(summary),
        analysis=None if analysis is None else json.dumps(analysis), analysis_version=version,
    )
    return capture_id


def _captured_us(doc: Mapping[str, Any], now_us: int) -> int:
    """The capture's own time when it has a plausible one (a watchdog capture sent on a
    retry is kept at the moment it was taken), else now."""
    ns = doc.get("captured_at_unix_nano")
    if isinstance(ns, int) and not isinstance(ns, bool) and abs(ns // 1000 - now_us) <= MAX_SKEW_US:
        return ns // 1000
    return now_us


def analysis_of(record: CaptureRecord) -> dict[str, Any] | None:
    """The record's analysis: the stored one if its analyzer version is current, else
    computed now from the payload (None without a payload or an analyzer)."""
    if record.payload is None:
        return None
    fmt = format_of({"format": record.format}, record.kind)
    current = version_of(record.kind, fmt)
    if record.analysis is not None and record.analysis_version == current:
        stored: dict[str, Any] = json.loads(record.analysis)
        return stored
    if current is None:
        return None
    doc = json.loads(record.payload)
    if not isinstance(doc, dict) or not doc:
        return None
    try:
        return analyze(doc, record.kind)
    except Exception:  # as when stored: the document is still served, without an analysis
        log.exception("analysing capture %s (%s) failed", record.id, fmt)
        return None


def document_of(record: CaptureRecord) -> dict[str, Any]:
    """The record's capture document (an empty one for a failed command)."""
    doc = json.loads(record.payload) if record.payload else {}
    return doc if isinstance(doc, dict) else {}
