"""Predictive rules: a Theil-Sen trend of a metric over a lookback predicts when it reaches
a limit — a constant, or another series (``k8s.container.memory.limit``, the JVM's max
heap) read with the same filters and grouping — and fires when that is within the
horizon. Each step's value is fitted at the middle of the part of its step the lookback
covers (:func:`~bongsu.alerts.kinds.series.step_times`): at most half a step from where
it was taken, so the crossing comes at most half a step early (a max or last of a series
scraped many times a step) or late (one sample at each step's start). A fit
:mod:`bongsu.alerts.trend` refuses gives an inactive sample whose summary
says why (a stopped series is no data).

Example spec::

    {"metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
     "limit": {"metric": "k8s.container.memory.limit"}, "horizon_s": 7200,
     "lookback_s": 3600, "step_s": 60}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import choice, no_unknown, number, text
from bongsu.alerts.kinds.series import LabelsKey, metric_points, step_times
from bongsu.alerts.model import Rule, Sample
from bongsu.alerts.trend import Refused, fit_trend, reaches_at
from bongsu.diagnostics.oom import Series, Subject, classify
from bongsu.errors import RuleError
from bongsu.query.metrics import AGGS
from bongsu.query.window import Window

_US = 1_000_000
_KNOWN = {"metric", "agg", "service", "instance", "group_by", "limit", "horizon_s",
          "lookback_s", "step_s", "min_points", "stop_steps", "min_fit"}


class Predictive:
    name = "predictive"

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(spec, _KNOWN)
        out: dict[str, Any] = {
            "metric": text(spec, "metric"),
            "agg": choice(spec, "agg", AGGS, "max"),
            "service": text(spec, "service", None),
            "instance": text(spec, "instance", None),
            "group_by": text(spec, "group_by", None),
            "horizon_s": number(spec, "horizon_s", 7200, low=1),
            "lookback_s": number(spec, "lookback_s", 3600, low=60, high=30 * 86_400),
            "step_s": number(spec, "step_s", 60, low=10),
            "min_points": int(number(spec, "min_points", 10, low=3)),
            "stop_steps": number(spec, "stop_steps", 3, low=1),
            "min_fit": number(spec, "min_fit", 0.8, low=0, high=1),
        }
        limit = spec.get("limit")
        if isinstance(limit, Mapping):
            no_unknown(limit, {"metric", "agg"})
            try:
                out["limit"] = {"metric": text(limit, "metric"),
                                "agg": choice(limit, "agg", AGGS, "max")}
            except RuleError as exc:
                raise RuleError(exc.field.replace("spec.", "spec.limit."), exc.message) from None
        else:
            out["limit"] = number(spec, "limit")
        if out["lookback_s"] < out["min_points"] * out["step_s"]:
            raise RuleError("spec.lookback_s", f"shorter than min_points ({out['min_points']})"
                            f" x step_s ({out['step_s']:g} s): no fit could ever be made")
        return out

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        spec = self.check(rule.spec)
        window = Window(now_us - int(spec["lookback_s"] * _US), now_us)
        series = metric_points(ctx, rule.tenant, spec, window)
        limits = _limits(ctx, rule.tenant, spec, window)
        samples = []
        for key, points in sorted(series.items()):
            labels = dict(key)
            limit = limits(key)
            if limit is None:
                samples.append(Sample(labels, False, None,
                                      f"no value of the limit {spec['limit']['metric']}",
                                      no_data=True))
                continue
            samples.append(_predict(labels, points, step_times(points, spec["step_s"], window),
                                    limit, spec, now_us))
        return samples


def _limits(ctx: Context, tenant: str, spec: dict[str, Any], window: Window
            ) -> Callable[[LabelsKey], float | None]:
    """The limit of each label set: the constant, or the limit series' latest value."""
    limit = spec["limit"]
    if not isinstance(limit, dict):
        return lambda _key: float(limit)
    found = metric_points(ctx, tenant, {**spec, "agg": limit["agg"]}, window, limit["metric"])
    latest = {key: pts[-1][1] for key, pts in found.items() if pts}
    return latest.get


def _predict(labels: dict[str, str], points: list[tuple[int, float]],
             timed: list[tuple[int, float]], limit: float, spec: dict[str, Any],
             now_us: int) -> Sample:
    """The sample of one label set: ``timed`` (the values timed as the trend fits them),
    ``points`` the same as the store gives them (each at its step's start), which the OOM
    verdict reads as the diagnostics' OOM analysis does."""
    fit = fit_trend(timed, spec["step_s"], now_us, min_points=spec["min_points"],
                    stop_steps=spec["stop_steps"], min_fit=spec["min_fit"])
    name = spec["metric"]
    if isinstance(fit, Refused):
        stopped = fit.reason.startswith("the series stopped")
        return Sample(labels, False, None, f"{name}: no prediction: {fit.reason}",
                      no_data=stopped, details={"refused": fit.reason})
    at = reaches_at(fit, limit)
    details: dict[str, Any] = {"slope_per_s": fit.slope_per_s, "predicted_at_us": at,
                               "limit": limit, "points": fit.points,
                               "fit_fraction": fit.fit_fraction}
    if at is None:
        return Sample(labels, False, None,
                      f"{name} is not heading for its limit {limit:.4g}", details=details)
    left_s = max(0.0, (at - now_us) / _US)
    when = datetime.fromtimestamp(at / _US, UTC).strftime("%Y-%m-%d %H:%M UTC")
    active = left_s <= spec["horizon_s"]
    summary = (f"{name} predicted to reach {limit:.4g} at {when} (in {left_s / 60:.0f} min;"
               f" {fit.slope_per_s:.4g}/s)")
    if active and ("memory" in name or "heap" in name):
        # The OOM verdict of the points already read (no heap series here: leak or spike).
        verdict = classify(Subject("instance", None, None, None), Series(name, points), None,
                           limit, [])
        details["oom_verdict"], details["oom_reason"] = verdict.verdict, verdict.reason
        summary += f"; OOM classification: {verdict.verdict}"
    return Sample(labels, active, left_s, summary, details=details)
