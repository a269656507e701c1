"""Rules files: errors name the line and the field; apply writes through the repository."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bongsu.alerts.repo import AlertRepo
from bongsu.alerts.rules_file import apply, load, parse
from bongsu.meta.database import connect

GOOD = """\
rules:
  - name: Checkout slow
    kind: threshold
    severity: critical
    for: 5m
    keep_firing_for: 2m
    labels: {team: shop}
    spec: {figure: p95_ms, op: ">", value: 800, service: checkout}
  - name: Crash loops in shop
    kind: event
    interval: 30s
    spec:
      kind: crash_loop
      namespace: shop
"""


def errors(text: str) -> list[str]:
    parsed = parse(textwrap.dedent(text), "rules.yaml", tenant="t")
    assert not parsed.ok
    return parsed.errors


def test_a_good_file() -> None:
    parsed = parse(GOOD, "rules.yaml", tenant="acme")
    assert parsed.ok and parsed.errors == []
    slow, crash = parsed.rules
    assert (slow.name, slow.severity, slow.for_s, slow.keep_firing_for_s) == (
        "Checkout slow", "critical", 300, 120)
    assert slow.labels == {"team": "shop"} and slow.tenant == "acme"
    assert slow.spec == {"figure": "p95_ms", "op": ">", "value": 800, "service": "checkout"}
    assert (crash.kind, crash.interval_s, crash.spec) == (
        "event", 30, {"kind": "crash_loop", "namespace": "shop"})


def test_each_error_names_its_line_and_field() -> None:
    assert errors("""\
        rules:
          - name: Slow
            kind: threshold
            spec: {figure: p95_ms, op: ">", value: 800}
          - name: Bad for
            kind: threshold
            for: 5
            spec: {figure: p95_ms, op: ">", value: 800}
          - name: Bad op
            kind: threshold
            spec:
              figure: p95_ms
              op: "=>"
              value: 800
          - kind: event
            spec: {}
          - name: Bad label
            kind: event
            labels:
              team: shop
              bad name: x
            spec: {}
        """) == [
        "rules.yaml:7: rules[1].for: must be a duration like 5m",
        "rules.yaml:13: rules[2].spec.op: expected one of >, >=, <, <=, got '=>'",
        "rules.yaml:15: rules[3].name: is required",  # a missing field: its rule's line
        "rules.yaml:21: rules[4].labels.bad name: must be a name like service or team_1",
    ]


def test_the_example_from_the_issue() -> None:
    text = "rules:\n" + "".join(
        f"  - name: r{i}\n    kind: threshold\n    spec: {{figure: tps, op: '>', value: 1}}\n"
        for i in range(3)) + "  - name: r3\n    for: soon\n    kind: event\n    spec: {}\n"
    [error] = errors(text)
    assert error == "rules.yaml:12: rules[3].for: must be a duration like 5m, not 'soon'"


def test_the_shape_of_the_file() -> None:
    assert errors("") == ["rules.yaml:1: the file is empty; expected 'rules:' and a list"]
    assert errors("- a\n") == ["rules.yaml:1: expected a mapping with 'rules:' and a list"]
    assert errors("rules: {name: x}\n") == ["rules.yaml:1: rules: must be a list of rules"]
    assert errors("rules: []\nrulez: []\n") == [
        "rules.yaml:2: rulez: unknown field (known: rules)"]
    assert errors("rules:\n  - just a string\n") == [
        "rules.yaml:2: rules[0]: must be a mapping of fields"]


def test_yaml_syntax_errors_name_the_line() -> None:
    [error] = errors("rules:\n  - name: x\n    kind: [threshold\n")
    assert error.startswith("rules.yaml:4: not valid YAML: ")


def test_a_key_written_twice_is_an_error() -> None:
    assert errors("""\
        rules:
          - name: x
            kind: threshold
            for: 5m
            for: 10m
            spec: {figure: tps, op: ">", value: 1}
        """) == ["rules.yaml:5: rules[0].for: written twice (first on line 4)"]


def test_two_rules_of_one_name() -> None:
    rule = "  - name: Same\n    kind: threshold\n    spec: {figure: tps, op: '>', value: 1}\n"
    assert errors("rules:\n" + rule + rule) == [
        "rules.yaml:5: rules[1].name: 'Same' is already the name of rules[0]"]


def test_unsafe_tags_are_refused() -> None:
    [error] = errors("rules:\n  - name: !!python/name:os.system x\n")
    assert error.startswith("rules.yaml:2: rules[0].name: ")


def test_load_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: x\n    kind: event\n    interval: 1s\n    spec: {}\n")
    assert load(path, tenant="t").errors == [
        f"{path}:4: rules[0].interval: must be between 10s and 1d, not 1s"]
    assert load(tmp_path / "missing.yaml", tenant="t").errors[0].startswith(
        f"{tmp_path / 'missing.yaml'}: cannot be read: ")


def test_apply_creates_then_updates_by_name(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    repo = AlertRepo(engine)
    try:
        first = apply(repo, parse(GOOD, "rules.yaml", tenant="acme").rules)
        assert [r.name for r in first.created] == ["Checkout slow", "Crash loops in shop"]
        assert first.updated == []
        again = apply(repo, parse(GOOD.replace("for: 5m", "for: 10m"), "rules.yaml",
                                  tenant="acme").rules)
        assert again.created == []
        assert [r.id for r in again.updated] == [r.id for r in first.created]
        slow = repo.rule_by_name("acme", "Checkout slow")
        assert slow is not None and slow.for_s == 600
        assert repo.list_rules("globex") == []
        # With an id, the rule of that id is replaced (here: renamed).
        renamed = GOOD.replace("  - name: Checkout slow", f"  - id: {slow.id}\n"
                                                          "    name: Checkout very slow")
        apply(repo, parse(renamed, "rules.yaml", tenant="acme").rules)
        assert {r.name for r in repo.list_rules("acme")} == {"Checkout very slow",
                                                             "Crash loops in shop"}
    finally:
        engine.dispose()


def test_every_field_of_a_rule_is_reported_in_line_order() -> None:
    assert errors("""\
        rules:
          - name: ""
            interval: 1s
            severity: page
            kind: threshold
            for: later
            colour: red
            spec: {figure: tps, op: "?", value: 1}
        """) == [
        "rules.yaml:2: rules[0].name: must be a non-empty string",
        "rules.yaml:3: rules[0].interval: must be between 10s and 1d, not 1s",
        "rules.yaml:4: rules[0].severity: must be one of critical, warning, info, not 'page'",
        "rules.yaml:6: rules[0].for: must be a duration like 5m, not 'later'",
        "rules.yaml:7: rules[0].colour: unknown field (known: id, name, kind, severity, for, "
        "keep_firing_for, interval, no_data, labels, annotations, enabled, spec, captures)",
        "rules.yaml:8: rules[0].spec.op: expected one of >, >=, <, <=, got '?'",
    ]


def test_a_missing_spec_is_reported_once() -> None:
    assert errors("rules:\n  - name: x\n    kind: threshold\n") == [
        "rules.yaml:2: rules[0].spec: is required"]
