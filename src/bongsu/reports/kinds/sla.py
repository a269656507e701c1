"""The SLA report of one service: its synthetic SLA (its checks combined), each of its
checks, and its traffic SLO, per UTC day and over the period, against their targets —
``bongsu.sla.report.SlaReports``, the figures of ``GET /api/v1/sla``."""

from __future__ import annotations

import inspect
from typing import Any, cast

from bongsu.reports.kinds.performance import day, period_text
from bongsu.reports.model import (
    Cell,
    Progress,
    Report,
    ReportError,
    ReportRequest,
    Sources,
    Table,
)
from bongsu.sla.report import PeriodFigures, SlaReports
from bongsu.sla.report import Report as SlaReport
from bongsu.sla.targets import TargetRepo
from bongsu.store.reads import reads_of
from bongsu.store.sla import sla_reads_of

_TIMEOUT_S = 60.0



def _row(subject: str, label: str, f: PeriodFigures) -> list[Cell]:
    a = f.against
    return [subject, label, None if a.sla_percent is None else round(a.sla_percent, 4),
            a.target_percent,
            None if a.met is None else ("yes" if a.met else "no"),
            round(a.budget_left, 1)]


def _sla_reports(sources: Sources) -> SlaReports:
    """SlaReports over the server's store and metadata database. Its constructor is being
    changed while this is written (one store read for check results and traffic instead of
    two): both shapes are taken; drop the old one once it is gone."""
    make: Any = SlaReports
    sla_reads = sla_reads_of(sources.store, _TIMEOUT_S, 1_000_000)
    targets = TargetRepo(sources.engine)
    if "results" in inspect.signature(SlaReports).parameters:
        return cast(SlaReports, make(results=reads_of(sources.store, _TIMEOUT_S, 1_000_000),
                                     traffic=sla_reads, silences=sources.silences,
                                     targets=targets))
    return cast(SlaReports, make(sla_reads, sources.silences, targets))


class Sla:
    name = "sla"
    title = "SLA"
    needs_service = True

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        if sources.store is None or sources.engine is None or sources.silences is None:
            raise ReportError("kind", "SLA figures need the server's store and metadata")
        service = request.service or ""
        reports = _sla_reports(sources)
        t, a, b = request.tenant, request.from_us, request.to_us
        found: list[tuple[str, SlaReport]] = [
            ("service (checks combined)", reports.service(t, service, "day", a, b))]
        for target in reports.service_checks(t, service):
            found.append((f"check {target.subject}",
                          reports.check(t, target.subject, "day", a, b)))
        progress(0.6)
        found.append(("traffic SLO", reports.traffic(t, service, "day", a, b)))
        progress(1.0)
        rows: list[list[Cell]] = []
        totals: list[list[Cell]] = []
        for subject, r in found:
            rows += [_row(subject, day(p.start_us // 1000), p) for p in r.periods]
            totals.append(_row(subject, "period", r.total))
        columns = ["subject", "day", "sla_percent", "target_percent", "met",
                   "budget_left_s_or_requests"]
        headline = found[0][1].total.against
        return Report(
            kind=self.name,
            title=f"SLA report — {service}",
            period=period_text(a, b),
            figures=[("Service SLA", "—" if headline.sla_percent is None
                      else f"{headline.sla_percent:.3f} %"),
                     ("Target", f"{headline.target_percent:g} %"),
                     ("Traffic SLO", "—" if found[-1][1].total.against.sla_percent is None
                      else f"{found[-1][1].total.against.sla_percent:.3f} %")],
            tables=[Table("totals", "Over the period", columns, totals),
                    Table("daily", "Per UTC day", columns, rows)],
        )
