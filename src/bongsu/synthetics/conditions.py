"""Conditions a probe's outcome must meet, checked when a check is saved and judged on
every result.

A condition is a mapping with ``on`` (what it tests), ``op`` and ``value``:

====================  ===========================================  =====================
``on``                ``op``                                        ``value``
====================  ===========================================  =====================
``status``            ``==  !=  <  <=  >  >=``, ``in``              a code; ``in``: a list
``response_time_ms``  ``<  <=  >  >=``                              milliseconds
``body``              ``contains``, ``not_contains``, ``regex``     text / a pattern
``json``              ``equals``, ``exists`` (with ``path``)        any JSON value
``tls_days_left``     ``>=  >``                                     days
====================  ===========================================  =====================

``json`` reads the body as JSON and follows ``path`` (the subset in
:mod:`bongsu.synthetics.jsonpath`). Conditions are combined with ``all`` (every one must
hold) or ``any`` (at least one). An outcome with an ``error`` (refused, timed out) fails
before any condition is judged.

Example::

    conds = check_conditions([{"on": "status", "op": "==", "value": 200}], "http")
    failed = judge(conds, "all", outcome)   # None when it passed, else what failed
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from bongsu.errors import RuleError
from bongsu.synthetics import jsonpath
from bongsu.synthetics.model import Combine, Outcome

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
OPS: dict[str, tuple[str, ...]] = {
    "status": ("==", "!=", "<", "<=", ">", ">=", "in"),
    "response_time_ms": ("<", "<=", ">", ">="),
    "body": ("contains", "not_contains", "regex"),
    "json": ("equals", "exists"),
    "tls_days_left": (">=", ">"),
}
MAX_CONDITIONS = 20
MAX_TEXT = 4096
MAX_BODY_JUDGED = 1024 * 1024  # the probe reads at most this much of a body


def check_conditions(raw: object, subjects: Sequence[str]) -> list[dict[str, Any]]:
    """The conditions normalised; RuleError naming ``conditions[i].field`` if one is wrong.
    ``subjects`` are the ``on`` values the check's type can produce."""
    if not isinstance(raw, list):
        raise RuleError("conditions", "must be a list of conditions")
    if len(raw) > MAX_CONDITIONS:
        raise RuleError("conditions", f"at most {MAX_CONDITIONS}, got {len(raw)}")
    return [_condition(item, f"conditions[{i}]", subjects) for i, item in enumerate(raw)]


def _condition(item: object, at: str, subjects: Sequence[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RuleError(at, "must be a mapping with on, op and value")
    known = {"on", "op", "value", "path"}
    for key in item:
        if key not in known:
            raise RuleError(f"{at}.{key}", f"unknown field; known: {', '.join(sorted(known))}")
    on: Any = item.get("on")
    if on not in subjects:
        raise RuleError(f"{at}.on", f"must be one of {', '.join(subjects)}, got {on!r}")
    op = item.get("op")
    if op not in OPS[on]:
        raise RuleError(f"{at}.op", f"for {on}: one of {', '.join(OPS[on])}, got {op!r}")
    out: dict[str, Any] = {"on": on, "op": op}
    value: Any = item.get("value")
    if on == "json":
        path = item.get("path")
        if not isinstance(path, str):
            raise RuleError(f"{at}.path", "required: a path like $.a.b[0].c")
        try:
            jsonpath.parse(path)
        except jsonpath.PathError as exc:
            raise RuleError(f"{at}.path", str(exc)) from None
        out["path"] = path
        if op == "equals":
            if "value" not in item:
                raise RuleError(f"{at}.value", "required: the JSON value to compare with")
            out["value"] = value
        return out
    if "path" in item:
        raise RuleError(f"{at}.path", "only for on: json")
    if on == "body":
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            raise RuleError(f"{at}.value", f"must be a non-empty text of at most {MAX_TEXT}"
                                           f" characters, got {value!r}")
        if op == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise RuleError(f"{at}.value", f"not a regular expression: {exc}") from None
        out["value"] = value
        return out
    if on == "status" and op == "in":
        if not isinstance(value, list) or not value or not all(_code(v) for v in value):
            raise RuleError(f"{at}.value", f"must be a list of status codes, got {value!r}")
        out["value"] = [int(v) for v in value]
        return out
    if on == "status":
        if not _code(value):
            raise RuleError(f"{at}.value", f"must be a status code (100-599), got {value!r}")
        out["value"] = int(value)
        return out
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise RuleError(f"{at}.value", f"must be a number, got {value!r}")
    if value < 0:
        raise RuleError(f"{at}.value", f"must be at least 0, got {value!r}")
    out["value"] = float(value)
    return out


def _code(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def describe(cond: dict[str, Any]) -> str:
    """A condition as one line: ``status == 200``, ``$.ok equals true``."""
    if cond["on"] == "json":
        if cond["op"] == "exists":
            return f"{cond['path']} exists"
        return f"{cond['path']} equals {json.dumps(cond['value'])}"
    value = cond["value"]
    shown = json.dumps(value) if isinstance(value, str | list) else f"{value:g}"
    return f"{cond['on']} {cond['op']} {shown}"


def judge(conds: Sequence[dict[str, Any]], combine: Combine, outcome: Outcome) -> str | None:
    """None when ``outcome`` meets the conditions, else what failed: the first failing
    condition (``all``) or every one (``any``), each as :func:`describe` gives it."""
    if outcome.error is not None:
        return None  # the error is the reason; the caller reports it
    failed = [describe(c) for c in conds if not holds(c, outcome)]
    if combine == "all":
        return failed[0] if failed else None
    if len(failed) < len(conds) or not conds:
        return None
    return "none of: " + "; ".join(failed)


def holds(cond: dict[str, Any], outcome: Outcome) -> bool:
    """Whether one condition holds for ``outcome`` (a figure the probe lacks: it does not)."""
    on, op = cond["on"], cond["op"]
    value: Any = cond.get("value")
    if on == "status":
        if outcome.status_code is None:
            return False
        if op == "in":
            return outcome.status_code in value
        return _CMP[op](outcome.status_code, value)
    if on == "response_time_ms":
        return _CMP[op](outcome.duration_ms, value)
    if on == "tls_days_left":
        return outcome.tls_days_left is not None and _CMP[op](outcome.tls_days_left, value)
    text = (outcome.body or b"").decode("utf-8", "replace")
    if on == "body":
        if op == "contains":
            return value in text
        if op == "not_contains":
            return value not in text
        return re.search(value, text) is not None
    try:
        document = json.loads(text)
    except ValueError:
        return False
    found, got = jsonpath.lookup(document, jsonpath.parse(cond["path"]))
    if op == "exists":
        return found
    return found and _json_equal(got, value)


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)
