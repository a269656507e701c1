"""Every console label exists in English and Korean, with the same placeholders.

The tables are ``web/src/strings/<area>.ts``, each ``export const en = {…}`` and
``export const ko: Record<keyof typeof en, string> = {…}``. TypeScript already rejects a
missing or extra Korean key at build time; this test says the same without Node, and
also catches what the type cannot: placeholders that differ, empty labels, a key defined
in two areas, an area the shell never loads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web" / "src"
STRINGS = WEB / "strings"
_ENTRY = re.compile(r'"([^"\\]+)"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,?')
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _table(source: str, head: str, path: Path) -> dict[str, str]:
    """The string entries of the object literal that follows ``head``."""
    start = source.index(head) + len(head)
    body = source[start : source.index("\n};", start)]
    table: dict[str, str] = {}
    for key, value in _ENTRY.findall(body):
        assert key not in table, f"{path.name}: {key!r} twice"
        table[key] = value
    rest = _ENTRY.sub("", body)
    rest = re.sub(r"//[^\n]*", "", rest)
    assert not rest.strip(), f"{path.name}: entries this test cannot read: {rest.strip()[:200]!r}"
    return table


def _areas() -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    areas = {}
    for path in sorted(STRINGS.glob("*.ts")):
        source = path.read_text()
        en = _table(source, "export const en = {", path)
        ko = _table(source, "export const ko: Record<keyof typeof en, string> = {", path)
        areas[path.stem] = (en, ko)
    return areas


def test_there_are_string_tables() -> None:
    areas = _areas()
    assert "shell" in areas and len(areas) >= 2, sorted(areas)
    assert sum(len(en) for en, _ in areas.values()) > 100


@pytest.mark.parametrize("area", sorted(p.stem for p in STRINGS.glob("*.ts")))
def test_every_key_in_both_languages(area: str) -> None:
    en, ko = _areas()[area]
    assert sorted(set(en) - set(ko)) == [], "missing in Korean"
    assert sorted(set(ko) - set(en)) == [], "missing in English"
    for key in en:
        assert en[key].strip() and ko[key].strip(), f"{key}: empty label"
        assert set(_PLACEHOLDER.findall(en[key])) == set(_PLACEHOLDER.findall(ko[key])), key


def test_keys_are_unique_across_areas() -> None:
    owner: dict[str, str] = {}
    for area, (en, _) in _areas().items():
        for key in en:
            assert key not in owner, f"{key!r} in both {owner[key]}.ts and {area}.ts"
            owner[key] = area


def test_the_registry_names_every_page_area() -> None:
    """A strings file no registry entry names would compile and show raw keys; each page's
    own file holds its menu label."""
    registry = (WEB / "registry.ts").read_text()
    imported = dict(re.findall(r'import \* as (\w+) from "\./strings/(\w+)";', registry))
    entries = re.findall(r'\{ route: "([\w-]+)",[^\n]*\bstrings: (\w+),', registry)
    assert entries, "no registry entries found"
    named = {imported[var] for _, var in entries}
    assert named | {"shell"} == {p.stem for p in STRINGS.glob("*.ts")}
    areas = _areas()
    for route, var in entries:
        en, _ = areas[imported[var]]
        assert f"nav.{route}" in en, f"strings/{imported[var]}.ts lacks nav.{route}"
    i18n = (WEB / "i18n.ts").read_text()
    assert 'import * as shell from "./strings/shell";' in i18n
    assert "REGISTRY.map((p) => p.strings)" in i18n
