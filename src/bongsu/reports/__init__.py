"""Reports: performance, SLA, service users and metering as HTML, CSV and PDF, on demand
and on a schedule, e-mailed.

The data path: a report *kind* (``kinds/``, registered in a :class:`KindRegistry` the way
a third party registers its own) reads the query service and the other subsystems and
returns a :class:`Report` (headline figures and tables); ``render`` turns it into HTML (one
Jinja template per kind), CSV (every table, one block each) and PDF (headless Chromium
printing the HTML, so the PDF looks like the HTML). ``jobs`` runs report jobs from the
metadata database on a worker thread and keeps their files under the data directory;
``scheduler`` turns schedules (daily / weekly / monthly at a UTC time) into deliveries,
once per period, on the lease holder only, and ``mail`` sends them through the alert
engine's e-mail channel with the PDF attached.

Example::

    registry = default_kinds()
    report = registry.get("performance").build(sources, request, progress)
    html = render_html(report)
"""

from __future__ import annotations

from bongsu.reports.kinds import KindRegistry, default_kinds
from bongsu.reports.model import Report, ReportError, ReportRequest, Sources, Table
from bongsu.reports.render import render_csv, render_html

__all__ = [
    "KindRegistry", "Report", "ReportError", "ReportRequest", "Sources", "Table",
    "default_kinds", "render_csv", "render_html",
]
