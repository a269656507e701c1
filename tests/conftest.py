"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from server_process import ServerProcess, survivors

# Under CI=true a skipped test fails the run (tests/ci_skips.py).
pytest_plugins = ["ci_skips"]

FAST_EDGES = {"BONGSU_EDGE_MATCH_SECONDS": "1", "BONGSU_LOAD_BATCH_SECONDS": "0.05"}


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[type[ServerProcess]]:
    """Build servers on fresh data directories; all are killed at the end of the test.

    The test then fails if a process a server started outlives it by 2 s: the server must
    take its decoder down with it, even under ``kill -9``.
    """
    started: list[ServerProcess] = []

    def make(
        env: dict[str, str] | None = None, name: str = "data",
        launcher: Sequence[str] = ("-m", "bongsu"),
    ) -> ServerProcess:
        server = ServerProcess(tmp_path / name, {**FAST_EDGES, **(env or {})}, launcher)
        started.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in started:
        if server.proc and server.proc.poll() is None:
            server.kill()
    left = survivors(p for server in started for p in server.left_behind)
    assert not left, f"processes outlived their server: {left}"


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the read-mostly tests of a session."""
    server = ServerProcess(tmp_path_factory.mktemp("shared") / "data", FAST_EDGES).start()
    yield server
    server.stop()
