"""Acknowledged means kept, through faults, on a real server: a store that fails, a record
damaged on disk, a disk that fills up. Every span sent has an id of its own; at the end the
query API must give back each acknowledged one exactly once."""

from __future__ import annotations

import errno
import os
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from bongsu.ingest.log import read_records
from otlp_build import span, traces
from server_process import ServerProcess

FAULTY = (str(Path(__file__).with_name("faulty_server.py")),)
SPANS = 10  # per request: one trace each
BACKLOG = 20_000  # bytes: a few requests, so the bound is reached in well under a second


class Ledger:
    """The traces sent for one service, and the span ids of each one acknowledged."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.acked: dict[str, list[str]] = {}  # trace id -> span ids, in the order sent

    def send(self, server: ServerProcess) -> tuple[int, dict[str, str]]:
        trace_id = os.urandom(16)
        spans = [span(name=f"op {i}", trace_id=trace_id) for i in range(SPANS)]
        body = traces(spans, service=self.service).SerializeToString()
        status, headers, _ = server.post("/v1/traces", body)
        if status == 200:
            self.acked[trace_id.hex()] = sorted(s.span_id.hex() for s in spans)
        return status, {k.lower(): v for k, v in headers.items()}


def assert_each_span_once(
    server: ServerProcess, ledger: Ledger, missing: frozenset[str] = frozenset()
) -> None:
    for trace_id, span_ids in ledger.acked.items():
        status, detail = server.api(f"/api/v1/traces/{trace_id}")
        if trace_id in missing:
            assert status == 404, trace_id
            continue
        assert status == 200, trace_id
        assert sorted(s["span_id"] for s in detail["spans"]) == span_ids
    status, body = server.api("/api/v1/services")
    assert status == 200
    counts = {s["name"]: s["transactions"] for s in body["services"]}
    assert counts.get(ledger.service, 0) == SPANS * (len(ledger.acked) - len(missing))


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_failing_store_holds_everything_acknowledged_until_it_recovers(
    server_factory: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "store-fails"
    flag.touch()
    server = server_factory(
        {"FAULT_STORE_FAILS_WHILE": str(flag), "BONGSU_INGEST_BACKLOG_BYTES": str(BACKLOG)},
        launcher=FAULTY,
    ).start()
    ledger = Ledger("flaky-store")
    assert ledger.send(server)[0] == 200
    wait_for(lambda: server.status()["status"] == "degraded")
    health = server.status()
    assert health["degraded"]["cause"].startswith("store: IOException: injected")
    assert health["degraded"]["retries"] >= 1 and health["degraded"]["since"]
    for _ in range(200):  # until the backlog is over its bound
        status, headers = ledger.send(server)
        if status != 200:
            break
    assert (status, headers.get("retry-after")) == (503, "5")
    time.sleep(1.0)  # failing for a while: the position does not move, nothing is dropped
    health = server.status()
    assert health["loaded_lsn"] == 0 and health["backlog_bytes"] > BACKLOG
    assert health["status"] == "degraded" and health["load_failures"] >= 3
    assert server.api("/api/v1/services")[1]["services"] == []

    flag.unlink()  # the store recovers
    server.wait_loaded()
    health = server.status()
    assert (health["status"], health["degraded"]) == ("ok", None)
    assert ledger.send(server)[0] == 200  # accepted again
    server.wait_loaded()
    assert_each_span_once(server, ledger)
    log = server.log_path.read_text()
    assert "the store refused a batch" in log and "loading recovered" in log


@pytest.mark.slow
def test_what_the_decoder_cannot_build_or_decode_is_skipped_counted_and_logged(
    server_factory: Any, tmp_path: Path
) -> None:
    build, decode = tmp_path / "build-fails", tmp_path / "decode-fails"
    server = server_factory(
        {"FAULT_BUILD_FAILS_WHILE": str(build), "FAULT_DECODE_FAILS_WHILE": str(decode)},
        launcher=FAULTY,
    ).start()
    ledger, lost = Ledger("decoder-bugs"), set[str]()
    for flag, sends in ((build, 3), (decode, 2)):
        flag.touch()
        for _ in range(sends):
            assert ledger.send(server)[0] == 200
        lost |= set(list(ledger.acked)[-sends:])
        server.wait_loaded()  # skipped, not stuck: the position moves past them
        flag.unlink()
    for _ in range(3):
        assert ledger.send(server)[0] == 200
    server.wait_loaded()
    health = server.status()
    assert health["status"] == "ok" and health["unbuilt_batches"] >= 1
    assert health["undecodable_records"] == 2
    assert_each_span_once(server, ledger, missing=frozenset(lost))
    log = server.log_path.read_text()
    assert "could not be built into a batch" in log and "could not be decoded" in log


def log_records(segment: bytes) -> list[tuple[int, int]]:
    """(start, end) of each record, read with the documented layout."""
    header = struct.Struct("<IIBH")
    spans, pos = [], 0
    while pos < len(segment):
        length, _, _, tenant_len = header.unpack_from(segment, pos)
        end = pos + header.size + tenant_len + length
        spans.append((pos, end))
        pos = end
    return spans


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["payload", "length"])
def test_a_damaged_record_is_quarantined_and_loading_goes_on(
    server_factory: Any, tmp_path: Path, damage: str
) -> None:
    flag = tmp_path / "store-fails"
    flag.touch()  # nothing loads, so every record is still ahead of the store
    server = server_factory({"FAULT_STORE_FAILS_WHILE": str(flag)}, launcher=FAULTY).start()
    ledger = Ledger("damaged")
    for _ in range(20):
        assert ledger.send(server)[0] == 200
    stopping = time.monotonic()
    server.stop()  # SIGTERM while the store refuses: one more try, then out
    assert time.monotonic() - stopping < 15

    segment = next((server.data_dir / "ingest-log").glob("*.log"))
    data = bytearray(segment.read_bytes())
    records = log_records(bytes(data))
    assert len(records) == 20
    start, end = records[10]
    if damage == "payload":  # the header is right: skipped by its length
        data[end - 30] ^= 0xFF
    else:  # the length is off by 256: found again by scanning for the next record
        data[start + 1] ^= 0x01
    segment.write_bytes(data)
    damaged_trace = list(ledger.acked)[10]  # requests went one at a time, in log order

    flag.unlink()
    server.start()
    server.wait_loaded()
    health = server.status()
    assert health["status"] == "ok"
    assert (health["quarantined_records"], health["quarantined_bytes"]) == (1, end - start)
    copies = list((server.data_dir / "ingest-log" / "quarantine").iterdir())
    assert [c.name for c in copies] == [f"{start:020d}-{end:020d}.bin"]
    assert copies[0].read_bytes() == data[start:end]
    assert_each_span_once(server, ledger, missing=frozenset({damaged_trace}))
    assert "hold no valid record" in server.log_path.read_text()


class SmallDisk:
    """The data directory of ``server_factory``, on a disk the test fills up and frees.

    A 16 MiB tmpfs where one can be mounted (as root). Elsewhere, or with
    ``FAULT_DISK=rlimit``, a plain directory, "filled" by setting the running server's
    ``RLIMIT_FSIZE`` to 0 so that every write past a file's end fails (EFBIG rather than
    ENOSPC), and "freed" by lifting the limit again.
    """

    def __init__(self, path: Path, mounted: bool) -> None:
        self.path = path
        self.mounted = mounted
        self.error = "No space left on device" if mounted else "File too large"

    def fill(self, server: ServerProcess) -> None:
        if not self.mounted:
            assert server.proc is not None
            psutil.Process(server.proc.pid).rlimit(psutil.RLIMIT_FSIZE, (0, _UNLIMITED))
            return
        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            for chunk in (1 << 20, 1 << 12, 1):  # until not one byte is left
                try:
                    while True:
                        os.write(fd, b"\0" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def free(self, server: ServerProcess) -> None:
        if not self.mounted:
            assert server.proc is not None
            limits = (_UNLIMITED, _UNLIMITED)
            psutil.Process(server.proc.pid).rlimit(psutil.RLIMIT_FSIZE, limits)
            return
        (self.path / "filler").unlink()


_UNLIMITED = psutil.RLIM_INFINITY


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """Asked for before ``server_factory``, so the server is gone before the unmount."""
    path = tmp_path / "data"
    path.mkdir()
    mounted = False
    if os.environ.get("FAULT_DISK") != "rlimit":
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(path)],
                              capture_output=True, check=False)
        mounted = done.returncode == 0
    yield SmallDisk(path, mounted)
    if mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.slow
def test_a_full_disk_answers_503_keeps_what_was_acknowledged_and_recovers(
    small_disk: SmallDisk, server_factory: Any
) -> None:
    # A 2 s batch window: the store first writes these spans once the disk is full.
    server = server_factory({"BONGSU_LOAD_BATCH_SECONDS": "2"}).start()
    assert server.data_dir == small_disk.path
    ledger = Ledger("full-disk")
    for _ in range(5):
        assert ledger.send(server)[0] == 200
    small_disk.fill(server)

    answers = [ledger.send(server) for _ in range(20)]
    assert {status for status, _ in answers} <= {200, 503}  # never a 500
    refused = [headers for status, headers in answers if status == 503]
    assert refused and all(h.get("retry-after") == "5" for h in refused)
    wait_for(lambda: server.status()["status"] == "degraded")  # the store is refused too
    assert small_disk.error in server.status()["degraded"]["cause"]

    small_disk.free(server)
    server.wait_loaded()
    assert server.status()["status"] == "ok"
    assert ledger.send(server)[0] == 200
    server.wait_loaded()
    assert_each_span_once(server, ledger)
    # No torn record: the log holds the acknowledged requests and nothing else.
    durable = server.status()["durable_lsn"]
    assert len(list(read_records(server.data_dir / "ingest-log", 0, durable))) == len(
        ledger.acked
    )
