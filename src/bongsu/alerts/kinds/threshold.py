"""Threshold rules: a figure over a window compared with a value.

A figure is one the query service computes per service (or per instance with
``by: instance``) — ``tps``, ``error_rate``, ``avg_ms``, ``p95_ms``, ``p99_ms``,
``apdex``, ``active_users`` — or a metric series (``metric`` + ``agg``), optionally one
series per value of a point attribute (``group_by: k8s.pod.name``). A label set with no
transactions (or no points) in the window gives a no-data sample.

Example spec::

    {"figure": "apdex", "op": "<", "value": 0.7, "window_s": 300}
    {"metric": "process.memory.rss", "agg": "max", "op": ">", "value": 2e9,
     "service": "orders"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import OPS, choice, no_unknown, number, text
from bongsu.alerts.kinds.series import combine, metric_values
from bongsu.alerts.model import Rule, Sample
from bongsu.errors import RuleError
from bongsu.query.grouped import FIGURES, figure_read, figure_values
from bongsu.query.metrics import AGGS
from bongsu.query.window import Window

_US = 1_000_000
_KNOWN = {"figure", "metric", "agg", "op", "value", "window_s", "by", "service", "instance",
          "group_by", "step_s"}


class Threshold:
    name = "threshold"

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(spec, _KNOWN)
        out: dict[str, Any] = {
            "op": choice(spec, "op", tuple(OPS)),
            "value": number(spec, "value"),
            "window_s": number(spec, "window_s", 300, low=10, high=86_400),
            "service": text(spec, "service", None),
        }
        if ("figure" in spec) == ("metric" in spec):
            raise RuleError("spec.figure", "give exactly one of figure or metric")
        if "figure" in spec:
            out["figure"] = choice(spec, "figure", FIGURES)
            out["by"] = choice(spec, "by", ("service", "instance"), "service")
        else:
            out["metric"] = text(spec, "metric")
            out["agg"] = choice(spec, "agg", AGGS, "avg")
            out["instance"] = text(spec, "instance", None)
            out["group_by"] = text(spec, "group_by", None)
            out["step_s"] = number(spec, "step_s", 60, low=10)
        return out

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        spec = self.check(rule.spec)
        window = Window(now_us - int(spec["window_s"] * _US), now_us)
        if "figure" in spec:
            found = _figures(ctx, rule.tenant, spec, window)
            name = spec["figure"]
        else:
            found = {
                labels_key: combine(spec["agg"], values)
                for labels_key, values in metric_values(ctx, rule.tenant, spec, window).items()
            }
            name = spec["metric"]
        compare = OPS[spec["op"]]
        samples = []
        for key, value in sorted(found.items()):
            labels = dict(key)
            who = " ".join(f"{k}={v}" for k, v in key)
            if value is None:
                samples.append(Sample(labels, False, None, f"no data for {name} ({who})",
                                      no_data=True, link=_link(labels, now_us)))
                continue
            active = compare(value, spec["value"])
            samples.append(Sample(
                labels, active, value,
                f"{name} is {value:.4g} ({spec['op']} {spec['value']:g}) for {who}",
                link=_link(labels, now_us),
            ))
        return samples


LabelsKey = tuple[tuple[str, str], ...]


def _figures(ctx: Context, tenant: str, spec: dict[str, Any], window: Window
             ) -> dict[LabelsKey, float | None]:
    """The figure per service or per service x instance: one grouped read of just that
    figure (every service's, shared with the round's other rules needing it), the same
    numbers as the dashboard's ``services`` / ``instances`` for the window."""
    figure, only = spec["figure"], spec["service"]
    read = figure_read(tenant, figure, spec["by"], window)
    rows = (read.run(ctx.reads) if ctx.shared is None
            else ctx.shared.get(read, lambda: read.run(ctx.reads)))
    out: dict[LabelsKey, float | None] = {}
    for (service, instance), value in figure_values(rows, figure, read,
                                                    ctx.queries.clock()).items():
        if only is not None and service != only:
            continue
        key = (("service", service),) if instance is None else (
            ("instance", instance), ("service", service))
        out[key] = value
    return out


def _link(labels: dict[str, str], now_us: int) -> str | None:
    """The service dashboard at the alert's time."""
    service = labels.get("service")
    if service is None:
        return None
    return f"/services/{service}?to={now_us // 1000}"
