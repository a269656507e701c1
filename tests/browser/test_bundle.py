"""The built console bundle: where ``bongsu.web`` says it is, self-contained, small to
start (ECharts and page code load with their page, not with the shell), and free of
test hooks."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from bongsu.web import static_dir

#: Initial JavaScript budget (gzip): the entry chunk and everything it pulls in statically.
INITIAL_JS_GZIP_LIMIT = 150_000

_SCRIPT = re.compile(r'<script\b[^>]*\btype="module"[^>]*\bsrc="\./(assets/[^"]+)"')
_PRELOAD = re.compile(r'<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\./(assets/[^"]+)"')
# Static imports in the minified chunks: `import{a}from"./x.js"`, `import"./x.js"`,
# `export{a}from"./x.js"`. A dynamic `import("./x.js")` has a parenthesis and is not matched.
_STATIC_IMPORT = re.compile(r'\b(?:from|import)\s*"\./([\w.-]+\.js)"')


def _bundle() -> Path:
    d = static_dir()
    if d is None:
        pytest.skip("web console not built: run `npm ci && npm run build` in web/")
    return d


def initial_js(d: Path) -> list[Path]:
    """The scripts a first visit loads before any page: index.html's module scripts and
    modulepreloads, and the chunks they import statically, transitively."""
    index = (d / "index.html").read_text()
    todo = [d / a for a in _SCRIPT.findall(index) + _PRELOAD.findall(index)]
    seen: list[Path] = []
    while todo:
        js = todo.pop()
        if js in seen or js.suffix != ".js":
            continue
        seen.append(js)
        todo += [js.parent / name for name in _STATIC_IMPORT.findall(js.read_text())]
    return seen


def test_static_dir_holds_the_bundle() -> None:
    d = _bundle()
    index = (d / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', index)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for a in assets:
        assert (d / a).is_file(), a


def test_initial_javascript_is_within_budget() -> None:
    """≤ 150 kB gzip before the first page's chunk (one 258 kB bundle before splitting)."""
    d = _bundle()
    scripts = initial_js(d)
    assert scripts, "index.html loads no module script"
    for js in scripts:
        assert js.is_file(), js
    sizes = {js.name: len(gzip.compress(js.read_bytes(), 9)) for js in scripts}
    total = sum(sizes.values())
    assert total <= INITIAL_JS_GZIP_LIMIT, f"initial JS {total:,} B gzip: {sizes}"
    # ECharts is the bulk of the bundle; it must come with the pages that draw charts.
    # (`registerPreprocessor` is one of its public functions; a chunk *name* may say echarts.)
    assert any("registerPreprocessor" in js.read_text() for js in (d / "assets").glob("*.js"))
    for js in scripts:
        assert "registerPreprocessor" not in js.read_text(), f"{js.name} holds ECharts"
    chunks = list((d / "assets").glob("*.js"))
    assert len(chunks) > len(scripts), "no lazily loaded chunk: pages are not split out"


def test_bundle_loads_nothing_from_the_network() -> None:
    """No CDN: the console works offline; only relative `./assets/…` and `api/v1/…`."""
    d = _bundle()
    index = (d / "index.html").read_text()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', index)
    for js in (d / "assets").glob("*.js"):
        text = js.read_text()
        assert not re.search(r'import\s*\(?\s*["\']https?://', text), js.name
    # The API is addressed relative to the page, so a reverse proxy can mount it anywhere.
    assert any("`api/v1${" in js.read_text() for js in (d / "assets").glob("*.js"))


def test_no_test_hooks_in_the_bundle() -> None:
    """Tests read the page through the DOM (data attributes, SVG); nothing in the product
    exists for them, such as the `window.__bongsuCharts` map charts.ts once set."""
    d = _bundle()
    for asset in [d / "index.html", *(d / "assets").iterdir()]:
        if asset.suffix in (".js", ".html", ".css"):
            assert "__bongsu" not in asset.read_text(), f"{asset.name} holds a __bongsu test hook"
