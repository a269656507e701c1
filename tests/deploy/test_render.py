"""The chart renderer follows Go's templates and Helm's functions on the subset it takes,
and refuses what it does not take (expected outputs are what ``helm template`` prints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.deploy import render


def rendered(tmp_path: Path, template: str, values: dict[str, Any] | None = None,
             helpers: str = "") -> str:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\n"
                                      "appVersion: \"4.5\"\n")
    (chart / "values.yaml").write_text("")
    (chart / "templates" / "_helpers.tpl").write_text(helpers)
    (chart / "templates" / "t.yaml").write_text(template)
    return render.render(values, release="rel", namespace="ns", chart_dir=chart)["templates/t.yaml"]


def test_trim_markers_eat_whitespace_and_newlines(tmp_path: Path) -> None:
    template = "a: 1\n  {{- if .Values.on }}\nb: {{ .Values.x -}}  \n\n  !\n{{- end }}\n"
    assert rendered(tmp_path, template, {"on": True, "x": 2}) == "a: 1\nb: 2!\n"
    assert rendered(tmp_path, template, {"on": False}) == "a: 1\n"


def test_if_else_if_else_chain(tmp_path: Path) -> None:
    template = ('{{ if eq .Values.k "a" }}A{{ else if eq .Values.k "b" }}B'
                '{{ else if .Values.other }}O{{ else }}Z{{ end }}')
    assert [rendered(tmp_path / k, template, {"k": k, "other": k == "o"})
            for k in ("a", "b", "o", "z")] == ["A", "B", "O", "Z"]


def test_range_over_a_map_is_in_key_order_and_over_a_list_in_order(tmp_path: Path) -> None:
    template = ("{{- range $k, $v := .Values.m }}{{ $k }}={{ $v }},{{ end }}|"
                "{{- range .Values.l }}{{ . }};{{ end }}|"
                "{{- range .Values.empty }}x{{ else }}none{{ end }}")
    out = rendered(tmp_path, template, {"m": {"b": 2, "a": 1, "c": 3}, "l": ["z", "y"],
                                        "empty": []})
    assert out == "a=1,b=2,c=3,|z;y;|none"


def test_functions_as_helm_prints_them(tmp_path: Path) -> None:
    template = ('{{ .Values.s | quote }} {{ .Values.missing | default "d" }} '
                '{{ .Values.zero | default 5 }} {{ .Values.flag }} {{ .Values.n }} '
                '{{ "x" | quote }}{{ .Values.nothing }}')
    out = rendered(tmp_path, template, {"s": 'say "hi"', "zero": 0, "flag": False, "n": 4318,
                                        "nothing": None})
    assert out == '"say \\"hi\\"" d 5 false 4318 "x"'


def test_to_yaml_and_nindent(tmp_path: Path) -> None:
    template = "spec:\n  r:\n    {{- toYaml .Values.r | nindent 4 }}\n"
    out = rendered(tmp_path, template, {"r": {"limits": {"memory": "4Gi"}, "a": [1, 2]}})
    assert out == "spec:\n  r:\n    a:\n    - 1\n    - 2\n    limits:\n      memory: 4Gi\n"


def test_include_of_a_define_with_its_own_dot(tmp_path: Path) -> None:
    helpers = ('{{- define "demo.name" -}}\n{{ .Values.name | default .Release.Name }}-'
               '{{ .Chart.AppVersion }}\n{{- end }}')
    template = 'name: {{ include "demo.name" . }}\nchart: {{ .Chart.Name }}-{{ .Chart.Version }}'
    assert rendered(tmp_path, template, helpers=helpers) == "name: rel-4.5\nchart: demo-1.2.3"
    assert rendered(tmp_path / "b", template, {"name": "x"},
                    helpers=helpers).startswith("name: x-4.5")


def test_logic_and_comparisons(tmp_path: Path) -> None:
    template = ("{{ if and (gt (int .Values.n) 1) (not .Values.off) }}yes{{ else }}no{{ end }}"
                "{{ if or .Values.off (ne .Values.s \"a\") }}!{{ end }}")
    assert rendered(tmp_path / "1", template, {"n": 3, "off": False, "s": "a"}) == "yes"
    assert rendered(tmp_path / "2", template, {"n": 1, "off": False, "s": "b"}) == "no!"


@pytest.mark.parametrize(("template", "values", "message"), [
    ("{{ with .Values.a }}x{{ end }}", {}, "'with' is outside"),
    ("{{ .Values.a | upper }}", {"a": "x"}, "function 'upper' is outside"),
    ("{{ .Values.big }}", {"big": 1000000}, "exponent form"),
    ("{{ .Values.m }}", {"m": {"a": 1}}, "use toYaml"),
    ("{{ .Values.a.b }}", {}, "nil pointer evaluating .Values.a.b"),
    ('{{ required "a is required" .Values.a }}', {}, "a is required"),
    ('{{ fail "no" }}', {}, "fail: no"),
    ("{{ if .Values.a }}x", {}, "not closed"),
])
def test_what_is_outside_the_subset_or_wrong_is_refused(
        tmp_path: Path, template: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(render.TemplateError, match=message):
        rendered(tmp_path, template, values)


def test_values_merge_as_helm_merges_them() -> None:
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2], "s": "x"}
    assert render.merge(base, {"a": {"c": 3}, "l": [9]}) == {
        "a": {"b": 1, "c": 3}, "l": [9], "s": "x"}
