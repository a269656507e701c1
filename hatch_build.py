"""Hatchling build hook: build the web console when its bundle is missing or stale.

Runs ``npm ci && npm run build`` in ``web/`` during ``pip install .`` / ``pip install
-e .`` / ``python -m build`` when ``src/bongsu/web/static/index.html`` does not exist or
is older than a console source file (~8-15 s here). The output is git-ignored and
enters the wheel through the ``artifacts`` setting. ``BONGSU_SKIP_WEB_BUILD=1`` skips
it (the server then runs without a console); ``BONGSU_REQUIRE_WEB_BUILD=1`` turns a
missing Node.js into an error instead of a warning (release builds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WebBuildHook(BuildHookInterface):  # type: ignore[misc,type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        web = root / "web"
        bundle = root / "src" / "bongsu" / "web" / "static" / "index.html"
        if self.target_name != "wheel" or not (web / "package.json").is_file():
            return
        if bundle.is_file() and _newest_source(web) <= bundle.stat().st_mtime:
            return
        if os.environ.get("BONGSU_SKIP_WEB_BUILD") == "1":
            self.app.display_warning("BONGSU_SKIP_WEB_BUILD=1: web console not built")
            return
        npm = shutil.which("npm")
        if npm is None:
            message = "npm not found: the web console is not built (install Node.js >= 20)"
            if os.environ.get("BONGSU_REQUIRE_WEB_BUILD") == "1":
                raise RuntimeError(message)
            self.app.display_warning(message)
            return
        self.app.display_info("building the web console (npm ci && npm run build)")
        # `npm ci` needs the committed package-lock.json and gives a reproducible tree.
        install = ["ci"] if (web / "package-lock.json").is_file() else ["install"]
        for args in ([*install, "--no-audit", "--no-fund"], ["run", "build"]):
            subprocess.run([npm, *args], cwd=web, check=True)
        if not bundle.is_file():
            raise RuntimeError(f"web build finished but {bundle} is missing")


def _newest_source(web: Path) -> float:
    """mtime of the newest file the bundle is built from (sources, config, lock file)."""
    files = [p for p in (web / "src").rglob("*") if p.is_file()]
    files += [
        web / n for n in ("index.html", "package.json", "package-lock.json", "vite.config.ts")
    ]
    return max((p.stat().st_mtime for p in files if p.is_file()), default=0.0)
