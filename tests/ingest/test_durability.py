"""A 200 means durable: acknowledged data survives ``kill -9`` and is loaded exactly once;
and a killed server leaves no process of its own behind."""

from __future__ import annotations

import contextlib
import threading
import time

import psutil

from otlp_build import span, traces
from server_process import survivors


def test_acknowledged_spans_survive_kill_9(server_factory) -> None:  # type: ignore[no-untyped-def]
    # A long batch window keeps acknowledged spans in the ingest log, not yet in the store,
    # at the moment of the kill: they must come back from the log on restart.
    server = server_factory({"BONGSU_LOAD_BATCH_SECONDS": "2"}).start()
    acknowledged: list[bytes] = []
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            batch = [span(duration_ms=5) for _ in range(50)]
            try:
                status, _, _ = server.post("/v1/traces", traces(batch).SerializeToString())
            except OSError:  # the server died under this request: not acknowledged
                return
            if status == 200:
                acknowledged.extend(s.trace_id for s in batch)

    senders = [threading.Thread(target=send) for _ in range(3)]
    for t in senders:
        t.start()
    time.sleep(1.5)
    assert len(decoders(server)) == 1
    started = server.kill()  # SIGKILL the server alone, while the senders are mid-request
    assert survivors(started, timeout=2.0) == []
    stop.set()
    for t in senders:
        t.join()
    assert len(acknowledged) >= 200

    server.start()
    server.wait_loaded()
    # Every acknowledged span is there, and none twice: at most the requests in flight at
    # the kill (3 senders x 50 spans, logged but never acknowledged) come on top.
    status, body = server.api("/api/v1/services")
    assert status == 200
    stored = {s["name"]: s["transactions"] for s in body["services"]}["checkout"]
    assert len(acknowledged) <= stored <= len(acknowledged) + 3 * 50
    for trace_id in acknowledged[:: max(1, len(acknowledged) // 50)]:
        status, detail = server.api(f"/api/v1/traces/{trace_id.hex()}")
        assert status == 200 and len(detail["spans"]) == 1


def test_clean_restart_loads_nothing_twice(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory().start()
    sent = [span() for _ in range(30)]
    assert server.post("/v1/traces", traces(sent, service="restart").SerializeToString())[0] == 200
    server.wait_loaded()
    server.stop()
    server.start()
    server.wait_loaded()
    status, body = server.api("/api/v1/services")
    assert status == 200
    counts = {s["name"]: s["transactions"] for s in body["services"]}
    assert counts["restart"] == 30


def test_kill_9_leaves_no_process_even_after_the_decoder_restarted(server_factory) -> None:  # type: ignore[no-untyped-def]
    # A decoder restarted by the loader thread is as bound to the server as the first one.
    server = server_factory().start()
    assert server.post("/v1/traces", traces([span()]).SerializeToString())[0] == 200
    server.wait_loaded()
    first = decoders(server)
    assert len(first) == 1
    first[0].kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        restarted = decoders(server)
        if restarted and restarted[0].pid != first[0].pid:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the decoder was not restarted")
    assert server.post("/v1/traces", traces([span()]).SerializeToString())[0] == 200
    server.wait_loaded()
    assert server.status()["status"] == "ok"  # degraded only until it caught up
    assert "the decoder process ended (exited with code -9)" in server.log_path.read_text()
    started = server.kill()
    assert survivors(started, timeout=2.0) == []


def decoders(server) -> list[psutil.Process]:  # type: ignore[no-untyped-def]
    """The server's running decoder processes (multiprocessing's spawned children)."""
    found = []
    for p in server.descendants():
        with contextlib.suppress(psutil.Error):
            if "spawn_main" in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
    return found
