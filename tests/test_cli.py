"""The ``bongsu`` command line, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bongsu import __version__
from server_process import ServerProcess


def bongsu(*args: str, env: dict[str, str] | None = None, timeout: float = 60
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bongsu", *args], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )


def test_version_and_help() -> None:
    assert bongsu("--version").stdout.strip() == f"bongsu {__version__}"
    help_text = bongsu("server", "--help").stdout
    for flag in ("--host", "--port", "--otlp-port", "--data-dir"):
        assert flag in help_text
    assert "--rate" in bongsu("simulate", "--help").stdout


def test_bad_setting_is_a_clear_error() -> None:
    result = bongsu("server", env={"BONGSU_PORT": "eighty"})
    assert result.returncode == 1
    assert "BONGSU_PORT: expected int, got 'eighty'" in result.stderr


def test_simulate_feeds_a_server(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = server_factory().start()
    result = bongsu("simulate", "--endpoint", server.otlp_url, "--rate", "40", "--seed", "3",
                    "--duration", "4")
    assert result.returncode == 0, result.stderr
    server.wait_loaded()
    deadline = time.monotonic() + 10
    names: set[str] = set()
    while time.monotonic() < deadline and len(names) < 5:
        names = {s["name"] for s in server.api("/api/v1/services")[1]["services"]}
        time.sleep(0.2)
    assert len(names) >= 5
    # The last metric export is stamped at the end of simulated time, a moment ahead.
    while time.monotonic() < deadline + 5:
        status, metrics = server.api("/api/v1/metrics/names")
        if "jvm.memory.used" in str(metrics):
            break
        time.sleep(0.2)
    assert status == 200 and "jvm.memory.used" in str(metrics)


def test_second_server_on_the_same_data_dir_is_refused(server_factory) -> None:  # type: ignore[no-untyped-def]
    first: ServerProcess = server_factory().start()
    second = ServerProcess(first.data_dir)
    result = bongsu("server", "--data-dir", str(first.data_dir), "--port",
                    str(second.api_port), "--otlp-port", str(second.otlp_port), timeout=60)
    assert result.returncode == 1
    assert "cannot open the store" in result.stderr
