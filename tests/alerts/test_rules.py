"""Checking rules: the common fields, durations, bounds, and the kind's spec named under it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bongsu.alerts.defaults import default_rules
from bongsu.alerts.model import Rule
from bongsu.alerts.rules import (
    check_rule,
    format_duration,
    parse_duration,
    read_rule,
    rule_from_dict,
    rule_to_dict,
)
from bongsu.errors import RuleError

APDEX = {"figure": "apdex", "op": "<", "value": 0.7}


def written(**fields: Any) -> dict[str, Any]:
    return {"name": "APDEX low", "kind": "threshold", "spec": dict(APDEX), **fields}


def refused(data: object, prefix: str = "") -> RuleError:
    with pytest.raises(RuleError) as info:
        rule_from_dict(data, tenant="t", rule_id="r1", prefix=prefix)
    return info.value


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86_400), ("1h30m", 5400),
    ("250ms", 0.25), ("0s", 0), ("1.5m", 90), (" 10s ", 10),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "for") == seconds
    assert parse_duration(format_duration(seconds), "for") == seconds


@pytest.mark.parametrize("text", ["5", "5x", "m5", "", "5 m", "-5m", "1h 30m"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_duration(text, "rules[0].for")
    assert info.value.field == "rules[0].for"
    assert str(info.value).startswith("rules[0].for: must be a duration like 5m")


def test_numbers_are_not_durations() -> None:
    # "for: 5" could mean seconds or minutes: a unit is required.
    assert refused(written(**{"for": 5})).field == "for"


def test_a_minimal_rule_gets_the_defaults() -> None:
    rule = rule_from_dict(written(), tenant="t", rule_id="r1")
    assert rule == Rule(id="r1", tenant="t", name="APDEX low", kind="threshold",
                        spec=APDEX, severity="warning", for_s=0, keep_firing_for_s=0,
                        no_data="ignore", interval_s=60, labels={}, annotations={},
                        enabled=True, builtin=False)


def test_written_form_round_trips() -> None:
    data = written(id="r9", severity="critical", **{"for": "5m"}, keep_firing_for="2m",
                   interval="30s", no_data="keep", labels={"team": "shop"},
                   annotations={"summary": "APDEX of {service} is low"}, enabled=False)
    rule = rule_from_dict(data, tenant="t")
    assert rule.id == "r9" and rule.for_s == 300 and rule.keep_firing_for_s == 120
    assert rule_to_dict(rule) == data
    assert rule_from_dict(rule_to_dict(rule), tenant="t") == rule


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"name": "  "}, "name", "must be a non-empty string"),
    ({"name": "x" * 201}, "name", "must be at most 200 characters"),
    ({"severity": "page"}, "severity", "must be one of critical, warning, info, not 'page'"),
    ({"no_data": "alarm"}, "no_data", "must be one of ignore, alert, keep, not 'alarm'"),
    ({"interval": "5s"}, "interval", "must be between 10s and 1d, not 5s"),
    ({"interval": "2d"}, "interval", "must be between 10s and 1d, not 2d"),
    ({"for": "8d"}, "for", "must be between 0s and 7d, not 8d"),
    ({"keep_firing_for": "30d"}, "keep_firing_for", "must be between 0s and 7d, not 30d"),
    ({"labels": {"bad-name": "x"}}, "labels.bad-name", "must be a name like service or team_1"),
    ({"labels": {"team": 3}}, "labels.team", "must be a string"),
    ({"labels": ["team"]}, "labels", "must be a mapping of names to strings"),
    ({"annotations": {"summary": "x" * 4097}}, "annotations.summary",
     "must be at most 4096 characters"),
    ({"enabled": "yes"}, "enabled", "must be true or false"),
    ({"id": 7}, "id", "must be a string"),
    ({"colour": "red"}, "colour", "unknown field"),
    ({"spec": [1]}, "spec", "must be a mapping of the kind's fields"),
])
def test_common_fields_refused(fields: dict[str, Any], field: str, message: str) -> None:
    error = refused(written(**fields), prefix="rules[3]")
    assert error.field == f"rules[3].{field}"
    assert error.message.startswith(message)
    assert str(error).startswith(f"rules[3].{field}: {message}")


@pytest.mark.parametrize("missing", ["name", "kind", "spec"])
def test_required_fields(missing: str) -> None:
    data = written()
    del data[missing]
    error = refused(data)
    assert (error.field, error.message) == (missing, "is required")


def test_not_a_mapping() -> None:
    assert str(refused(["name"], prefix="rules[0]")) == "rules[0]: must be a mapping of fields"


def test_the_kind_checks_its_spec_under_the_rule_s_path() -> None:
    error = refused(written(spec={"figure": "apdex", "op": "=>", "value": 0.7}),
                    prefix="rules[2]")
    assert error.field == "rules[2].spec.op"
    assert "expected one of" in error.message and "'=>'" in error.message
    error = refused(written(kind="event", spec={"kind": "crash_loop", "colour": "red"}))
    assert error.field == "spec.colour"


def test_an_unknown_kind_is_named_on_kind() -> None:
    error = refused(written(kind="astrology"), prefix="rules[1]")
    assert error.field == "rules[1].kind"
    assert "unknown rule kind 'astrology'" in error.message
    assert "threshold" in error.message  # the known kinds are listed


def test_check_rule_on_a_rule_built_in_code() -> None:
    rule = rule_from_dict(written(), tenant="t", rule_id="r1")
    check_rule(rule)
    with pytest.raises(RuleError, match=r"^keep_firing_for: must be between 0s and 7d, not -1m$"):
        check_rule(dataclasses.replace(rule, keep_firing_for_s=-60))


def test_every_shipped_default_is_a_valid_rule() -> None:
    defaults = default_rules()
    for rule in defaults.values():
        check_rule(dataclasses.replace(rule, tenant="t"))
        assert rule.builtin and rule.enabled and rule.id == f"builtin-{_key(defaults, rule)}"
    event_kinds = {r.spec["kind"] for r in defaults.values() if r.kind == "event"}
    # The list: crash loop, image pull, OOM kill, eviction, volume mount,
    # scheduling, HostPort conflict, node not ready, node rebooted, container restarts,
    # HPA scale out/in as info.
    assert event_kinds == {
        "crash_loop", "image_pull", "oom_killed", "evicted", "volume_mount", "scheduling",
        "hostport_conflict", "node_not_ready", "node_rebooted", "container_restart",
        "hpa_scale_out", "hpa_scale_in",
    }
    hpa = [r for r in defaults.values() if r.kind == "event" and "hpa" in r.spec["kind"]]
    assert {r.severity for r in hpa} == {"info"}
    assert defaults["apdex-low"].spec == {"figure": "apdex", "op": "<", "value": 0.7,
                                          "window_s": 300}
    assert defaults["error-rate-high"].spec["value"] == 0.05
    memory = defaults["memory-exhaustion"]
    assert memory.kind == "predictive" and memory.spec["horizon_s"] == 7200
    assert memory.spec["limit"] == {"metric": "k8s.container.memory.limit"}
    assert len({r.name for r in defaults.values()}) == len(defaults)
    assert {r.no_data for r in defaults.values()} == {"ignore"}  # never noise by default


def _key(defaults: dict[str, Rule], rule: Rule) -> str:
    return next(k for k, r in defaults.items() if r is rule)


def test_read_rule_reports_every_field() -> None:
    rule, problems = read_rule(written(severity="page", interval="1s", labels={"a-b": "x"},
                                       **{"for": "x"}), tenant="t", prefix="rules[0]")
    assert rule is None
    assert [p.field for p in problems] == [
        "rules[0].for", "rules[0].severity", "rules[0].interval", "rules[0].labels.a-b"]
    rule, problems = read_rule(written(), tenant="t", rule_id="r1")
    assert problems == [] and rule == rule_from_dict(written(), tenant="t", rule_id="r1")
