"""SLA reports: per period (UTC day, week or month) uptime or good-request share, judged
against the subject's target, with the error budget.

Three kinds of subject, one report shape:

- ``check``: the check's time-weighted uptime (:mod:`bongsu.sla.timeline`), its own
  maintenance windows (:mod:`bongsu.sla.maintenance`) and unknown time left out; the
  budget in seconds of down time.
- ``service``: the service's checks (those whose SLA target names the service) combined
  at every instant (down when any counted check is down); the budget in seconds.
- ``traffic``: the share of the service's requests that are neither errors nor as slow as
  the target's threshold (:mod:`bongsu.store.sla`: the rollup bucket at or below the
  threshold), minutes starting in a maintenance window left out; the budget in requests.

Example::

    sla = SlaReports(sla_reads_of(store, 30, 1_000_000), notify.silences,
                     TargetRepo(engine))
    report = sla.check("default", "c_1", "day", start_us, end_us)
    report.periods[0].against.sla_percent
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bongsu.alerts.model import Silence
from bongsu.sla.budget import Against, against
from bongsu.sla.maintenance import check_labels, maintenance_windows
from bongsu.sla.periods import Period, split
from bongsu.sla.targets import Kind, Target, default_target
from bongsu.sla.timeline import Span, Tally, combine, spans_of, tally_of
from bongsu.sla.timeline import with_maintenance as _with_maintenance
from bongsu.store.rollup import bucket_low_us, bucket_of
from bongsu.store.sla import SlaReads, TrafficMinute


class Targets(Protocol):
    def list(self, tenant: str) -> list[Target]: ...


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One period (or the whole window): the time or requests counted, and the verdict."""

    start_us: int
    end_us: int
    tally: Tally  # seconds per status (check, service); zeros for traffic
    requests: int  # traffic: requests counted (maintenance minutes left out)
    good: int
    excluded_requests: int  # traffic: requests in maintenance minutes
    uptime: float | None  # fraction 0-1: up / (up + down), or good / requests
    against: Against


@dataclass(frozen=True, slots=True)
class Report:
    kind: Kind
    subject: str
    period: Period
    start_us: int
    end_us: int
    target: Target
    periods: list[PeriodFigures]
    total: PeriodFigures
    checks: list[str] = field(default_factory=list)  # service: the checks combined
    spans: list[Span] = field(default_factory=list)  # check, service: the status timeline
    threshold_low_ms: float | None = None  # traffic: the bucket boundary actually used


class SlaReports:
    """Computes SLA reports from the store and the metadata database."""

    def __init__(self, store: SlaReads,
                 silences: Callable[[str], list[Silence]], targets: Targets,
                 now_us: Callable[[], int] = lambda: time.time_ns() // 1000) -> None:
        self._traffic = store
        self._silences = silences
        self._targets = targets
        self._now_us = now_us

    def target(self, tenant: str, kind: Kind, subject: str) -> Target:
        """The subject's target, or the default one."""
        for t in self._targets.list(tenant):
            if t.kind == kind and t.subject == subject:
                return t
        return default_target(kind, subject)

    def service_checks(self, tenant: str, service: str) -> list[Target]:
        """The check targets that name ``service``."""
        return [t for t in self._targets.list(tenant)
                if t.kind == "check" and t.service == service]

    def check(self, tenant: str, check_id: str, period: Period, start_us: int,
              end_us: int) -> Report:
        target = self.target(tenant, "check", check_id)
        spans = self._check_spans(tenant, check_id, target.service, start_us, end_us)
        return self._timed("check", check_id, target, spans, period, start_us, end_us)

    def service(self, tenant: str, service: str, period: Period, start_us: int,
                end_us: int) -> Report:
        target = self.target(tenant, "service", service)
        checks = sorted(t.subject for t in self.service_checks(tenant, service))
        stop = min(end_us, self._now_us())
        timelines = [self._check_spans(tenant, c, service, start_us, end_us) for c in checks]
        spans = combine(timelines, start_us, max(start_us, stop))
        report = self._timed("service", service, target, spans, period, start_us, end_us)
        return dataclasses.replace(report, checks=checks)

    def traffic(self, tenant: str, service: str, period: Period, start_us: int,
                end_us: int) -> Report:
        target = self.target(tenant, "traffic", service)
        threshold_us = (target.threshold_ms or 0) * 1000
        below = bucket_of(threshold_us)
        minutes = self._traffic.traffic_minutes(tenant, service, start_us, end_us, below)
        windows = maintenance_windows(self._silences(tenant), {"service": service},
                                      start_us, end_us)
        pieces = [self._traffic_figures(minutes, windows, lo, hi, target)
                  for lo, hi in split(start_us, end_us, period)]
        total = self._traffic_figures(minutes, windows, start_us, end_us, target)
        return Report("traffic", service, period, start_us, end_us, target, pieces, total,
                      threshold_low_ms=bucket_low_us(below) / 1000)

    def _check_spans(self, tenant: str, check_id: str, service: str | None, start_us: int,
                     end_us: int) -> list[Span]:
        stop = min(end_us, self._now_us())
        if stop <= start_us:
            return []
        results = self._traffic.check_state_changes(tenant, check_id, start_us, stop)
        name = results[-1].name if results else ""
        windows = maintenance_windows(self._silences(tenant),
                                      check_labels(check_id, name, service), start_us, stop)
        return _with_maintenance(spans_of(results, start_us, stop), windows)

    def _timed(self, kind: Kind, subject: str, target: Target, spans: list[Span],
               period: Period, start_us: int, end_us: int) -> Report:
        def figures(lo: int, hi: int) -> PeriodFigures:
            tally = tally_of(spans, lo, hi)
            return PeriodFigures(lo, hi, tally, 0, 0, 0, tally.uptime,
                                 against(tally.up_s, tally.measured_s, target.target_percent))

        pieces = [figures(lo, hi) for lo, hi in split(start_us, end_us, period)]
        return Report(kind, subject, period, start_us, end_us, target, pieces,
                      figures(start_us, end_us), spans=spans)

    @staticmethod
    def _traffic_figures(minutes: Sequence[TrafficMinute], windows: list[tuple[int, int]],
                         lo: int, hi: int, target: Target) -> PeriodFigures:
        requests = good = excluded = 0
        for m in minutes:
            ts, count, ok = m.ts_us, m.requests, m.good
            if not lo <= ts < hi:
                continue
            if any(w_lo <= ts < w_hi for w_lo, w_hi in windows):
                excluded += count
                continue
            requests += count
            good += ok
        share = good / requests if requests else None
        return PeriodFigures(lo, hi, Tally(), requests, good, excluded, share,
                             against(good, requests, target.target_percent))


__all__ = ["PeriodFigures", "Report", "SlaReports", "Targets"]
