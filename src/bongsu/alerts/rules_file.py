"""Rules as code: a YAML file of alert rules, checked with errors that name line and field.

The file is read with PyYAML's node API (``yaml.compose``), so every value keeps the line
it was written on and each error reads ``rules.yaml:12: rules[3].for: must be a duration
like 5m``. Every field of every rule is checked (a kind's spec up to its first error),
and so is the file's shape: a key written twice in one mapping (which YAML would silently
let the last one win) and two rules of the same name are errors too.

Example file::

    rules:
      - name: Checkout slow
        kind: threshold
        severity: critical
        for: 5m
        spec: {figure: p95_ms, op: ">", value: 800, service: checkout}

Example::

    parsed = parse(Path("rules.yaml").read_text(), "rules.yaml", tenant="default")
    for error in parsed.errors: print(error)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bongsu.alerts.model import Rule
from bongsu.alerts.repo import AlertRepo
from bongsu.alerts.rules import read_rule


@dataclass
class Parsed:
    """The rules a file holds (those without errors) and its errors, in line order."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Lines:
    """Field path → 1-based line, for the values read from the file."""

    name: str
    at: dict[str, int] = field(default_factory=dict)

    def error(self, path: str, message: str) -> str:
        return f"{self.name}:{self.line(path)}: {path}: {message}" if path else \
            f"{self.name}:{self.line(path)}: {message}"

    def line(self, path: str) -> int:
        # The field itself, else the closest enclosing one (a missing field is reported
        # on its rule's line).
        while path:
            if path in self.at:
                return self.at[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.at.get("", 1)


def load(path: Path, *, tenant: str) -> Parsed:
    """Parse the rules file at ``path`` (errors are named by the path as given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Parsed(errors=[f"{path}: cannot be read: {exc}"])
    return parse(text, str(path), tenant=tenant)


def parse(text: str, name: str, *, tenant: str) -> Parsed:
    """The rules in ``text`` (a file called ``name``), each checked."""
    lines = _Lines(name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        return Parsed(errors=[f"{where}: not valid YAML: {problem}"])
    if root is None:
        return Parsed(errors=[f"{name}:1: the file is empty; expected 'rules:' and a list"])
    errors: list[str] = []
    data = _value(root, "", lines, errors)
    if errors:
        return Parsed(errors=errors)
    if not isinstance(data, dict) or "rules" not in data:
        return Parsed(errors=[lines.error("", "expected a mapping with 'rules:' and a list")])
    errors += [lines.error(str(key), "unknown field (known: rules)")
               for key in data if key != "rules"]
    items = data["rules"]
    if not isinstance(items, list):
        return Parsed(errors=[*errors, lines.error("rules", "must be a list of rules")])
    parsed = Parsed(errors=errors)
    first_of: dict[str, str] = {}
    for index, item in enumerate(items):
        at = f"rules[{index}]"
        rule, problems = read_rule(item, tenant=tenant, prefix=at)
        if rule is None:
            # In the order they are written, not the order they were checked in.
            problems.sort(key=lambda e: lines.line(e.field))
            parsed.errors += [lines.error(e.field, e.message) for e in problems]
            continue
        if rule.name in first_of:
            parsed.errors.append(lines.error(
                f"{at}.name", f"{rule.name!r} is already the name of {first_of[rule.name]}"))
            continue
        first_of[rule.name] = at
        parsed.rules.append(rule)
    return parsed


@dataclass(frozen=True)
class Applied:
    created: list[Rule]
    updated: list[Rule]


def apply(repo: AlertRepo, rules: list[Rule]) -> Applied:
    """Write ``rules`` through the repository: a rule with an id replaces that rule, one
    without replaces the tenant's rule of the same name (keeping its id and whether it is
    a shipped default), else it is created."""
    created: list[Rule] = []
    updated: list[Rule] = []
    for rule in rules:
        existing = (repo.get_rule(rule.tenant, rule.id) if rule.id
                    else repo.rule_by_name(rule.tenant, rule.name))
        if existing is not None:
            rule = dataclasses.replace(rule, id=existing.id, builtin=existing.builtin)
        stored = repo.put_rule(rule)
        (updated if existing is not None else created).append(stored)
    return Applied(created, updated)


def _value(node: Node, path: str, lines: _Lines, errors: list[str]) -> Any:
    """The plain value of ``node``, recording each field's line under its path."""
    lines.at.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                errors.append(f"{lines.name}:{key_node.start_mark.line + 1}: "
                              f"{path or 'the file'}: keys must be names")
                continue
            child = f"{path}.{key}" if path else key
            if key in out:
                errors.append(f"{lines.name}:{key_node.start_mark.line + 1}: {child}: "
                              f"written twice (first on line {lines.at[child]})")
                continue
            lines.at[child] = key_node.start_mark.line + 1
            out[key] = _value(value_node, child, lines, errors)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines.at[child] = item.start_mark.line + 1
            items.append(_value(item, child, lines, errors))
        return items
    try:
        return _scalar(node)
    except yaml.YAMLError as exc:
        errors.append(f"{lines.name}:{node.start_mark.line + 1}: {path}: {exc}")
        return None


def _scalar(node: Node) -> Any:
    # The safe constructor gives YAML's own meaning of a scalar (int, float, bool, null,
    # string), so "5m" stays a string and "0.7" a number.
    return SafeConstructor().construct_object(node, deep=True)
