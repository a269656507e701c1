"""Render the Helm chart the way ``helm template`` does, for the subset of Go templates
the chart's README allows, so the chart is tested here without a ``helm`` binary.

The subset: text with ``{{ }}`` actions (``{{-`` / ``-}}`` trim the whitespace beside
them, ``{{/* */}}`` comments); fields ``.Values.a.b``, ``.Release.Name``, ``.Chart.Name``,
``$`` and range variables; ``if`` / ``else`` / ``else if``, ``range`` over a list or a
map (keys sorted, as Go does), ``define`` and ``include``; pipelines with ``|`` and
parentheses; the functions ``quote``, ``default``, ``toYaml``, ``indent``, ``nindent``,
``not``, ``and``, ``or``, ``eq``, ``ne``, ``gt``, ``int``, ``required`` and ``fail``.
Anything else is a :class:`TemplateError`, so the chart cannot drift beyond what is
tested. Where Go and Python print a value differently the renderer refuses rather than
guesses: Helm reads every number in the values as float64 and prints 1000000 as
``1e+06``, so a number of six digits or more printed directly is an error.

The committed plain manifests in ``deploy/kubernetes`` are this renderer's output::

    python -m tests.deploy.render --write      # after changing the chart
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "bongsu"
MANIFESTS = ROOT / "deploy" / "kubernetes"
PLAIN_RELEASE = "bongsu"


class TemplateError(Exception):
    """A template outside the subset, or a ``fail`` / ``required`` of the chart."""


# -- lexing ---------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def _lex(text: str) -> list[tuple[str, str]]:
    """("text", s) and ("action", s) pieces, with ``{{-`` / ``-}}`` trimming applied."""
    pieces: list[tuple[str, str]] = []
    pos, trim_next = 0, False
    for m in _ACTION.finditer(text):
        before = text[pos:m.start()]
        if trim_next:
            before = before.lstrip()
        if m.group(1):
            before = before.rstrip()
        pieces.append(("text", before))
        body = m.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            pieces.append(("action", body))
        trim_next = bool(m.group(3))
        pos = m.end()
    rest = text[pos:]
    pieces.append(("text", rest.lstrip() if trim_next else rest))
    return pieces


_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(\()|(\))|(\|)|(:=)|(,)|([^\s()|,]+))')


def _tokens(src: str) -> list[str]:
    out: list[str] = []
    src = src.strip()
    i = 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m or m.end() == i:
            raise TemplateError(f"cannot read {src!r}")
        out.append(next(g for g in m.groups() if g is not None))
        i = m.end()
    return out


# -- parsing --------------------------------------------------------------------------

@dataclass
class _Node:
    kind: str  # text, out, if, range, define
    value: str = ""
    pipe: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)


def _parse(pieces: list[tuple[str, str]], defines: dict[str, list[_Node]]) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node | None, list[_Node]]] = [(None, root)]
    for kind, src in pieces:
        body = stack[-1][1]
        if kind == "text":
            if src:
                body.append(_Node("text", src))
            continue
        words = _tokens(src)
        head = words[0] if words else ""
        if head in ("if", "range", "define"):
            node = _Node(head, pipe=words[1:])
            if head == "range" and ":=" in words:
                at = words.index(":=")
                node.variables = [w for w in words[1:at] if w != ","]
                node.pipe = words[at + 1:]
            if head == "define":
                defines[json.loads(words[1])] = node.body
            else:
                body.append(node)
            stack.append((node, node.body))
        elif head == "else":
            owner = stack[-1][0]
            if owner is None or owner.kind not in ("if", "range"):
                raise TemplateError("else outside if/range")
            if words[1:2] == ["if"]:  # else if: a nested if that ends at our end
                nested = _Node("if", value="chained", pipe=words[2:])
                owner.orelse.append(nested)
                stack.append((nested, nested.body))
            else:
                stack[-1] = (owner, owner.orelse)
        elif head == "end":
            while True:
                owner, _ = stack.pop()
                if owner is None:
                    raise TemplateError("end without a block")
                if owner.value != "chained":
                    break
        elif head in ("with", "template", "block", "break", "continue", "tpl"):
            raise TemplateError(f"{head!r} is outside the chart's template subset")
        else:
            body.append(_Node("out", pipe=words))
    if len(stack) != 1:
        raise TemplateError("a block is not closed with end")
    return root


# -- values as Go sees them ------------------------------------------------------------

def _truthy(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _print(value: Any) -> str:
    if value is None:
        return ""  # Helm prints a missing value as nothing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if abs(value) >= 1_000_000:
            raise TemplateError(f"{value} would print as Go's exponent form: quote it in values")
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, str):
        return value
    raise TemplateError(f"printing a {type(value).__name__} directly: use toYaml")


def _to_yaml(value: Any) -> str:
    if not isinstance(value, dict | list):
        raise TemplateError("toYaml of a scalar: print or quote it instead")
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")


def _indent(n: Any, text: Any) -> str:
    pad = " " * int(n)
    return pad + _print(text).replace("\n", "\n" + pad)


def _required(message: Any, value: Any) -> Any:
    if value is None or value == "":
        raise TemplateError(f"required: {message}")
    return value


def _fail(message: Any) -> Any:
    raise TemplateError(f"fail: {message}")


def _and(*args: Any) -> Any:
    for a in args:
        if not _truthy(a):
            return a
    return args[-1]


def _or(*args: Any) -> Any:
    for a in args:
        if _truthy(a):
            return a
    return args[-1]


_FUNCS: dict[str, Callable[..., Any]] = {
    "quote": lambda *xs: " ".join(json.dumps(_print(x), ensure_ascii=False)
                                  for x in xs if x is not None),
    "default": lambda d, *given: given[0] if given and _truthy(given[0]) else d,
    "toYaml": _to_yaml,
    "indent": _indent,
    "nindent": lambda n, text: "\n" + _indent(n, text),
    "not": lambda x: not _truthy(x),
    "and": _and,
    "or": _or,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "int": lambda x: int(x or 0),
    "required": _required,
    "fail": _fail,
}


# -- evaluation -----------------------------------------------------------------------

class _Renderer:
    def __init__(self, root: Mapping[str, Any], defines: dict[str, list[_Node]]) -> None:
        self.root = root
        self.defines = defines

    def run(self, nodes: list[_Node], dot: Any, scope: dict[str, Any]) -> str:
        out: list[str] = []
        for node in nodes:
            if node.kind == "text":
                out.append(node.value)
            elif node.kind == "out":
                out.append(_print(self.pipe(node.pipe, dot, scope)))
            elif node.kind == "if":
                taken = _truthy(self.pipe(node.pipe, dot, scope))
                out.append(self.run(node.body if taken else node.orelse, dot, scope))
            elif node.kind == "range":
                out.append(self.range(node, dot, scope))
        return "".join(out)

    def range(self, node: _Node, dot: Any, scope: dict[str, Any]) -> str:
        over = self.pipe(node.pipe, dot, scope)
        if isinstance(over, dict):
            items = [(k, over[k]) for k in sorted(over)]
        elif isinstance(over, list):
            items = list(enumerate(over))
        elif over is None:
            items = []
        else:
            raise TemplateError(f"range over a {type(over).__name__}")
        if not items:
            return self.run(node.orelse, dot, scope)
        parts = []
        for key, value in items:
            inner = dict(scope)
            if len(node.variables) == 2:
                inner[node.variables[0]], inner[node.variables[1]] = key, value
            elif len(node.variables) == 1:
                inner[node.variables[0]] = value
            parts.append(self.run(node.body, value, inner))
        return "".join(parts)

    def pipe(self, words: list[str], dot: Any, scope: dict[str, Any]) -> Any:
        commands: list[list[Any]] = [[]]
        depth, group = 0, []
        for w in words:  # split on top-level '|', keeping parenthesised pipelines whole
            if depth:
                if w == "(":
                    depth += 1
                elif w == ")":
                    depth -= 1
                    if depth == 0:
                        commands[-1].append(("pipe", group))
                        group = []
                        continue
                group.append(w)
            elif w == "(":
                depth = 1
            elif w == "|":
                commands.append([])
            else:
                commands[-1].append(w)
        if depth:
            raise TemplateError(f"unclosed parenthesis in {' '.join(words)!r}")
        result: Any = None
        for i, command in enumerate(commands):
            extra = [result] if i else []
            result = self.command(command, extra, dot, scope)
        return result

    def command(self, words: list[Any], extra: list[Any], dot: Any,
                scope: dict[str, Any]) -> Any:
        if not words:
            raise TemplateError("empty command")
        head = words[0]
        if (isinstance(head, str) and head in _FUNCS) or head == "include":
            args = [self.operand(w, dot, scope) for w in words[1:]] + extra
            if head == "include":
                name, data = args
                return self.run(self.defines[name], data, {"$": self.root})
            return _FUNCS[head](*args)
        if isinstance(head, str) and re.fullmatch(r"[A-Za-z]\w*", head) and head not in (
                "true", "false", "nil"):
            raise TemplateError(f"function {head!r} is outside the chart's template subset")
        if len(words) > 1 or extra:
            raise TemplateError(f"{head!r} is a value, not a function")
        return self.operand(head, dot, scope)

    def operand(self, word: Any, dot: Any, scope: dict[str, Any]) -> Any:
        if isinstance(word, tuple):
            return self.pipe(word[1], dot, scope)
        if word.startswith('"'):
            return json.loads(word)
        if word in ("true", "false"):
            return word == "true"
        if word == "nil":
            return None
        if re.fullmatch(r"-?\d+", word):
            return int(word)
        if word == ".":
            return dot
        if word.startswith("."):
            return _field(dot, word[1:].split("."))
        if word.startswith("$"):
            name, _, rest = word.partition(".")
            base = self.root if name == "$" else scope[name]
            return _field(base, rest.split(".")) if rest else base
        raise TemplateError(f"cannot read {word!r}")


def _field(value: Any, path: list[str]) -> Any:
    for i, key in enumerate(path):
        if value is None:
            # Helm: "nil pointer evaluating interface {}.key"
            raise TemplateError(f"nil pointer evaluating .{'.'.join(path[:i + 1])}")
        if not isinstance(value, Mapping):
            raise TemplateError(f"{key!r} of a {type(value).__name__}")
        value = value.get(key)
    return value


# -- the chart ------------------------------------------------------------------------

def merge(base: Any, over: Any) -> Any:
    """``values.yaml`` overridden by ``--values`` / ``--set`` as Helm merges them."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return over


