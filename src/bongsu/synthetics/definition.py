"""A check's written form (the API's and a person's) to a checked :class:`Check` and back.

Fields: ``name``, ``type`` (``http`` / ``tcp`` / a registered one), ``target`` (the type's
fields), ``conditions`` (:mod:`bongsu.synthetics.conditions`; none: the type's default,
for HTTP ``status < 400``), ``combine`` (``all`` / ``any``), ``interval_s`` (10 s - 1 d),
``failure_threshold`` and ``success_threshold`` (1-20 consecutive results before the
state changes), ``enabled``. Errors are :class:`~bongsu.errors.RuleError` naming the
field (``conditions[1].op: ...``), which the API answers as a 400.

Example::

    check = check_from_dict({"name": "shop", "type": "http",
                             "target": {"url": "https://shop.example/health"}},
                            tenant="default", check_id="c_1")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from bongsu.errors import RuleError
from bongsu.synthetics.conditions import check_conditions
from bongsu.synthetics.fields import flag, no_unknown, number, text
from bongsu.synthetics.model import Check, Combine
from bongsu.synthetics.types import check_type

MIN_INTERVAL_S = 10.0
MAX_INTERVAL_S = 86_400.0
MAX_THRESHOLD = 20
FIELDS = ("name", "type", "target", "conditions", "combine", "interval_s",
          "failure_threshold", "success_threshold", "enabled")


def check_from_dict(data: object, *, tenant: str, check_id: str) -> Check:
    """A checked Check; RuleError naming the first wrong field."""
    if not isinstance(data, Mapping):
        raise RuleError("check", "must be a mapping of fields")
    no_unknown(data, FIELDS, "")
    name = text(data, "name", "", max_len=200).strip()
    if not name:
        raise RuleError("name", "must be a non-empty string")
    kind = check_type(data.get("type"))
    raw_target = data.get("target")
    if not isinstance(raw_target, Mapping):
        raise RuleError("target", f"must be a mapping of the {kind.name} check's fields")
    target = kind.check(raw_target)
    raw_conditions = data.get("conditions", [])
    conditions = check_conditions(raw_conditions, kind.subjects)
    combine = data.get("combine", "all")
    if combine not in ("all", "any"):
        raise RuleError("combine", f"must be all or any, got {combine!r}")
    return Check(
        id=check_id, tenant=tenant, name=name, type=kind.name, target=target,
        conditions=conditions or kind.default_conditions(),
        combine=cast(Combine, combine),
        interval_s=number(data, "interval_s", "", 60, low=MIN_INTERVAL_S, high=MAX_INTERVAL_S),
        failure_threshold=_threshold(data, "failure_threshold"),
        success_threshold=_threshold(data, "success_threshold"),
        enabled=flag(data, "enabled", "", True),
    )


def check_to_dict(check: Check) -> dict[str, Any]:
    """The written form :func:`check_from_dict` reads back."""
    return {"name": check.name, "type": check.type, "target": dict(check.target),
            "conditions": [dict(c) for c in check.conditions], "combine": check.combine,
            "interval_s": check.interval_s, "failure_threshold": check.failure_threshold,
            "success_threshold": check.success_threshold, "enabled": check.enabled}


def _threshold(data: Mapping[str, Any], key: str) -> int:
    value = number(data, key, "", 1, low=1, high=MAX_THRESHOLD)
    if value != int(value):
        raise RuleError(key, f"must be a whole number, got {value:g}")
    return int(value)
