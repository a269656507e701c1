"""The state machine with an injected clock: for, keep_firing_for, recurrence, no data."""

from __future__ import annotations

from collections.abc import Sequence

from bongsu.alerts.model import AlertInstance, NoData, Rule, Sample, State, fingerprint
from bongsu.alerts.state import step

S = 1_000_000
T0 = 1_700_000_000 * S
LABELS = {"service": "orders"}


def rule(for_s: float = 0, keep_s: float = 0, no_data: NoData = "ignore") -> Rule:
    return Rule(id="r1", tenant="default", name="errors", kind="threshold", spec={},
                for_s=for_s, keep_firing_for_s=keep_s, no_data=no_data,
                labels={"team": "core"}, severity="critical")


def sample(active: bool, no_data: bool = False) -> Sample:
    return Sample(LABELS, active, 0.2 if active else 0.0, "error rate", no_data=no_data)


def run(r: Rule, plan: Sequence[tuple[int, Sample | None]]
        ) -> tuple[AlertInstance | None, list[tuple[int, State, State]]]:
    """Step through (second, sample) pairs; the transitions as (second, old, new)."""
    inst: AlertInstance | None = None
    seen = []
    for second, s in plan:
        inst, change = step(inst, s, r, T0 + second * S)
        if change is not None:
            seen.append(((change.at_us - T0) // S, change.old, change.new))
    return inst, seen


def test_for_fires_exactly_when_it_has_held_long_enough() -> None:
    plan = [(t, sample(True)) for t in range(0, 200, 10)]
    inst, seen = run(rule(for_s=120), plan)
    assert seen == [(0, "inactive", "pending"), (120, "pending", "firing")]
    assert inst is not None and inst.fired_at_us == T0 + 120 * S
    assert inst.labels == {"team": "core", "service": "orders"}
    assert inst.id == fingerprint("r1", inst.labels) and inst.severity == "critical"


def test_a_pending_alert_that_stops_holding_never_fires() -> None:
    plan = [(0, sample(True)), (60, sample(True)), (110, sample(False)),
            (120, sample(True)), (230, sample(True)), (240, sample(True))]
    _, seen = run(rule(for_s=120), plan)
    assert seen == [(0, "inactive", "pending"), (110, "pending", "inactive"),
                    (120, "inactive", "pending"), (240, "pending", "firing")]


def test_keep_firing_for_resolves_exactly_after_the_last_active_evaluation() -> None:
    plan = [(0, sample(True)), (10, sample(True)), (20, sample(False)), (60, sample(False)),
            (69, sample(False)), (70, sample(False)), (80, sample(False))]
    inst, seen = run(rule(keep_s=60), plan)
    assert seen == [(0, "inactive", "firing"), (70, "firing", "resolved")]
    assert inst is not None and inst.resolved_at_us == T0 + 70 * S


def test_holding_again_inside_keep_firing_for_keeps_one_firing() -> None:
    plan = [(0, sample(True)), (30, sample(False)), (50, sample(True)), (100, sample(False)),
            (160, sample(False))]
    _, seen = run(rule(keep_s=60), plan)
    assert seen == [(0, "inactive", "firing"), (160, "firing", "resolved")]


def test_a_resolved_alert_recurs_through_pending() -> None:
    plan = [(0, sample(True)), (60, sample(True)), (70, sample(False)), (80, sample(True)),
            (140, sample(True))]
    inst, seen = run(rule(for_s=60), plan)
    assert seen == [(0, "inactive", "pending"), (60, "pending", "firing"),
                    (70, "firing", "resolved"), (80, "resolved", "pending"),
                    (140, "pending", "firing")]
    assert inst is not None and inst.resolved_at_us is None


def test_a_label_set_that_disappears_resolves_after_keep_firing_for() -> None:
    plan = [(0, sample(True)), (10, None), (39, None), (40, None), (50, None)]
    _, seen = run(rule(keep_s=40), plan)
    assert seen == [(0, "inactive", "firing"), (40, "firing", "resolved")]


def test_no_data_alert_fires_a_no_data_alert_after_for() -> None:
    plan = [(0, sample(False, no_data=True)), (30, None), (60, None)]
    inst, seen = run(rule(for_s=60, no_data="alert"), plan)
    assert seen == [(0, "inactive", "pending"), (60, "pending", "firing")]
    assert inst is not None and inst.summary == "error rate"


def test_no_data_keep_holds_the_last_state() -> None:
    plan = [(0, sample(True)), (600, None), (1200, sample(False, no_data=True))]
    inst, seen = run(rule(keep_s=0, no_data="keep"), plan)
    assert seen == [(0, "inactive", "firing")]
    assert inst is not None and inst.state == "firing" and inst.last_eval_us == T0 + 1200 * S


def test_no_data_ignored_by_default_is_never_noise() -> None:
    inst, seen = run(rule(), [(0, sample(False, no_data=True)), (60, None)])
    assert (inst, seen) == (None, [])


def test_an_inactive_label_set_makes_no_instance() -> None:
    assert step(None, sample(False), rule(), T0) == (None, None)
