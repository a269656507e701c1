"""scripts/setup.sh stops with a clear message when Node.js or npm cannot build the console."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("node", "npm"),
    [("echo 18", "echo 10.0.0"), ("echo 22", None), (None, "echo 10.0.0")],
    ids=["node-too-old", "npm-missing", "node-missing"],
)
def test_setup_refuses_without_node_and_npm(
    tmp_path: Path, node: str | None, npm: str | None
) -> None:
    # A PATH with every tool of this machine except node and npm (linked one by one), and
    # stand-ins for those two that report a version, or none where the command is missing.
    fake = tmp_path / "bin"
    fake.mkdir()
    for directory in reversed(os.environ["PATH"].split(":")):
        for tool in Path(directory).glob("*") if Path(directory).is_dir() else ():
            if tool.name not in ("node", "npm") and os.access(tool, os.X_OK):
                (fake / tool.name).unlink(missing_ok=True)
                (fake / tool.name).symlink_to(tool)
    for name, body in (("node", node), ("npm", npm)):
        if body is not None:
            (fake / name).write_text(f"#!/bin/sh\n{body}\n")
            (fake / name).chmod(0o755)
    env = {**os.environ, "PATH": str(fake)}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh")], env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Node.js >= 20 and npm are needed to build the web console" in done.stderr
    assert "setup: ready" not in done.stdout
