"""A real ``bongsu server`` on ClickHouse (``BONGSU_STORE=clickhouse``, the local chdb
endpoint) takes the simulator's OTLP requests and answers the console's reads with the
figures of a DuckDB server sent the same bytes."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.server_process import ServerProcess
from tests.store.clickhouse_endpoint import clickhouse_url  # noqa: F401

from bongsu.simulate import generate

MINUTE_NS = 60_000_000_000


def _send(server: ServerProcess, exports: list[Any]) -> None:
    for e in exports:
        status, _, body = server.post(f"/v1/{e.kind}", e.body)
        assert status == 200, body


def _until(server: ServerProcess, path: str, ready: Any, timeout: float = 30) -> Any:
    """The answer of ``path`` once ``ready(answer)`` (edges and views land a little later)."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = server.api(path)
        assert status == 200, body
        if ready(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


@pytest.mark.slow
def test_a_clickhouse_server_answers_as_a_duckdb_one(tmp_path: Path,
                                                     clickhouse_url: str  # noqa: F811
                                                     ) -> None:
    end_ns = (time.time_ns() // MINUTE_NS - 1) * MINUTE_NS
    start_ns = end_ns - 3 * MINUTE_NS
    exports = list(generate(seed=3, start_ns=start_ns, duration_s=170, rate=2))
    # No call waits long enough to be settled as external while the test runs: which
    # calls cross a settling depends on each server's timing, not on its store.
    quick = {"BONGSU_FSYNC": "off", "BONGSU_EDGE_MATCH_SECONDS": "3600"}
    duck = ServerProcess(tmp_path / "duck", quick)
    ch = ServerProcess(tmp_path / "ch", {
        **quick, "BONGSU_STORE": "clickhouse", "BONGSU_CLICKHOUSE_URL": clickhouse_url,
        "BONGSU_CLICKHOUSE_DATABASE": f"t_server_{uuid.uuid4().hex[:8]}"})
    servers = [duck.start(), ch.start()]
    try:
        for server in servers:
            _send(server, exports)
            server.wait_loaded()
        window = f"from={start_ns // 1_000_000}&to={(end_ns + MINUTE_NS) // 1_000_000}"
        want = _until(duck, f"/api/v1/services?{window}", lambda b: len(b["services"]) > 3)
        got = _until(ch, f"/api/v1/services?{window}", lambda b: b == want)
        assert got == want
        assert sum(s["transactions"] for s in want["services"]) > 100
        service = want["services"][0]["name"]
        for path in (f"/api/v1/services/{service}/series?{window}&step=60",
                     f"/api/v1/traces?{window}&service={service}&limit=20",
                     f"/api/v1/topology?{window}"):
            want = _until(duck, path, lambda b: any(b.values()))
            assert any(want.values()), path
            assert _until(ch, path, lambda b, want=want: b == want) == want, path
    finally:
        for server in servers:
            server.stop()
