"""SLA figures: uptime of synthetic checks and services, and an SLO from real traffic.

The data path, one module each: ``periods`` cuts a window into UTC days, ISO weeks and
calendar months; ``timeline`` turns a check's stored results into time-weighted spans of
up / down / unknown / maintenance and combines a service's checks; ``maintenance`` reads
the alert engine's silences that are planned work; ``budget`` judges a figure against a
target (SLA %, met, error budget); ``targets`` keeps the SLA definitions in the metadata
database (migration ``0009``); ``report`` puts them together per period, for a check, a
service or a service's traffic (the store's 1-minute rollups, :mod:`bongsu.store.sla`).
"""

from __future__ import annotations

from bongsu.sla.report import PeriodFigures, Report, SlaReports
from bongsu.sla.targets import Target, TargetRepo

__all__ = ["PeriodFigures", "Report", "SlaReports", "Target", "TargetRepo"]
