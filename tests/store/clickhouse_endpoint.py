"""The local ClickHouse endpoint (``bongsu.store.clickhouse.local``) as a test fixture: one
subprocess per test session on a free loopback port, killed at the end; each test gets a
database of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bongsu.store.clickhouse.client import ClickHouse


@pytest.fixture(scope="session")
def clickhouse_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a local endpoint serving this session."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("chdb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data: Path = tmp_path_factory.mktemp("clickhouse")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bongsu.store.clickhouse.local", "--port", str(port),
         "--path", str(data), "--max-memory-mb", "1024"],
        stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on"), line
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture
def clickhouse(clickhouse_url: str) -> Iterator[ClickHouse]:
    """A connection to a fresh database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    ch = ClickHouse.connect(clickhouse_url, name)
    try:
        yield ch
    finally:
        ch.command(f"DROP DATABASE IF EXISTS {name}")
        ch.close()
