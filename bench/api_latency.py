"""API latency under ingest: ``GET /api/v1/services`` idle and while clients ingest.

Starts a real ``bongsu server`` (fsync on) in a temporary data directory, seeds it with
ten minutes of the simulated shop (so the services query has work to do), then probes
``GET /api/v1/services`` from one keep-alive connection, one request every 10 ms, through
windows of three kinds:

- idle: nothing else is sent;
- ingest: sender processes POST OTLP/protobuf requests of 512 spans at a paced rate
  (default 30,000 spans/s, half the sustained rate of docs/benchmarks.md); the achieved
  rate is measured and printed;
- large: one sender process POSTs near-limit requests (~7 MiB, ~25,000 spans each) at
  the same rate, the case where one request's parse and checks take tens of milliseconds.

The kinds take turns (idle, ingest, large, idle, ...) for ``--rounds`` rounds, so a change
in the machine's speed (2 shared cores) falls on all of them alike; probes in the first
second of a window are left out. The ingested spans start an hour ago, outside the
query's 15-minute window, so the query does the same work in every window. Run it against
other code by putting that code's ``src`` first on ``PYTHONPATH`` (the server subprocess
inherits it)::

    python bench/api_latency.py [--rate 30000] [--window 10] [--rounds 4] [--senders 2]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import bongsu
from bongsu.simulate import generate

sys.path.insert(0, str(Path(__file__).parent))
from ingest import SPANS_PER_REQUEST, Server, build_requests, wait_loaded

PB = {"Content-Type": "application/x-protobuf"}
PROBE_GAP = 0.01
SETTLE = 1.0  # seconds at the start of a window whose probes are left out

Window = tuple[float, float]  # start, stop (time.time())


def seed(server: Server, minutes: float = 10) -> int:
    """Post ``minutes`` of simulated traffic ending now; returns the items sent."""
    con = http.client.HTTPConnection("127.0.0.1", server.otlp_port, timeout=30)
    items = 0
    start = time.time_ns() - int(minutes * 60e9)
    for export in generate(seed=3, start_ns=start, duration_s=minutes * 60, rate=10):
        con.request("POST", f"/v1/{export.kind}", export.body, PB)
        response = con.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"seeding: {response.status}")
        items += export.items
    con.close()
    wait_loaded(server)
    return items


def probe(port: int, stop_at: float, path: str) -> list[tuple[float, float]]:
    """(start time, latency ms) of ``GET path``, one every ``PROBE_GAP`` s until ``stop_at``."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples: list[tuple[float, float]] = []
    while time.time() < stop_at:
        started = time.time()
        t0 = time.perf_counter()
        con.request("GET", path)
        response = con.getresponse()
        response.read()
        samples.append((started, (time.perf_counter() - t0) * 1e3))
        if response.status != 200:
            raise RuntimeError(f"probe: {response.status}")
        time.sleep(PROBE_GAP)
    con.close()
    return samples


def send(port: int, bodies: list[bytes], spans: int, windows: list[Window], interval: float,
         results: Queue[tuple[int, int]]) -> None:
    """One sender process: a body every ``interval`` s during each window."""
    acked = refused = i = 0
    for start, stop in windows:
        while time.time() < start:
            time.sleep(0.005)
        # a connection per window: the server closes one idle for 5 s between windows
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        next_at = start
        while time.time() < stop:
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
            con.request("POST", "/v1/traces", bodies[i % len(bodies)], PB)
            response = con.getresponse()
            response.read()
            if response.status == 200:
                acked += spans
            else:
                refused += 1
                time.sleep(float(response.getheader("Retry-After") or 1))
            i += 1
        con.close()
    results.put((acked, refused))


