"""Hatchling build hook: build the web console when its bundle is missing or stale.

Runs ``npm ci && npm run build`` in ``web/`` during ``pip install .`` / ``pip install
-e .`` / ``python -m build`` when ``src/bongsu/web/static/index.html`` does not exist or
is older than a console source file (~8-15 s here). The output is git-ignored and
enters the wheel through the ``artifacts`` setting.

Without Node.js >= 20 and npm the install stops with a message saying what to install,
because a server without its console is never what a developer or a user wants:

* bundle missing: always an error;
* bundle stale: an error for an editable (development) install and under
  ``BONGSU_REQUIRE_WEB_BUILD=1`` (release builds, ``scripts/setup.sh``); a plain wheel
  build warns and ships the bundle it has.

``BONGSU_SKIP_WEB_BUILD=1`` skips the build on purpose (the server then runs without a
console, or with the bundle already there). A failing ``npm ci`` / ``npm run build`` is
an error naming the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NODE_MAJOR = 20  # Vite 8 needs Node.js 20.19+ / 22.12+
INSTALL_HINT = (
    "install Node.js >= 20 with npm (https://nodejs.org, or your distribution's nodejs and "
    "npm packages) and retry, or set BONGSU_SKIP_WEB_BUILD=1 to install without the console"
)


class WebBuildHook(BuildHookInterface):  # type: ignore[misc,type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        web = root / "web"
        bundle = root / "src" / "bongsu" / "web" / "static" / "index.html"
        if self.target_name != "wheel" or not (web / "package.json").is_file():
            return
        missing = not bundle.is_file()
        if not missing and _newest_source(web) <= bundle.stat().st_mtime:
            return
        if os.environ.get("BONGSU_SKIP_WEB_BUILD") == "1":
            self.app.display_warning("BONGSU_SKIP_WEB_BUILD=1: web console not built")
            return
        problem = node_problem()
        if problem is not None:
            state = "missing" if missing else "older than web/"
            message = f"the web console bundle is {state} and cannot be built: {problem}"
            strict = version == "editable" or os.environ.get("BONGSU_REQUIRE_WEB_BUILD") == "1"
            if missing or strict:
                raise RuntimeError(f"{message}; {INSTALL_HINT}")
            self.app.display_warning(f"{message}; shipping the existing bundle")
            return
        npm = shutil.which("npm")
        assert npm is not None  # node_problem() checked it
        self.app.display_info("building the web console (npm ci && npm run build)")
        # `npm ci` needs the committed package-lock.json and gives a reproducible tree.
        install = ["ci"] if (web / "package-lock.json").is_file() else ["install"]
        for args in ([*install, "--no-audit", "--no-fund"], ["run", "build"]):
            done = subprocess.run([npm, *args], cwd=web, check=False)
            if done.returncode != 0:
                raise RuntimeError(
                    f"`npm {' '.join(args)}` in {web} failed (exit {done.returncode}); "
                    "its output is above. BONGSU_SKIP_WEB_BUILD=1 installs without the console"
                )
        if not bundle.is_file():
            raise RuntimeError(f"web build finished but {bundle} is missing")


def node_problem() -> str | None:
    """Why Node.js / npm on PATH cannot build the console, or None when they can."""
    node = shutil.which("node")
    if node is None:
        return "node not found on PATH"
    try:
        done = subprocess.run(
            [node, "-p", "process.versions.node"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        found = done.stdout.strip()
        major = int(found.split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return f"{node} does not report its version"
    if major < NODE_MAJOR:
        return f"Node.js {found} found, {NODE_MAJOR} or newer needed"
    if shutil.which("npm") is None:
        return "npm not found on PATH"
    return None


def _newest_source(web: Path) -> float:
    """mtime of the newest file the bundle is built from (sources, build scripts, config,
    lock file, and the user guide in docs/ that the build copies into it)."""
    files = [p for p in (web / "src").rglob("*") if p.is_file()]
    files += [p for p in (web / "scripts").rglob("*") if p.is_file()]
    files += list((web.parent / "docs").glob("*.md"))
    files += [
        web / n for n in ("index.html", "package.json", "package-lock.json", "vite.config.ts")
    ]
    return max((p.stat().st_mtime for p in files if p.is_file()), default=0.0)
