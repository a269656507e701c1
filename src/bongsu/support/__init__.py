"""Quick service (F18): one action sends what the user sees to the people who can help.

The console captures a PNG of the view (in the browser, ``html-to-image``: the DOM as the
user has it, open panels and scroll included) and the view's state (URL, time range,
filters, viewport); the server adds system information it gathers itself
(:mod:`bongsu.support.system`: version, services and instances, recent Kubernetes events,
firing alerts, recent captures), stores the request in the metadata database
(:mod:`bongsu.support.repo`; the screenshot as a bounded blob beside it, so replicas
sharing one database all serve it) and sends it through an alert channel
(:mod:`bongsu.support.delivery`) from an outbox of its own that retries with backoff
(:mod:`bongsu.support.outbox`) on the holder of the lease ``support``.

A request's status: ``new`` (stored, not delivered yet: waiting, retrying, or no channel
configured), ``sent``, ``failed`` (the channel refused it for good, or it ran out of
attempts; the error is kept) and ``resolved`` (set by a person).
"""

from __future__ import annotations

from bongsu.support.model import (
    MAX_CONTACT,
    MAX_DESCRIPTION,
    MAX_SCREENSHOT_BYTES,
    STATUSES,
    Status,
    SupportRequest,
)
from bongsu.support.service import SupportService

__all__ = [
    "MAX_CONTACT", "MAX_DESCRIPTION", "MAX_SCREENSHOT_BYTES", "STATUSES", "Status",
    "SupportRequest", "SupportService",
]
