"""hatch_build.py stops an install that cannot build a missing console, and says why.

Hatchling itself is only present in pip's isolated build environment, so the hook is
loaded here over a stand-in ``BuildHookInterface`` holding what the hook reads (root,
target name, app); ``node`` and ``npm`` are stand-in scripts on a PATH of their own.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class _App:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def display_warning(self, message: str) -> None:
        self.warnings.append(message)

    def display_info(self, message: str) -> None:
        pass


class _Interface:
    def __init__(self, root: Path, target_name: str = "wheel") -> None:
        self.root = str(root)
        self.target_name = target_name
        self.app = _App()


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Any:
    names = ["hatchling", "hatchling.builders", "hatchling.builders.hooks"]
    names += ["hatchling.builders.hooks.plugin", "hatchling.builders.hooks.plugin.interface"]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules[names[-1]].BuildHookInterface = _Interface  # type: ignore[attr-defined]
    spec = importlib.util.spec_from_file_location(
        "_hatch_build_under_test", ROOT / "hatch_build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **scripts: str) -> None:
    """PATH holding only sh and the given stand-ins (``node="echo 18.0.0"``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    (bin_dir / "sh").symlink_to("/bin/sh")
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in ("BONGSU_SKIP_WEB_BUILD", "BONGSU_REQUIRE_WEB_BUILD"):
        monkeypatch.delenv(var, raising=False)


def _checkout(tmp_path: Path, bundle: bool) -> Path:
    root = tmp_path / "repo"
    (root / "web" / "src").mkdir(parents=True)
    (root / "web" / "package.json").write_text("{}")
    (root / "web" / "src" / "main.ts").write_text("")
    if bundle:
        static = root / "src" / "bongsu" / "web" / "static"
        static.mkdir(parents=True)
        (static / "index.html").write_text("")
        old = os.stat(root / "web" / "src" / "main.ts").st_mtime - 60
        os.utime(static / "index.html", (old, old))  # older than the sources: stale
    return root


@pytest.mark.parametrize(
    ("scripts", "why"),
    [
        ({}, "node not found"),
        ({"node": "echo 18.19.0", "npm": "echo 10.0.0"}, "Node.js 18.19.0 found, 20 or newer"),
        ({"node": "echo 22.1.0"}, "npm not found"),
    ],
    ids=["no-node", "old-node", "no-npm"],
)
def test_missing_bundle_without_node_is_an_error(
    hook: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripts: dict[str, str], why: str
) -> None:
    _tools(tmp_path, monkeypatch, **scripts)
    h = hook.WebBuildHook(_checkout(tmp_path, bundle=False))
    for version in ("standard", "editable"):
        with pytest.raises(RuntimeError, match="bundle is missing and cannot be built") as err:
            h.initialize(version, {})
        assert why in str(err.value) and "BONGSU_SKIP_WEB_BUILD=1" in str(err.value)


def test_stale_bundle_fails_a_development_install_and_warns_a_wheel_build(
    hook: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tools(tmp_path, monkeypatch)
    h = hook.WebBuildHook(_checkout(tmp_path, bundle=True))
    with pytest.raises(RuntimeError, match="older than web/"):
        h.initialize("editable", {})
    h.initialize("standard", {})
    assert any("shipping the existing bundle" in w for w in h.app.warnings)
    monkeypatch.setenv("BONGSU_REQUIRE_WEB_BUILD", "1")
    with pytest.raises(RuntimeError, match="older than web/"):
        h.initialize("standard", {})


def test_skip_is_honoured_and_a_failed_npm_is_named(
    hook: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tools(tmp_path, monkeypatch, node="echo 20.19.0", npm="exit 3")
    h = hook.WebBuildHook(_checkout(tmp_path, bundle=False))
    with pytest.raises(RuntimeError, match=r"`npm install --no-audit --no-fund` .*\(exit 3\)"):
        h.initialize("editable", {})
    monkeypatch.setenv("BONGSU_SKIP_WEB_BUILD", "1")
    h.initialize("editable", {})
    assert any("BONGSU_SKIP_WEB_BUILD=1" in w for w in h.app.warnings)
