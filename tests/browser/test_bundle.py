"""The built console bundle: where ``bongsu.web`` says it is, and self-contained."""

from __future__ import annotations

import re

import pytest

from bongsu.web import static_dir


def test_static_dir_holds_the_bundle() -> None:
    d = static_dir()
    if d is None:
        pytest.skip("web console not built: run `npm ci && npm run build` in web/")
    index = (d / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', index)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for a in assets:
        assert (d / a).is_file(), a


def test_bundle_loads_nothing_from_the_network() -> None:
    """No CDN: the console works offline; only relative `./assets/…` and `api/v1/…`."""
    d = static_dir()
    if d is None:
        pytest.skip("web console not built")
    index = (d / "index.html").read_text()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', index)
    for js in (d / "assets").glob("*.js"):
        text = js.read_text()
        assert not re.search(r'import\s*\(?\s*["\']https?://', text), js.name
    # The API is addressed relative to the page, so a reverse proxy can mount it anywhere.
    assert any("`api/v1${" in js.read_text() for js in (d / "assets").glob("*.js"))