def render(values: Mapping[str, Any] | None = None, release: str = "bongsu",
           namespace: str = "default", chart_dir: Path = CHART,
           service: str = "Helm") -> dict[str, str]:
    """Each template file's output (``templates/x.yaml`` → text), as ``helm template``
    (``service``: ``.Release.Service``, Helm's own name unless the plain manifests')."""
    chart_meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text()) or {}
    root = {
        "Values": merge(defaults, dict(values or {})),
        "Release": {"Name": release, "Namespace": namespace, "Service": service},
        "Chart": {k[:1].upper() + k[1:]: v for k, v in chart_meta.items()},
    }
    defines: dict[str, list[_Node]] = {}
    files = sorted((chart_dir / "templates").glob("*"))
    parsed = {f.name: _parse(_lex(f.read_text()), defines) for f in files}
    renderer = _Renderer(root, defines)
    out: dict[str, str] = {}
    for name, nodes in parsed.items():
        text = renderer.run(nodes, root, {"$": root})
        if not name.startswith("_") and name.endswith(".yaml"):
            out[f"templates/{name}"] = text
    return out


def documents(values: Mapping[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Every non-empty YAML document the chart renders, parsed."""
    docs: list[dict[str, Any]] = []
    for text in render(values, **kwargs).values():
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def as_stream(values: Mapping[str, Any] | None = None, **kwargs: Any) -> str:
    """One YAML stream as ``helm template`` prints it (``# Source:`` before each)."""
    parts = []
    for name, text in render(values, **kwargs).items():
        for doc in re.split(r"^---\s*$", text, flags=re.M):
            if doc.strip():
                parts.append(f"---\n# Source: bongsu/{name}\n{doc.strip()}\n")
    return "".join(parts)


def plain_manifests() -> str:
    """``deploy/kubernetes/bongsu.yaml``: the chart with ``deploy/kubernetes/values.yaml``."""
    values = yaml.safe_load((MANIFESTS / "values.yaml").read_text())
    header = ("# Generated from deploy/helm/bongsu with deploy/kubernetes/values.yaml by\n"
              "# python -m tests.deploy.render --write; do not edit by hand.\n")
    return header + as_stream(values, release=PLAIN_RELEASE, service="kubectl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="rewrite deploy/kubernetes/bongsu.yaml")
    parser.add_argument("--values", type=Path, help="a values file to render with")
    args = parser.parse_args(argv)
    if args.write:
        (MANIFESTS / "bongsu.yaml").write_text(plain_manifests())
        return 0
    values = yaml.safe_load(args.values.read_text()) if args.values else None
    sys.stdout.write(as_stream(values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
