"""The ingest log: acknowledged OTLP requests, appended and fsynced in groups.

A request is acknowledged once its record is on disk; the decoder loads the log into the
store later and the store records the position it has loaded (``lsn``: a byte offset that
only grows, across segment files). On start, everything after the loaded position is
replayed; segments wholly below it are deleted.

Record layout: ``<u32 payload length><u32 crc32 of tenant+payload><u8 signal><u16 tenant
length>`` then tenant (UTF-8) and payload (a canonical OTLP protobuf request).

Bad bytes: on start, a last record cut short (its header claims more bytes than the file
holds) is a write that a crash interrupted, never acknowledged, and is cut off. Any other
bad bytes may have been acknowledged and damaged since, and are kept: :func:`scan` reports
them as a :class:`Corrupt` region and goes on with the next valid record, which it finds
by trusting the bad record's header when it is plausible (known signal, lengths that fit)
and a valid record follows it, and otherwise by trying every later offset until a header
and checksum validate. The decoder copies each region to ``quarantine/``
(:func:`quarantine`) before it moves past it.

Example::

    log = IngestLog.open(Path("bongsu-data/ingest-log"))
    lsn = log.append(Signal.TRACES, "default", body)   # durable when it returns
    for end, signal, tenant, payload in log.read(0, lsn): ...
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import mmap
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bongsu.errors import CorruptIngestLog
from bongsu.ingest.signals import Signal

log = logging.getLogger("bongsu.ingest.log")

_HEADER = struct.Struct("<IIBH")
_SIGNALS = frozenset(int(s) for s in Signal)
# Offsets whose signal byte is a known signal: the only places a record can start. Found
# in C, they make a resync scan cost ~2 s per 100 MiB of bad bytes (random or OTLP).
_CANDIDATE = re.compile(rb"(?=.{8}[%b])" % re.escape(bytes(sorted(_SIGNALS))), re.DOTALL)
_SUFFIX = ".log"
_QUARANTINE = "quarantine"

Record = tuple[int, Signal, str, bytes]
"""(end position, signal, tenant, payload) of one logged request."""


@dataclass(frozen=True)
class Corrupt:
    """Log bytes ``[start, end)`` that hold no valid record, as found on disk."""

    start: int
    end: int
    data: bytes  # shorter than end - start only when a segment file lost its tail
    segment: str


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

    def read(self, start: int, stop: int | None = None) -> Iterator[Record]:
        """Records ending in ``(start, stop]``; :class:`CorruptIngestLog` at a bad one."""
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
        good = _untorn_length(path)
        size = path.stat().st_size
        if good < size:
            log.warning("cutting a record cut short, %d bytes at position %d (a write that a"
                        " crash interrupted, never acknowledged)", size - good, last + good)
            with open(path, "r+b") as f:
                f.truncate(good)
        self._segment_start = last
        self._end = self._durable = last + good
        self._file = open(path, "ab")  # noqa: SIM115

    def _segments(self) -> list[int]:
        return _segments(self._dir)

    def _segment_path(self, start: int) -> Path:
        return _segment_path(self._dir, start)


def read_records(directory: Path, start: int, stop: int) -> Iterator[Record]:
    """Records ending in ``(start, stop]``; :class:`CorruptIngestLog` at a bad one."""
    for item in scan(directory, start, stop):
        if isinstance(item, Corrupt):
            raise CorruptIngestLog(
                f"{item.segment}: positions {item.start} to {item.end} hold no valid record"
            )
        yield item


def scan(directory: Path, start: int, stop: int) -> Iterator[Record | Corrupt]:
    """Records ending in ``(start, stop]`` and the corrupt regions between them, in order.

    Safe from another process while the log grows: ``stop`` must not pass ``durable``.
    ``start`` must be a position this function reported (a record's or a region's end).
    """
    segments = _segments(directory)
    for i, seg_start in enumerate(segments):
        seg_end = segments[i + 1] if i + 1 < len(segments) else None
        if seg_end is not None and seg_end <= start:
            continue
        if seg_start >= stop:
            break
        yield from _scan_segment(directory, seg_start, seg_end, start, stop)


def _scan_segment(
    directory: Path, seg_start: int, seg_end: int | None, start: int, stop: int
) -> Iterator[Record | Corrupt]:
    path = _segment_path(directory, seg_start)
    try:
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:  # trimmed meanwhile: everything in it was loaded
        return
    # A segment ends where the next begins; a shorter file has lost acknowledged bytes,
    # reported with the bad bytes before them as one region.
    lost: Corrupt | None = None
    with f:
        size = os.fstat(f.fileno()).st_size
        # Straight to ``start``: walking from the segment's start instead took 139 ms to
        # reach the last record of a 58 MiB segment (0.1 ms now), and the decoder reads
        # from its position every time the log grows.
        offset = max(0, start - seg_start)
        limit = min(size, stop - seg_start)
        if offset < limit:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                for begin, end, record in _walk(buf, offset, limit):
                    if lost is not None:
                        yield lost
                        lost = None
                    if record is None:
                        lost = Corrupt(seg_start + begin, seg_start + end, buf[begin:end],
                                       path.name)
                    else:
                        yield (seg_start + end, *record)
    lost_to = seg_start + size if seg_end is None else min(seg_end, stop)
    if seg_start + size < lost_to:
        lost = Corrupt(max(start, seg_start + size) if lost is None else lost.start, lost_to,
                       b"" if lost is None else lost.data, path.name)
    if lost is not None:
        yield lost


def _segments(directory: Path) -> list[int]:
    return sorted(int(p.stem) for p in directory.glob("*" + _SUFFIX) if p.stem.isdigit())


def _segment_path(directory: Path, start: int) -> Path:
    return directory / f"{start:020d}{_SUFFIX}"


def _walk(
    buf: mmap.mmap, offset: int, limit: int
) -> Iterator[tuple[int, int, tuple[Signal, str, bytes] | None]]:
    """(begin, end, record) for each record in ``buf[offset:limit]``; None for bad bytes."""
    while offset < limit:
        end, record = _parse(buf, offset, limit)
        if record is None:
            end = _resync(buf, offset, limit)
        yield offset, end, record
        offset = end


def _parse(
    buf: mmap.mmap, offset: int, limit: int
) -> tuple[int, tuple[Signal, str, bytes] | None]:
    """The record at ``offset`` and its end, or (0, None) when none validates there."""
    if offset + _HEADER.size > limit:
        return 0, None
    length, crc, signal, tenant_len = _HEADER.unpack_from(buf, offset)
    body = offset + _HEADER.size
    end = body + tenant_len + length
    if signal not in _SIGNALS or end > limit:
        return 0, None
    tenant = buf[body : body + tenant_len]
    try:
        # Before the checksum: random bytes are hardly ever UTF-8, so a resync scan rarely
        # pays for a checksum over a length it read from garbage.
        name = tenant.decode()
    except UnicodeDecodeError:
        return 0, None
    payload = buf[body + tenant_len : end]
    if zlib.crc32(payload, zlib.crc32(tenant)) != crc:
        return 0, None
    return end, (Signal(signal), name, payload)


def _resync(buf: mmap.mmap, offset: int, limit: int) -> int:
    """Where the next valid record after the bad bytes at ``offset`` starts, or ``limit``."""
    if offset + _HEADER.size <= limit:
        length, _, signal, tenant_len = _HEADER.unpack_from(buf, offset)
        declared_end: int = offset + _HEADER.size + tenant_len + length
        # A damaged payload or checksum leaves the header's lengths right; a damaged length
        # lands mid-record, where nothing validates.
        if signal in _SIGNALS and (
            declared_end == limit
            or (declared_end < limit and _parse(buf, declared_end, limit)[1] is not None)
        ):
            return declared_end
    for match in _CANDIDATE.finditer(buf, offset + 1, limit):
        candidate: int = match.start()
        if _parse(buf, candidate, limit)[1] is not None:
            return candidate
    return limit


def _untorn_length(path: Path) -> int:
    """Bytes of ``path`` before a last record cut short; its size when there is none."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            tail: int | None = None  # where the bad bytes after the last valid record begin
            for begin, _, record in _walk(buf, 0, size):
                tail = begin if record is None else None
            if tail is None:
                return size
            if size - tail < _HEADER.size:
                return tail
            length, _, _, tenant_len = _HEADER.unpack_from(buf, tail)
            cut_short: bool = tail + _HEADER.size + tenant_len + length > size
            return tail if cut_short else size


# -- quarantine ---------------------------------------------------------------------------


def quarantine(directory: Path, region: Corrupt) -> Path | None:
    """Copy ``region`` durably to ``quarantine/<start>-<end>.bin``; None if already there.

    Positions are zero-padded, so the file names sort in log order. The copy is fsynced
    before this returns, so the loaded position may move past the region afterwards.
    """
    qdir = directory / _QUARANTINE
    qdir.mkdir(exist_ok=True)
    path = qdir / f"{region.start:020d}-{region.end:020d}.bin"
    if path.exists():  # a decoder that stopped before the position moved did it already
        return None
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as f:
        f.write(region.data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
    _fsync_dir(qdir)
    return path


def quarantined(directory: Path) -> tuple[int, int]:
    """How many regions ``quarantine/`` holds, and their bytes."""
    sizes = [p.stat().st_size for p in (directory / _QUARANTINE).glob("*.bin")]
    return len(sizes), sum(sizes)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
