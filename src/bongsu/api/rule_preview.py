"""``POST /api/v1/rules/preview``: a rule, as ``POST /api/v1/rules`` takes it, evaluated
over a window of the past without being saved (:mod:`bongsu.alerts.preview`).

The body is the rule's written form plus ``from`` and ``to`` (epoch ms; ``to`` defaults
to now and is cut back to now, ``from`` to an hour before ``to``). A bad rule is the same
400 naming the field as creating it; a window past the preview's bounds is a 400 naming
``from``; a preview past the query time limit a 504. The answer is per label set: the
value at each evaluation, the state changes the evaluator would have made, and the
pending and firing stretches they make.

Example::

    app = create_api(settings, store, authenticator.principal, routers=[rule_preview_router()])
    # POST /api/v1/rules/preview {"name": "slow", "kind": "threshold", "for": "5m",
    #   "spec": {"figure": "p95_ms", "op": ">", "value": 800}, "from": 1714557600000}
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import Field

from bongsu.alerts.preview import (
    MAX_EVALUATIONS,
    MAX_LABEL_SETS,
    MAX_WINDOW_S,
    Preview,
    preview,
    threshold_of,
)
from bongsu.alerts.rules import read_rule
from bongsu.api.alerts_models import MAX_MS, State
from bongsu.api.body import BodyModel
from bongsu.api.context import Queries, Tenant
from bongsu.api.responses import JSON
from bongsu.errors import RuleError

DEFAULT_WINDOW_MS = 3_600_000
PREVIEW_ID = "preview"  # the rule id of a body without one (alerts' fingerprints use it)

PreviewBody = Annotated[dict[str, Any], Body(
    description="A rule as POST /api/v1/rules takes it (name, kind, spec; severity, for, "
                "keep_firing_for, interval, no_data, labels, annotations, enabled, id) "
                "plus 'from' and 'to': the window, epoch ms (to: default now, and never "
                "past now; from: default an hour before to). At most "
                f"{MAX_WINDOW_S / 86_400:g} days and {MAX_EVALUATIONS} evaluations at "
                "the rule's interval.",
    examples=[{"name": "Orders slow", "kind": "threshold", "for": "5m", "interval": "1m",
               "spec": {"figure": "apdex", "op": "<", "value": 0.7, "service": "orders"},
               "from": 1714557600000, "to": 1714579200000}])]


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


class PreviewPoint(BodyModel):
    t: int = _d("Evaluation time, epoch ms")
    value: float | None = _d("The figure the rule compared (None: no data, or a "
                             "predictive rule not heading for its limit)")
    active: bool = _d("The condition held")


class PreviewChange(BodyModel):
    at_ms: int = _d("When the evaluator would have made it, epoch ms")
    old: State = _d("State before")
    new: State = _d("State after")
    value: float | None = _d("The figure then")
    summary: str = _d("The alert's summary then")


class PreviewInterval(BodyModel):
    state: Literal["pending", "firing"] = _d("pending: holding, not yet for long enough")
    from_ms: int = _d("Start, epoch ms")
    to_ms: int | None = _d("End, epoch ms; null: still so at the end of the window")


class PreviewLabelSet(BodyModel):
    labels: dict[str, str] = _d("The alert's label set (the rule's labels included)")
    state: State = _d("Its state at the end of the window")
    points: list[PreviewPoint] = _d("One per evaluation that saw the label set")
    changes: list[PreviewChange] = _d("State changes, oldest first")
    intervals: list[PreviewInterval] = _d("Pending and firing stretches, oldest first")


class RulePreview(BodyModel):
    """What the rule would have done over the window."""

    from_ms: int = _d("First evaluation, epoch ms")
    to_ms: int = _d("Last evaluation, epoch ms")
    step_s: float = _d("Between evaluations: the rule's interval, seconds")
    evaluations: int = _d(f"Evaluations made (at most {MAX_EVALUATIONS})")
    threshold: float | None = _d("The line a chart draws: a threshold's value, a "
                                 "predictive rule's horizon (seconds), an event rule's "
                                 "min_count; null for another kind")
    op: str | None = _d("How a value compares with the threshold to hold")
    label_sets: list[PreviewLabelSet] = _d(
        f"At most {MAX_LABEL_SETS}: those that fired first, then pending, then by labels")
    seen: int = _d("Label sets seen in all")
    truncated: bool = _d("Some label sets are left out")
    seconds: float = _d("Time the preview took")


def rule_preview_router() -> APIRouter:
    """The preview route; it reads through the app's query service."""
    router = APIRouter(prefix="/api/v1", tags=["alerts"])

    @router.post("/rules/preview", summary="Evaluate a rule over the past without saving it",
                 response_model=RulePreview)
    def preview_rule(tenant: Tenant, queries: Queries, body: PreviewBody) -> JSON:
        rest = dict(body)
        now_ms = time.time_ns() // 1_000_000
        to_ms = min(_ms(rest.pop("to", None), "to", now_ms), now_ms)
        from_ms = _ms(rest.pop("from", None), "from", to_ms - DEFAULT_WINDOW_MS)
        rule, problems = read_rule(rest, tenant=tenant, rule_id=PREVIEW_ID)
        if len(problems) == 1:
            raise problems[0]
        if problems or rule is None:
            raise RuleError("", "; ".join(str(p) for p in problems) or "rule: unreadable")
        found = preview(rule, queries.reads, queries.settings, from_ms * 1000, to_ms * 1000,
                        timeout_s=queries.settings.query_timeout_seconds)
        return JSON(_body(found, threshold_of(rule)))

    return router


def _ms(raw: object, name: str, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_MS:
        raise RuleError(name, f"must be epoch milliseconds (an integer 0 to {MAX_MS}), "
                              f"got {raw!r}")
    return raw


def _body(found: Preview, line: tuple[str, float] | None) -> dict[str, Any]:
    return {
        "from_ms": found.start_us // 1000, "to_ms": found.end_us // 1000,
        "step_s": found.step_s, "evaluations": len(found.evaluations),
        "op": None if line is None else line[0],
        "threshold": None if line is None else line[1],
        "label_sets": [{
            "labels": ls.labels, "state": ls.state,
            "points": [{"t": p.at_us // 1000, "value": p.value, "active": p.active}
                       for p in ls.points],
            "changes": [{"at_ms": c.at_us // 1000, "old": c.old, "new": c.new,
                         "value": c.value, "summary": c.summary} for c in ls.changes],
            "intervals": [{"state": i.state, "from_ms": i.start_us // 1000,
                           "to_ms": None if i.end_us is None else i.end_us // 1000}
                          for i in ls.intervals],
        } for ls in found.label_sets],
        "seen": found.seen, "truncated": found.truncated, "seconds": round(found.seconds, 3),
    }
