"""The one save path (``store_capture``): analysed once when stored, kept whole with the
analysis, recomputed on read only when the analyzer's version changed, and the evidence
kept when an analyzer fails. Against the DuckDB store through the read contract."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bongsu import diagnostics
from bongsu.agent._threads import capture_threads
from bongsu.diagnostics.captures import analysis_of, store_capture
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.duckdb.migrations import available
from bongsu.store.reads import Reads, reads_of


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore.open(tmp_path / "t.duckdb")
    yield s
    s.close()


def reads(store: DuckDBStore) -> Reads:
    return reads_of(store, timeout_s=10, max_rows=1000)


def test_stored_with_its_analysis_and_summary(store: DuckDBStore) -> None:
    doc = capture_threads(None, trigger={"reason": "long_request", "detail": "GET /slow 31 s",
                                         "rule_id": None})
    capture_id = store_capture(store, "default", doc, service="svc", instance="i-1",
                               host="h", pid=7, requested_at_ms=None)
    record = reads(store).capture("default", capture_id)
    assert record is not None
    assert record.kind == "threads" and record.format == "bongsu.threads/1"
    assert record.ts_us == doc["captured_at_unix_nano"] // 1000  # when it was taken
    assert json.loads(record.payload or "") == doc
    stored = json.loads(record.analysis or "")
    assert stored == diagnostics.analyze(doc)
    threads = diagnostics.analyzer("threads", "bongsu.threads/1")
    assert threads is not None
    assert record.analysis_version == f"bongsu.threads/1:{threads.version}"
    summary = json.loads(record.summary or "")
    assert summary["headline"] == stored["headline"]
    assert summary["trigger"]["reason"] == "long_request"
    assert (summary["threads"], summary["host"], summary["pid"]) == (len(doc["threads"]), "h", 7)
    assert analysis_of(record) == stored


def test_a_failed_command_is_stored_without_analysis(store: DuckDBStore) -> None:
    capture_id = store_capture(store, "default", None, service="s", instance="i",
                               kind="memory", ok=False, error="ValueError: window_s")
    record = reads(store).capture("default", capture_id)
    assert record is not None and record.analysis is None
    assert json.loads(record.summary or "")["error"] == "ValueError: window_s"
    assert analysis_of(record) is None


class Broken:
    kind, format, version = "files", "acme.files/1", 1

    def normalize(self, doc: Any) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Any) -> dict[str, Any]:
        raise KeyError("fds")

    def compare(self, base: Any, other: Any) -> dict[str, Any]:
        raise KeyError("fds")


def test_an_analyzer_that_fails_does_not_lose_the_evidence(store: DuckDBStore) -> None:
    diagnostics.register(Broken())
    try:
        doc = {"kind": "files", "format": "acme.files/1", "count": 3}
        capture_id = store_capture(store, "default", doc, service="s", instance="i")
        record = reads(store).capture("default", capture_id)
        assert record is not None and analysis_of(record) is None  # on read: the same
    finally:
        diagnostics._ANALYZERS.pop(("files", "acme.files/1"))
    assert json.loads(record.payload or "") == doc
    assert record.analysis is None
    assert json.loads(record.summary or "")["analysis_error"] == "KeyError: 'fds'"


class Counting:
    """The built-in files analyzer under a new version, counting its calls."""

    kind, format = "files", "bongsu.files/1"

    def __init__(self, version: int) -> None:
        self.version = version
        self.calls = 0
        self.inner = diagnostics.analyzer("files", "bongsu.files/1")

    def normalize(self, doc: Any) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Any) -> dict[str, Any]:
        self.calls += 1
        assert self.inner is not None
        return {**self.inner.analyze(doc), "version_seen": self.version}

    def compare(self, base: Any, other: Any) -> dict[str, Any]:
        assert self.inner is not None
        return self.inner.compare(base, other)


def test_recomputed_on_read_only_when_the_analyzer_version_changed(
        store: DuckDBStore) -> None:
    builtin = diagnostics.analyzer("files", "bongsu.files/1")
    assert builtin is not None
    first, second = Counting(1), Counting(2)
    doc = {"kind": "files", "format": "bongsu.files/1", "count": 2, "limit_soft": 10,
           "limit_hard": 10, "fds": [{"fd": 0, "type": "pipe", "path": "pipe:[1]"},
                                     {"fd": 3, "type": "file", "path": "/var/log/a.log"}]}
    try:
        diagnostics.register(first)
        capture_id = store_capture(store, "default", doc, service="s", instance="i")
        record = reads(store).capture("default", capture_id)
        assert record is not None
        assert analysis_of(record)["version_seen"] == 1  # type: ignore[index]
        assert first.calls == 1  # the stored one was read back, not recomputed
        diagnostics.register(second)
        assert analysis_of(record)["version_seen"] == 2  # type: ignore[index]
        assert second.calls == 1
    finally:
        diagnostics.register(builtin)


def test_a_capture_stored_before_analyses_existed_is_analysed_on_read(
        tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, _name, sql in available():
        if version < 5:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?)", [version])
    doc = capture_threads(None)
    con.execute("INSERT INTO captures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ["default", int(time.time() * 1e6), "old-1", "svc", "i-1", "threads", "json",
                 json.dumps(doc), json.dumps({"ok": True, "threads": 3})])
    con.close()
    store = DuckDBStore.open(path)
    try:
        record = reads(store).capture("default", "old-1")
        assert record is not None and record.analysis is None and record.format == "json"
        assert analysis_of(record) == diagnostics.analyze(doc)
    finally:
        store.close()
