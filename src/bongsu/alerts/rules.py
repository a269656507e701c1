"""Checking alert rules: the fields every rule has, and the kind's ``spec`` by the kind.

A rule arrives as a plain mapping (from a YAML rules file or the API) in the shape a
person writes: durations are strings with a unit (``"30s"``, ``"5m"``, ``"2h"``, ``"1d"``,
or combined: ``"1h30m"``); :func:`rule_from_dict` turns it into a checked
:class:`~bongsu.alerts.model.Rule` or raises :class:`~bongsu.errors.RuleError` naming the
field, and :func:`rule_to_dict` gives the same shape back.

Example::

    rule = rule_from_dict({"name": "APDEX low", "kind": "threshold", "for": "5m",
                           "spec": {"figure": "apdex", "op": "<", "value": 0.7}},
                          tenant="default", rule_id="r1")
    assert rule.for_s == 300
    check_rule(rule)  # the same checks on a Rule built in code
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast, get_args

from bongsu.alerts.model import NoData, Rule, RuleKind, Severity
from bongsu.errors import RuleError

KINDS: tuple[str, ...] = get_args(RuleKind)  # the built-in ones; a third party adds more
SEVERITIES: tuple[str, ...] = get_args(Severity)
NO_DATA: tuple[str, ...] = get_args(NoData)

# Bounds. At 10 s, 1,000 rules are already 100 evaluations a second on a shared server;
# a rule looked at less than once a day is not an alert.
MIN_INTERVAL_S = 10.0
MAX_INTERVAL_S = 86_400.0
MAX_FOR_S = 7 * 86_400.0  # a condition held for a week is a report, not an alert
MAX_NAME = 200
MAX_LABEL_VALUE = 1024
MAX_ANNOTATION_VALUE = 4096
MAX_LABELS = 32

REQUIRED = ("name", "kind", "spec")
FIELDS = ("id", "name", "kind", "severity", "for", "keep_firing_for", "interval", "no_data",
          "labels", "annotations", "enabled", "spec", "captures")
# What a firing alert can ask an instance's agent for (docs/captures.md); locks are part
# of a threads capture.
CAPTURE_KINDS = ("threads", "memory", "network", "files", "processes")

_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}


def parse_duration(text: object, field: str) -> float:
    """Seconds in ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"``, ``"1h30m"``, ``"250ms"``."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(field, "must be a duration like 5m")
    text = text.strip()
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise RuleError(field, f"must be a duration like 5m, not {text!r}")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def format_duration(seconds: float) -> str:
    """The shortest duration string :func:`parse_duration` reads back as ``seconds``."""
    if seconds == 0:
        return "0s"
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    rest, parts = int(seconds), []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def rule_from_dict(data: object, *, tenant: str, rule_id: str = "", prefix: str = "") -> Rule:
    """A checked Rule from its written form; errors name ``prefix`` + the field."""
    rule, problems = read_rule(data, tenant=tenant, rule_id=rule_id, prefix=prefix)
    if problems or rule is None:
        raise problems[0]
    return rule


