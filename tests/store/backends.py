"""The backends every store contract test runs on, and how a test opens them: DuckDB in a
data directory, ClickHouse on the local endpoint (``clickhouse_endpoint.py``) in a database
named after that directory, so the same path opens the same store again (a reopen, a
restart after ``kill -9``). ClickHouse databases are dropped when the test ends.

Example::

    def test_reopen(backend: Callable[[Path], Any], tmp_path: Path) -> None:
        backend(tmp_path).close()
        store = backend(tmp_path)      # the same store, whichever backend
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bongsu.store.clickhouse.client import ClickHouse
from bongsu.store.clickhouse.store import ClickHouseStore
from bongsu.store.duckdb import DuckDBStore

BACKENDS = ("clickhouse", "duckdb")


def database_of(path: Path) -> str:
    """The ClickHouse database standing for a DuckDB data directory: the same path opens
    the same store again."""
    return "t_" + hashlib.sha1(str(path).encode()).hexdigest()[:16]


def open_store(name: str, path: Path, url: str | None, **options: Any) -> Any:
    """The store of backend ``name`` at ``path`` (ClickHouse: on ``url``)."""
    if name == "duckdb":
        return DuckDBStore.open(path / "telemetry.duckdb", **options)
    assert url is not None
    return ClickHouseStore.open(ClickHouse.connect(url, database_of(path)), **options)


def drop(url: str, path: Path) -> None:
    ch = ClickHouse.connect(url, database_of(path), create=False)
    try:
        ch.command(f"DROP DATABASE IF EXISTS {database_of(path)}")
    finally:
        ch.close()


@contextmanager
def opened(request: pytest.FixtureRequest, name: str) -> Iterator[Callable[..., Any]]:
    """An opener of backend ``name``'s stores (path -> store); ClickHouse databases it
    opened are dropped at the end."""
    url = request.getfixturevalue("clickhouse_url") if name == "clickhouse" else None
    paths: set[Path] = set()

    def opener(path: Path, **options: Any) -> Any:
        paths.add(path)
        return open_store(name, path, url, **options)

    try:
        yield opener
    finally:
        for path in paths if url else ():
            drop(url, path)


@contextmanager
def open_backend(request: pytest.FixtureRequest, name: str, path: Path,
                 **options: Any) -> Iterator[Any]:
    """One store of backend ``name``, closed (and its database dropped) at the end."""
    with opened(request, name) as opener:
        store = opener(path, **options)
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Callable[[Path], Any]]:
    with opened(request, request.param) as opener:
        yield opener


@pytest.fixture
def store(backend: Callable[[Path], Any], tmp_path: Path) -> Iterator[Any]:
    s = backend(tmp_path)
    yield s
    s.close()
