"""The alert state machine: one label set's instance and this evaluation's sample give its
next state, and at most one transition.

    inactive ──holds──▶ pending ──held for_s──▶ firing ──stopped for keep_firing_for_s──▶ resolved
        ▲                  │ stops holding                                                   │
        └──────────────────┘                                      holds again: pending ◀─────┘

With ``for_s == 0`` a label set goes straight to firing. ``sample`` None means the label
set was not seen this time (a pod gone, a service silent); it counts as no data, and what
no data does is the rule's ``no_data``: ``ignore`` (the condition does not hold: a firing
alert resolves after ``keep_firing_for_s``), ``alert`` (the condition holds: a no-data
alert), ``keep`` (nothing changes). Times are the evaluation's ``now_us``: a clock the
caller injects, so the timing is exact in tests.

Example::

    instance, change = step(None, sample, rule, now_us)      # → pending (for_s > 0)
    instance, change = step(instance, sample, rule, later)   # → firing once for_s passed
"""

from __future__ import annotations

from dataclasses import replace

from bongsu.alerts.model import AlertInstance, Rule, Sample, State, Transition, fingerprint

_US = 1_000_000


def instance_labels(rule: Rule, sample: Sample) -> dict[str, str]:
    """An instance's labels: the rule's own under the sample's (a sample label wins)."""
    return {**rule.labels, **sample.labels}


def step(
    instance: AlertInstance | None, sample: Sample | None, rule: Rule, now_us: int
) -> tuple[AlertInstance | None, Transition | None]:
    """The instance after this evaluation and the change made, if any. None for an
    instance that does not exist and does not start now (nothing to keep)."""
    no_data = sample is None or sample.no_data
    if no_data and rule.no_data == "keep":
        return (None if instance is None else replace(instance, last_eval_us=now_us)), None
    holds = rule.no_data == "alert" if no_data else bool(sample and sample.active)
    if instance is None:
        if not holds or sample is None:
            return None, None
        labels = instance_labels(rule, sample)
        instance = AlertInstance(
            id=fingerprint(rule.id, labels), tenant=rule.tenant, rule_id=rule.id,
            labels=labels, state="inactive", active_since_us=None, fired_at_us=None,
            resolved_at_us=None, last_eval_us=now_us, last_active_us=None, value=None,
            summary="", severity=rule.severity,
        )
    current = replace(instance, last_eval_us=now_us, severity=rule.severity)
    if sample is not None:
        current.value, current.link = sample.value, sample.link
        current.summary = sample.summary
    if holds:
        current.last_active_us = now_us
        if no_data:
            current.summary = current.summary or "no data"
    return _advance(instance.state, current, holds, rule, now_us)


def _advance(old: State, cur: AlertInstance, holds: bool, rule: Rule, now_us: int
             ) -> tuple[AlertInstance, Transition | None]:
    new: State = old
    if old in ("inactive", "resolved"):
        if holds:
            cur.active_since_us, cur.resolved_at_us = now_us, None
            new = "pending"
            if rule.for_s <= 0:
                new, cur.fired_at_us = "firing", now_us
    elif old == "pending":
        if not holds:
            new, cur.active_since_us = "inactive", None
        elif now_us - (cur.active_since_us or now_us) >= rule.for_s * _US:
            new, cur.fired_at_us = "firing", now_us
    elif not holds:  # firing
        since = cur.last_active_us if cur.last_active_us is not None else now_us
        if now_us - since >= rule.keep_firing_for_s * _US:
            new, cur.resolved_at_us, cur.active_since_us = "resolved", now_us, None
    if new == old:
        return cur, None
    cur.state = new
    return cur, Transition(instance=cur, old=old, new=new, at_us=now_us)
