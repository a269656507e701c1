"""The ingest log: acknowledged OTLP requests, appended and fsynced in groups.

A request is acknowledged once its record is on disk; the decoder loads the log into the
store later and the store records the position it has loaded (``lsn``: a byte offset that
only grows, across segment files). On start, everything after the loaded position is
replayed; segments wholly below it are deleted.

Record layout: ``<u32 payload length><u32 crc32 of tenant+payload><u8 signal><u16 tenant
length>`` then tenant (UTF-8) and payload (a canonical OTLP protobuf request). A record cut
short or failing its checksum ends the log (a crash before fsync; it was never
acknowledged).

Example::

    log = IngestLog.open(Path("bongsu-data/ingest-log"))
    lsn = log.append(Signal.TRACES, "default", body)   # durable when it returns
    for end, signal, tenant, payload in log.read(0, lsn): ...
"""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bongsu.errors import CorruptIngestLog
from bongsu.ingest.signals import Signal

_HEADER = struct.Struct("<IIBH")
_SUFFIX = ".log"


class IngestLog:
    """Append-only, segmented, group-fsynced log of acknowledged requests.

    ``append`` may be called from many threads; callers that arrive while an fsync is in
    flight share the next one (group commit), so the cost of an fsync (~0.4 ms here) is
    paid once per group rather than once per request.
    """

    def __init__(self, directory: Path, segment_bytes: int, fsync: bool) -> None:
        self._dir = directory
        self._segment_bytes = segment_bytes
        self._fsync = fsync
        self._lock = threading.Lock()  # guards the file and the positions below
        self._sync_lock = threading.Lock()  # one fsync at a time
        self._file: BinaryIO | None = None
        self._segment_start = 0
        self._end = 0  # lsn after the last appended record
        self._durable = 0  # lsn up to which an fsync has completed
        self._open_tail()

    @classmethod
    def open(
        cls, directory: Path, segment_bytes: int = 64 * 1024 * 1024, fsync: bool = True
    ) -> IngestLog:
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory, segment_bytes, fsync)

    # -- writing ---------------------------------------------------------------------------

    @property
    def end(self) -> int:
        """Position after the last appended record."""
        return self._end

    @property
    def durable(self) -> int:
        """Position up to which records are known to be on disk."""
        return self._durable

    def append(self, signal: Signal, tenant: str, payload: bytes) -> int:
        """Append one record and return once it is durable; returns its end position."""
        tenant_bytes = tenant.encode()
        crc = zlib.crc32(payload, zlib.crc32(tenant_bytes))
        record = _HEADER.pack(len(payload), crc, int(signal), len(tenant_bytes))
        with self._lock:
            if self._end - self._segment_start >= self._segment_bytes:
                self._roll()
            assert self._file is not None
            try:
                # Written through to the OS here, so a failure (a full disk) is this
                # record's alone: the file is cut back to the records before it.
                self._file.write(record)
                self._file.write(tenant_bytes)
                self._file.write(payload)
                self._file.flush()
            except OSError:
                self._rewind()
                raise
            self._end += len(record) + len(tenant_bytes) + len(payload)
            end = self._end
        self._sync_to(end)
        return end

    def _rewind(self) -> None:
        """Drop a partly written record: reopen the segment cut at the last whole one."""
        path = self._segment_path(self._segment_start)
        if self._file is not None:
            # Its buffer held the failed record; closing may fail the same way.
            with contextlib.suppress(OSError):
                self._file.close()
        with open(path, "r+b") as f:
            f.truncate(self._end - self._segment_start)
        self._file = open(path, "ab")  # noqa: SIM115

    def _sync_to(self, end: int) -> None:
        if self._durable >= end:
            return
        with self._sync_lock:
            if self._durable >= end:  # a group fsync that started after us covered us
                return
            with self._lock:
                target = self._end
                file = self._file
                assert file is not None
            if self._fsync:
                os.fsync(file.fileno())
            self._durable = max(self._durable, target)

    def _roll(self) -> None:
        assert self._file is not None
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._durable = max(self._durable, self._end)
        self._file.close()
        self._segment_start = self._end
        self._file = open(self._segment_path(self._end), "ab")  # noqa: SIM115
        if self._fsync:
            _fsync_dir(self._dir)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                if self._fsync:
                    os.fsync(self._file.fileno())
                self._file.close()
                self._file = None

    # -- reading and trimming ----------------------------------------------------------------

    def read(self, start: int, stop: int | None = None) -> Iterator[tuple[int, Signal, str, bytes]]:
        """Records ending in ``(start, stop]`` as (end, signal, tenant, payload)."""
        return read_records(self._dir, start, self._durable if stop is None else stop)

    def trim(self, loaded: int) -> int:
        """Delete segments that end at or before ``loaded``; returns how many."""
        segments = self._segments()
        removed = 0
        for seg_start, next_start in itertools.pairwise(segments):
            if next_start <= loaded and seg_start != self._segment_start:
                self._segment_path(seg_start).unlink(missing_ok=True)
                removed += 1
        return removed

    def backlog(self, loaded: int) -> int:
        """Bytes acknowledged but not yet loaded."""
        return max(0, self._durable - loaded)

    # -- start-up ---------------------------------------------------------------------------

    def _open_tail(self) -> None:
        segments = self._segments()
        if not segments:
            self._segment_start = 0
            self._file = open(self._segment_path(0), "ab")  # noqa: SIM115
            return
        last = segments[-1]
        path = self._segment_path(last)
        good = _valid_length(path)
        if good < path.stat().st_size:
            with open(path, "r+b") as f:  # drop a torn, never-acknowledged tail
                f.truncate(good)
        self._segment_start = last
        self._end = self._durable = last + good
        self._file = open(path, "ab")  # noqa: SIM115

    def _segments(self) -> list[int]:
        return _segments(self._dir)

    def _segment_path(self, start: int) -> Path:
        return _segment_path(self._dir, start)


