"""A check's fields are checked when it is saved; a wrong one is named (as the API's 400
says it)."""

from __future__ import annotations

from typing import Any

import pytest

from bongsu.errors import RuleError
from bongsu.synthetics.definition import check_from_dict, check_to_dict
from bongsu.synthetics.jsonpath import lookup, parse

OK = {"name": "shop", "type": "http", "target": {"url": "https://shop.example/health"}}


def _error(body: dict[str, Any]) -> str:
    with pytest.raises(RuleError) as caught:
        check_from_dict(body, tenant="default", check_id="c_1")
    return str(caught.value)


def test_defaults_filled_in_and_read_back() -> None:
    check = check_from_dict(OK, tenant="default", check_id="c_1")
    assert check.target == {"url": "https://shop.example/health", "method": "GET",
                            "headers": {}, "body": "", "timeout_s": 10.0,
                            "follow_redirects": True, "verify_tls": True}
    assert check.conditions == [{"on": "status", "op": "<", "value": 400}]
    assert (check.interval_s, check.failure_threshold, check.success_threshold,
            check.combine, check.enabled) == (60.0, 1, 1, "all", True)
    again = check_from_dict(check_to_dict(check), tenant="default", check_id="c_1")
    assert again == check


@pytest.mark.parametrize(("change", "message"), [
    ({"name": " "}, "name: must be a non-empty string"),
    ({"type": "dns"}, "type: unknown check type 'dns'; known: http, tcp"),
    ({"target": {"url": "ftp://x"}}, "target.url: must be an http:// or https:// URL"),
    ({"target": {"url": "http://x", "timeout_s": 0}}, "target.timeout_s: must be at least 0.1"),
    ({"target": {"url": "http://x", "method": "FETCH"}}, "target.method: must be one of GET"),
    ({"target": {"url": "http://x", "verify": False}}, "target.verify: unknown field"),
    ({"target": {"url": "http://x", "headers": {"X-A": 1}}}, "target.headers.X-A: must be"),
    ({"interval_s": 5}, "interval_s: must be at least 10, got 5"),
    ({"interval_s": 90_000}, "interval_s: must be at most 86400"),
    ({"failure_threshold": 0}, "failure_threshold: must be at least 1"),
    ({"success_threshold": 1.5}, "success_threshold: must be a whole number"),
    ({"combine": "most"}, "combine: must be all or any"),
    ({"conditions": {"on": "status"}}, "conditions: must be a list"),
    ({"conditions": [{"on": "status", "op": "==", "value": 200}, {"on": "bdy"}]},
     "conditions[1].on: must be one of status, response_time_ms, body, json, tls_days_left"),
    ({"conditions": [{"on": "status", "op": "==", "value": 200},
                     {"on": "body", "op": "~", "value": "x"}]},
     "conditions[1].op: for body: one of contains, not_contains, regex, got '~'"),
    ({"conditions": [{"on": "body", "op": "regex", "value": "(unclosed"}]},
     "conditions[0].value: not a regular expression"),
    ({"conditions": [{"on": "status", "op": "in", "value": [200, 99]}]},
     "conditions[0].value: must be a list of status codes"),
    ({"conditions": [{"on": "json", "op": "exists"}]}, "conditions[0].path: required"),
    ({"conditions": [{"on": "json", "op": "exists", "path": "$.a[*]"}]},
     "conditions[0].path: unsupported at '[*]'"),
    ({"conditions": [{"on": "json", "op": "equals", "path": "$.a"}]},
     "conditions[0].value: required"),
    ({"conditions": [{"on": "tls_days_left", "op": "<", "value": 7}]},
     "conditions[0].op: for tls_days_left: one of >=, >"),
    ({"colour": "red"}, "colour: unknown field"),
])
def test_errors_name_the_field(change: dict[str, Any], message: str) -> None:
    assert _error({**OK, **change}).startswith(message)


def test_tcp_target_and_its_subjects() -> None:
    body = {"name": "db", "type": "tcp", "target": {"host": "db.internal", "port": 5432}}
    check = check_from_dict(body, tenant="default", check_id="c_2")
    assert check.target == {"host": "db.internal", "port": 5432, "timeout_s": 10.0}
    assert check.conditions == []
    assert _error({**body, "target": {"host": "db", "port": 70000}}).startswith(
        "target.port: must be at most 65535")
    assert _error({**body, "conditions": [{"on": "status", "op": "==", "value": 200}]}
                  ).startswith("conditions[0].on: must be one of response_time_ms")


def test_json_path_subset() -> None:
    doc = {"a": {"b": [{"c": 1}, {"c": None}]}, "n": [1, 2, 3]}
    assert lookup(doc, parse("$.a.b[0].c")) == (True, 1)
    assert lookup(doc, parse("$.a.b[1].c")) == (True, None)  # exists, and is null
    assert lookup(doc, parse("$.n[-1]")) == (True, 3)
    assert lookup(doc, parse("$.a.b[2]")) == (False, None)
    assert lookup(doc, parse("$.a.x")) == (False, None)
    assert lookup(doc, parse("$")) == (True, doc)
