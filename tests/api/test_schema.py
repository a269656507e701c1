"""`python -m bongsu.api.schema` prints the API's OpenAPI document, the same every time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bongsu.api.schema import render


def test_schema_is_printed_without_a_server_or_data_dir(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bongsu.api.schema"], capture_output=True, text=True,
        check=True, cwd=str(tmp_path),
    ).stdout
    assert out == render()
    assert out.endswith("}\n")
    assert list(tmp_path.iterdir()) == []
    doc = json.loads(out)
    assert {"/api/v1/services", "/api/v1/topology", "/api/v1/active-requests"} <= set(
        doc["paths"]
    )