def read_rule(data: object, *, tenant: str, rule_id: str = "", prefix: str = ""
              ) -> tuple[Rule | None, list[RuleError]]:
    """The rule in ``data`` and everything wrong with it (every field is checked, so a
    rules file reports all its errors at once; the kind stops at its spec's first)."""
    at = _joiner(prefix)
    if not isinstance(data, Mapping):
        return None, [RuleError(prefix or "rule", "must be a mapping of fields")]
    found = [RuleError(at(str(k)), f"unknown field (known: {', '.join(FIELDS)})")
             for k in data if k not in FIELDS]
    found += [RuleError(at(k), "is required") for k in REQUIRED if k not in data]

    def duration(key: str, default: str) -> float:
        try:
            return parse_duration(data.get(key, default), at(key))
        except RuleError as exc:
            found.append(exc)
            return 0.0

    given_id = data.get("id", rule_id)
    if not isinstance(given_id, str):
        found.append(RuleError(at("id"), "must be a string"))
        given_id = rule_id
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        found.append(RuleError(at("enabled"), "must be true or false"))
    rule = Rule(
        id=given_id or rule_id,
        tenant=tenant,
        name=cast(str, data.get("name", "")),
        kind=cast(RuleKind, data.get("kind", "")),
        spec=cast(dict[str, Any], data.get("spec", {})),
        severity=cast(Severity, data.get("severity", "warning")),
        for_s=duration("for", "0s"),
        keep_firing_for_s=duration("keep_firing_for", "0s"),
        no_data=cast(NoData, data.get("no_data", "ignore")),
        interval_s=duration("interval", "1m"),
        labels=cast(dict[str, str], data.get("labels", {})),
        annotations=cast(dict[str, str], data.get("annotations", {})),
        enabled=enabled is True,
        captures=cast(list[str], data.get("captures", [])),
    )
    # A field already found wrong (or missing) is not reported again through its value.
    told = [e.field for e in found]
    found += [e for e in rule_problems(rule, prefix=prefix)
              if not any(_within(e.field, field) for field in told)]
    return (None if found else rule), found


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The written form of a rule (what :func:`rule_from_dict` reads back)."""
    return {
        "id": rule.id, "name": rule.name, "kind": rule.kind, "severity": rule.severity,
        "for": format_duration(rule.for_s),
        "keep_firing_for": format_duration(rule.keep_firing_for_s),
        "interval": format_duration(rule.interval_s), "no_data": rule.no_data,
        "labels": dict(rule.labels), "annotations": dict(rule.annotations),
        "enabled": rule.enabled, "spec": dict(rule.spec),
        # only when asked for: a rules file written before captures reads back unchanged
        **({"captures": list(rule.captures)} if rule.captures else {}),
    }


def check_rule(rule: Rule, *, prefix: str = "") -> None:
    """Raise RuleError for the first field of ``rule`` that is wrong."""
    problems = rule_problems(rule, prefix=prefix)
    if problems:
        raise problems[0]


def rule_problems(rule: Rule, *, prefix: str = "") -> list[RuleError]:
    """Everything wrong with ``rule``, field by field (the spec only once its kind is)."""
    at = _joiner(prefix)
    checks: list[Callable[[], None]] = [
        lambda: _name(rule.name, at("name")),
        lambda: _one_of(rule.severity, SEVERITIES, at("severity")),
        lambda: _one_of(rule.no_data, NO_DATA, at("no_data")),
        lambda: _seconds(rule.for_s, at("for"), 0.0, MAX_FOR_S),
        lambda: _seconds(rule.keep_firing_for_s, at("keep_firing_for"), 0.0, MAX_FOR_S),
        lambda: _seconds(rule.interval_s, at("interval"), MIN_INTERVAL_S, MAX_INTERVAL_S),
        lambda: _string_map(rule.labels, at("labels"), MAX_LABEL_VALUE),
        lambda: _string_map(rule.annotations, at("annotations"), MAX_ANNOTATION_VALUE),
        lambda: _kind_and_spec(rule.kind, rule.spec, at),
        lambda: _captures(rule.captures, at("captures")),
    ]
    found = []
    for check in checks:
        try:
            check()
        except RuleError as exc:
            found.append(exc)
    return found


def _captures(value: object, field: str) -> None:
    if not isinstance(value, list):
        raise RuleError(field, f"must be a list of capture kinds ({', '.join(CAPTURE_KINDS)})")
    for i, kind in enumerate(value):
        if kind not in CAPTURE_KINDS:
            raise RuleError(f"{field}[{i}]", f"must be one of {', '.join(CAPTURE_KINDS)}, "
                                             f"not {kind!r}")
    if len(set(value)) != len(value):
        raise RuleError(field, "names a kind twice")


def _name(name: object, field: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise RuleError(field, "must be a non-empty string")
    if len(name) > MAX_NAME:
        raise RuleError(field, f"must be at most {MAX_NAME} characters")


def _kind_and_spec(kind: object, spec: object, at: Callable[[str], str]) -> None:
    if not isinstance(kind, str) or not kind:
        raise RuleError(at("kind"), f"must be a rule kind such as {', '.join(KINDS)}")
    if not isinstance(spec, Mapping):
        raise RuleError(at("spec"), "must be a mapping of the kind's fields")
    check_spec(kind, spec, prefix=at("spec"))


def _within(field: str, parent: str) -> bool:
    return field == parent or field.startswith((parent + ".", parent + "["))


def check_spec(kind: str, spec: Mapping[str, Any], *, prefix: str = "spec") -> None:
    """Have the registered kind check its own fields; errors are named under ``prefix``
    (``kind`` itself one level up), so a rules file can point at the line."""
    from bongsu.alerts import kinds  # the kinds import the query side: only when checking

    parent = prefix.rpartition(".")[0]
    try:
        found = kinds.kind(kind)
    except RuleError as exc:
        raise RuleError(f"{parent}.kind" if parent else "kind", exc.message) from None
    try:
        found.check(dict(spec))
    except RuleError as exc:
        field = exc.field
        if field == "spec" or field.startswith("spec."):
            field = field.removeprefix("spec").removeprefix(".")
        raise RuleError(f"{prefix}.{field}" if field else prefix, exc.message) from None


def _joiner(prefix: str) -> Callable[[str], str]:
    return lambda name: f"{prefix}.{name}" if prefix else name


def _one_of(value: object, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise RuleError(field, f"must be one of {', '.join(allowed)}, not {value!r}")


def _seconds(value: float, field: str, low: float, high: float) -> None:
    if not low <= value <= high:
        raise RuleError(field, f"must be between {format_duration(low)} and "
                               f"{format_duration(high)}, not {format_duration(value)}")


def _string_map(value: object, field: str, max_value: int) -> None:
    if not isinstance(value, Mapping):
        raise RuleError(field, "must be a mapping of names to strings")
    if len(value) > MAX_LABELS:
        raise RuleError(field, f"must have at most {MAX_LABELS} entries")
    for name, text in value.items():
        if not isinstance(name, str) or not _LABEL_NAME.fullmatch(name):
            raise RuleError(f"{field}.{name}", "must be a name like service or team_1")
        if not isinstance(text, str):
            raise RuleError(f"{field}.{name}", "must be a string")
        if len(text) > max_value:
            raise RuleError(f"{field}.{name}", f"must be at most {max_value} characters")
