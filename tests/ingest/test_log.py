"""The ingest log on its own: group commit, segments, torn tails, failed writes, and
damaged records found, copied aside and read past."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bongsu.errors import CorruptIngestLog
from bongsu.ingest.log import Corrupt, IngestLog, quarantine, quarantined, read_records, scan
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


# -- bad bytes: quarantine instead of a stall, a torn tail still cut ---------------------


def _logged(tmp_path: Path, n: int = 9) -> tuple[IngestLog, list[int]]:
    log = IngestLog.open(tmp_path)
    ends = [log.append(Signal.TRACES, "acme", bytes([65 + i]) * (40 + i)) for i in range(n)]
    return log, ends


def _damage(tmp_path: Path, offset: int, xor: int = 0xFF) -> bytes:
    """Flip bits of one byte of the (only) segment; returns the segment as damaged."""
    path = next(tmp_path.glob("*.log"))
    data = bytearray(path.read_bytes())
    data[offset] ^= xor
    path.write_bytes(data)
    return bytes(data)


@pytest.mark.parametrize(
    ("where", "xor"),
    [
        pytest.param(20, 0xFF, id="payload"),  # the length is right: skipped by it
        pytest.param(4, 0x01, id="checksum"),
        pytest.param(0, 0x10, id="length"),  # lands mid-record: found by scanning
        pytest.param(1, 0xFF, id="length-huge"),  # past the end: found by scanning
        pytest.param(9, 0x07, id="tenant-length"),
    ],
)
def test_a_damaged_record_is_reported_with_its_bytes_and_reading_goes_on(
    tmp_path: Path, where: int, xor: int
) -> None:
    log, ends = _logged(tmp_path)
    bad_start, bad_end = ends[3], ends[4]  # the fifth record
    damaged = _damage(tmp_path, bad_start + where, xor)
    items = list(scan(tmp_path, 0, log.durable))
    corrupt = [i for i in items if isinstance(i, Corrupt)]
    assert [(c.start, c.end) for c in corrupt] == [(bad_start, bad_end)]
    assert corrupt[0].data == damaged[bad_start:bad_end]
    assert [i[0] for i in items if not isinstance(i, Corrupt)] == ends[:4] + ends[5:]
    with pytest.raises(CorruptIngestLog, match="hold no valid record"):
        list(log.read(0))
    log.close()


def test_damaged_last_record_and_resuming_after_a_region(tmp_path: Path) -> None:
    log, ends = _logged(tmp_path)
    _damage(tmp_path, ends[-2] + 2)  # the length of the last record: nothing follows
    assert [(i.start, i.end) for i in scan(tmp_path, 0, log.durable)
            if isinstance(i, Corrupt)] == [(ends[-2], ends[-1])]
    _damage(tmp_path, ends[1] + 20)
    # From a region's end (where the decoder resumes), the region is not reported again.
    after = list(scan(tmp_path, ends[2], log.durable))
    assert [i[0] if not isinstance(i, Corrupt) else i.start for i in after] == [
        *ends[3:-1], ends[-2]
    ]
    log.close()


def test_reopening_keeps_records_after_damage_but_cuts_a_torn_tail(tmp_path: Path) -> None:
    log, ends = _logged(tmp_path)
    log.close()
    _damage(tmp_path, ends[3] + 1)  # acknowledged, damaged since: not a tail
    with open(next(tmp_path.glob("*.log")), "ab") as f:
        f.write(b"\x50\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00partial")  # a torn tail
    reopened = IngestLog.open(tmp_path)
    assert reopened.end == reopened.durable == ends[-1]
    assert len([i for i in scan(tmp_path, 0, ends[-1]) if not isinstance(i, Corrupt)]) == 8
    reopened.close()


def test_reopening_keeps_a_damaged_last_record_whole(tmp_path: Path) -> None:
    # Whole by its header but failing its checksum: acknowledged and damaged since, or a
    # write the disk lost. Either way it is kept for the decoder to quarantine.
    log, ends = _logged(tmp_path)
    log.close()
    _damage(tmp_path, ends[-1] - 3)
    reopened = IngestLog.open(tmp_path)
    assert reopened.durable == ends[-1]
    after = reopened.append(Signal.LOGS, "acme", b"after")
    items = list(scan(tmp_path, 0, after))
    assert [(i.start, i.end) for i in items if isinstance(i, Corrupt)] == [(ends[-2], ends[-1])]
    assert [i[0] for i in items if not isinstance(i, Corrupt)] == [*ends[:-1], after]
    reopened.close()


def test_a_segment_that_lost_its_tail_is_reported_as_a_gap(tmp_path: Path) -> None:
    log = IngestLog.open(tmp_path, segment_bytes=200)
    ends = [log.append(Signal.LOGS, "t", bytes([i]) * 60) for i in range(8)]
    first = sorted(tmp_path.glob("*.log"))[0]
    size = first.stat().st_size
    with open(first, "r+b") as f:
        f.truncate(size - 10)
    # The third record, cut short, and the 10 bytes gone are one region; the next
    # segment is read as before.
    items = list(scan(tmp_path, 0, log.durable))
    corrupt = [i for i in items if isinstance(i, Corrupt)]
    assert [(c.start, c.end) for c in corrupt] == [(ends[1], ends[2])] and size == ends[2]
    assert corrupt[0].data == first.read_bytes()[ends[1]:]
    assert [i[0] for i in items if not isinstance(i, Corrupt)] == ends[:2] + ends[3:]
    log.close()


def test_quarantine_copies_once_and_durably(tmp_path: Path) -> None:
    region = Corrupt(120, 180, b"x" * 60, "00000000000000000000.log")
    path = quarantine(tmp_path, region)
    assert path is not None and path.name == "00000000000000000120-00000000000000000180.bin"
    assert path.read_bytes() == b"x" * 60
    assert quarantine(tmp_path, region) is None  # a second decoder run finds it there
    assert quarantined(tmp_path) == (1, 60)


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 300), min_size=2, max_size=12),
    victim=st.integers(0, 11),
    at=st.integers(0, 10_000),
    xor=st.integers(1, 255),
)
def test_any_damaged_byte_quarantines_exactly_its_record(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], victim: int, at: int, xor: int
) -> None:
    directory = tmp_path_factory.mktemp("log")
    log = IngestLog.open(directory, fsync=False)
    ends = [log.append(Signal.METRICS, f"tenant-{i}", os.urandom(n)) for i, n in enumerate(sizes)]
    log.close()
    victim %= len(ends)
    start = ends[victim - 1] if victim else 0
    offset = start + at % (ends[victim] - start)
    if offset == start + 8:
        offset += 1  # the signal byte is outside the checksum (see the report on the format)
    damaged = _damage(directory, offset, xor)
    items = list(scan(directory, 0, ends[-1]))
    corrupt = [i for i in items if isinstance(i, Corrupt)]
    assert [(c.start, c.end, c.data) for c in corrupt] == [
        (start, ends[victim], damaged[start:ends[victim]])
    ]
    assert [i[0] for i in items if not isinstance(i, Corrupt)] == [
        e for i, e in enumerate(ends) if i != victim
    ]
