"""The ingest log on its own: group commit, segments, torn tails, failed writes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bongsu.ingest.log import IngestLog, read_records
from bongsu.ingest.signals import Signal


def test_records_read_back_across_segments_and_trim(tmp_path: Path) -> None:
    log = IngestLog.open(tmp_path, segment_bytes=200)
    ends = [log.append(Signal.TRACES, f"t{i}", bytes([i]) * 60) for i in range(10)]
    assert [r[0] for r in log.read(0)] == ends
    assert [(s, t, p[:1]) for _, s, t, p in log.read(ends[4], ends[6])] == [
        (Signal.TRACES, "t5", b"\x05"), (Signal.TRACES, "t6", b"\x06")
    ]
    segments = sorted(tmp_path.iterdir())
    assert len(segments) > 2
    assert log.trim(ends[6]) >= 1
    assert [r[0] for r in log.read(ends[6])] == ends[7:]
    log.close()


def test_torn_tail_is_dropped_on_open(tmp_path: Path) -> None:
    log = IngestLog.open(tmp_path)
    end = log.append(Signal.LOGS, "default", b"x" * 100)
    log.close()
    with open(next(tmp_path.iterdir()), "ab") as f:
        f.write(b"\x50\x00\x00\x00partial")  # a record cut short by a crash
    reopened = IngestLog.open(tmp_path)
    assert reopened.end == end
    after = reopened.append(Signal.LOGS, "default", b"y")
    assert [r[0] for r in read_records(tmp_path, 0, after)] == [end, after]
    reopened.close()


def test_concurrent_appends_share_fsyncs_and_all_come_back(tmp_path: Path) -> None:
    log = IngestLog.open(tmp_path)
    ends: list[int] = []

    def append(k: int) -> None:
        for i in range(50):
            ends.append(log.append(Signal.TRACES, "default", f"{k}:{i}".encode()))

    threads = [threading.Thread(target=append, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.durable == log.end == max(ends)
    payloads = {p for _, _, _, p in log.read(0)}
    assert payloads == {f"{k}:{i}".encode() for k in range(8) for i in range(50)}
    log.close()


def test_failed_write_leaves_no_partial_record(tmp_path: Path) -> None:
    log = IngestLog.open(tmp_path)
    first = log.append(Signal.TRACES, "default", b"a" * 10)

    class FullDisk:
        def __init__(self, real: object) -> None:
            self.real = real
            self.calls = 0

        def write(self, data: bytes) -> int:
            self.calls += 1
            if self.calls == 2:  # header written, then the disk is full
                raise OSError(28, "No space left on device")
            return self.real.write(data)  # type: ignore[attr-defined,no-any-return]

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

    log._file = FullDisk(log._file)  # type: ignore[assignment]
    with pytest.raises(OSError):
        log.append(Signal.TRACES, "default", b"b" * 10)
    second = log.append(Signal.TRACES, "default", b"c" * 10)
    assert [p for _, _, _, p in log.read(0)] == [b"a" * 10, b"c" * 10]
    assert second - first == first
    log.close()
