"""The console's API types (``web/src/api/schema.gen.ts``) match the server's schema.

``npm run gen:api`` writes them from ``python -m bongsu.api.schema`` through
``openapi-typescript``; this regenerates into a temporary file and compares, so a change
to the API's models fails here until the generated file is regenerated and committed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
GENERATED = WEB / "src" / "api" / "schema.gen.ts"


def test_generated_api_types_are_current(tmp_path: Path) -> None:
    if not (WEB / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.skip("web/node_modules missing: run `npm ci` in web/")
    if shutil.which("node") is None:
        pytest.skip("node not found (Node.js >= 20)")
    fresh = tmp_path / "schema.gen.ts"
    proc = subprocess.run(
        ["sh", str(WEB / "scripts" / "gen-api.sh"), str(fresh)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert fresh.read_text() == GENERATED.read_text(), (
        "web/src/api/schema.gen.ts is stale: run `npm run gen:api` in web/ and commit it"
    )


def test_generated_types_cover_the_console_calls() -> None:
    """Every path api.ts calls is in the document, so its answer type is the server's."""
    text = GENERATED.read_text()
    types = (WEB / "src" / "api" / "types.ts").read_text()
    used = set(re.findall(r'Ok<\s*"(/api/v1/[^"]+)"', types))
    assert used, "api/types.ts names no path"
    for path in sorted(used):
        assert f'"{path}": {{' in text, f"{path} is not in the OpenAPI document"