def large_bodies(requests: list[bytes], target_bytes: int) -> tuple[list[bytes], int]:
    """Two near-limit bodies made of the 512-span requests, and their spans each."""
    merged = ExportTraceServiceRequest()
    spans = 0
    for body in requests:
        if merged.ByteSize() + len(body) > target_bytes:
            break
        merged.MergeFromString(body)
        spans += SPANS_PER_REQUEST
    first = merged.SerializeToString()
    for rs in merged.resource_spans:  # a second body with other ids, so both are stored
        for ss in rs.scope_spans:
            for sp in ss.spans:
                sp.span_id = sp.span_id[::-1]
    return [first, merged.SerializeToString()], spans


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def row(name: str, latencies: list[float], note: str) -> str:
    return (f"| {name} | {len(latencies)} | {statistics.median(latencies):.1f} | "
            f"{pct(latencies, 99):.1f} | {max(latencies):.1f} | {note} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=30_000, help="spans/s offered")
    parser.add_argument("--window", type=float, default=10, help="seconds per window")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of idle/ingest/large")
    parser.add_argument("--senders", type=int, default=2, help="512-span sender processes")
    parser.add_argument("--large-bytes", type=int, default=7 * 2**20,
                        help="size of each large request")
    parser.add_argument("--path", default="/api/v1/services",
                        help="API path probed (/openapi.json: the loop alone, no store query)")
    parser.add_argument("--samples", type=Path,
                        help="write every probe (epoch start, ms, window kind) to this file,"
                        " to line the slow ones up with a server-side timeline")
    args = parser.parse_args()

    print(f"bongsu from {Path(bongsu.__file__).parent}", flush=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    requests = build_requests(200)
    large, large_spans = large_bodies(requests, args.large_bytes)
    kinds = ("idle", "ingest", "large")
    windows: dict[str, list[Window]] = {kind: [] for kind in kinds}

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            items = seed(server)
            print(f"seeded {items:,} items", flush=True)
            t0 = time.time() + 5  # after the senders' start-up (spawn, unpickling)
            for k in range(args.rounds * len(kinds)):
                start = t0 + k * args.window
                windows[kinds[k % len(kinds)]].append((start, start + args.window))
            end = t0 + args.rounds * len(kinds) * args.window
            ctx = multiprocessing.get_context("spawn")
            results: Queue[tuple[int, int]] = ctx.Queue()
            senders = [
                ctx.Process(target=send, args=(
                    server.otlp_port, requests[k::args.senders], SPANS_PER_REQUEST,
                    windows["ingest"], args.senders * SPANS_PER_REQUEST / args.rate, results))
                for k in range(args.senders)
            ]
            senders.append(ctx.Process(target=send, args=(
                server.otlp_port, large, large_spans, windows["large"],
                large_spans / args.rate, results)))
            for p in senders:
                p.start()
            probe(server.api_port, t0, args.path)  # warm-up
            samples = probe(server.api_port, end, args.path)
            done = [results.get(timeout=120) for _ in senders]
            for p in senders:
                p.join()
            load_end = os.getloadavg()[0]
            wait_loaded(server)
        finally:
            server.stop()

    def latencies(kind: str) -> list[float]:
        return [ms for at, ms in samples
                if any(start + SETTLE <= at < stop for start, stop in windows[kind])]

    if args.samples is not None:
        def kind_at(at: float) -> str:
            return next((kind for kind in kinds
                         if any(start <= at < stop for start, stop in windows[kind])), "-")
        args.samples.write_text("".join(f"{at:.4f} {ms:.2f} {kind_at(at)}\n"
                                        for at, ms in samples))

    seconds = args.rounds * args.window
    ingest_acked = sum(d[0] for d in done[:-1])
    lines = [
        f"GET {args.path}; {args.rounds} rounds of {args.window:g} s windows",
        "| window | probes | p50 ms | p99 ms | max ms | ingest |",
        "|---|---:|---:|---:|---:|---|",
        row("idle", latencies("idle"), "—"),
        row("ingest", latencies("ingest"),
            f"512-span requests: {ingest_acked / seconds:,.0f} spans/s achieved of "
            f"{args.rate:,.0f} offered, {sum(d[1] for d in done[:-1])} refused"),
        row("large", latencies("large"),
            f"{len(large[0]) / 2**20:.1f} MiB requests of {large_spans:,} spans: "
            f"{done[-1][0] / seconds:,.0f} spans/s achieved, {done[-1][1]} refused"),
    ]
    print("\n" + "\n".join(lines) + "\n")
    idle_p99 = pct(latencies("idle"), 99)
    for kind in ("ingest", "large"):
        print(f"p99 {kind} / p99 idle: {pct(latencies(kind), 99) / idle_p99:.2f}")
    print(f"load average at the end of the windows: {load_end:.2f}")


if __name__ == "__main__":
    main()