def read_records(
    directory: Path, start: int, stop: int
) -> Iterator[tuple[int, Signal, str, bytes]]:
    """Records ending in ``(start, stop]``; safe from another process while the log grows."""
    segments = _segments(directory)
    for i, seg_start in enumerate(segments):
        seg_end = segments[i + 1] if i + 1 < len(segments) else None
        if seg_end is not None and seg_end <= start:
            continue
        if seg_start >= stop:
            break
        yield from _read_segment(_segment_path(directory, seg_start), seg_start, start, stop)


def _segments(directory: Path) -> list[int]:
    return sorted(int(p.stem) for p in directory.glob("*" + _SUFFIX) if p.stem.isdigit())


def _segment_path(directory: Path, start: int) -> Path:
    return directory / f"{start:020d}{_SUFFIX}"


def _read_segment(
    path: Path, seg_start: int, start: int, stop: int
) -> Iterator[tuple[int, Signal, str, bytes]]:
    try:
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return
    with f:
        pos = seg_start
        while pos < stop:
            header = f.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            length, crc, signal, tenant_len = _HEADER.unpack(header)
            tenant_bytes = f.read(tenant_len)
            payload = f.read(length)
            if len(payload) < length:
                return
            if zlib.crc32(payload, zlib.crc32(tenant_bytes)) != crc:
                raise CorruptIngestLog(f"{path.name}: record at {pos} fails its checksum")
            pos += _HEADER.size + tenant_len + length
            if pos > start:
                yield pos, Signal(signal), tenant_bytes.decode(), payload


def _valid_length(path: Path) -> int:
    """Bytes of ``path`` made of whole records with good checksums."""
    good = 0
    with open(path, "rb") as f:
        while True:
            header = f.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return good
            length, crc, signal, tenant_len = _HEADER.unpack(header)
            body = f.read(tenant_len + length)
            if len(body) < tenant_len + length or signal not in (1, 2, 3):
                return good
            if zlib.crc32(body[tenant_len:], zlib.crc32(body[:tenant_len])) != crc:
                return good
            good += _HEADER.size + tenant_len + length


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
