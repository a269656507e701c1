"""API latency under ingest: ``GET /api/v1/services`` idle and while clients ingest.

Starts a real ``bongsu server`` (fsync on) in a temporary data directory, seeds it with
ten minutes of the simulated shop (so the services query has work to do), then probes
``GET /api/v1/services`` from one keep-alive connection, one request every 10 ms, in
phases of the same length, side by side in one run:

- idle: nothing else is sent;
- ingest: sender processes POST OTLP/protobuf requests of 512 spans at a paced rate
  (default 30,000 spans/s, half the sustained rate of docs/benchmarks.md); the achieved
  rate is measured and printed;
- large: one sender process POSTs near-limit requests (~7 MiB, ~25,000 spans each) at
  the same rate, the case where one request's parse and checks take tens of milliseconds.

The ingested spans start an hour ago, outside the query's 15-minute window, so the query
does the same work in every phase. Run it against older code by putting that code's
``src`` first on ``PYTHONPATH`` (the server subprocess inherits it)::

    python bench/api_latency.py [--rate 30000] [--seconds 40] [--senders 2]
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


def probe(port: int, seconds: float, path: str = "/api/v1/services") -> list[float]:
    """Latencies (ms) of ``GET path``, one every ``PROBE_GAP`` s."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        con.request("GET", path)
        response = con.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t0) * 1e3)
        if response.status != 200:
            raise RuntimeError(f"probe: {response.status}")
        time.sleep(PROBE_GAP)
    con.close()
    return latencies


def send(port: int, bodies: list[bytes], spans: int, start_at: float, stop_at: float,
         interval: float, results: Queue[tuple[int, int, int, float]]) -> None:
    """One sender process: a body every ``interval`` s (0 = back to back) until ``stop_at``."""
    while time.time() < start_at:
        time.sleep(0.005)
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    acked = refused = i = 0
    t0 = time.time()
    next_at = t0
    while time.time() < stop_at:
        if interval:
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
    results.put((acked, refused, i, time.time() - t0))
    con.close()


def under_load(server: Server, bodies: list[bytes], spans: int, senders: int,
               rate: float | None, seconds: float) -> tuple[list[float], float, int]:
    """Probe while ``senders`` processes send; (latencies, achieved spans/s, refused)."""
    ctx = multiprocessing.get_context("spawn")
    results: Queue[tuple[int, int, int, float]] = ctx.Queue()
    interval = senders * spans / rate if rate else 0.0
    start_at = time.time() + 3  # the senders' start-up (spawn, unpickling) is not measured
    procs = [
        ctx.Process(target=send, args=(server.otlp_port, bodies[k::senders] or bodies, spans,
                                       start_at, start_at + seconds, interval, results))
        for k in range(senders)
    ]
    for p in procs:
        p.start()
    while time.time() < start_at + 0.5:
        time.sleep(0.01)
    latencies = probe(server.api_port, seconds - 1)
    done = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    achieved = sum(d[0] for d in done) / max(d[3] for d in done)
    return latencies, achieved, sum(d[1] for d in done)


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
    parser.add_argument("--seconds", type=float, default=40, help="length of each phase")
    parser.add_argument("--senders", type=int, default=2, help="sender processes")
    parser.add_argument("--large-bytes", type=int, default=7 * 2**20,
                        help="size of each large request (0: skip that phase)")
    args = parser.parse_args()

    print(f"bongsu from {Path(bongsu.__file__).parent}", flush=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    requests = build_requests(200)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            items = seed(server)
            print(f"seeded {items:,} items; ", end="", flush=True)
            probe(server.api_port, 2)  # warm-up
            idle = probe(server.api_port, args.seconds - 1)
            print(f"load average after idle: {os.getloadavg()[0]:.2f}", flush=True)
            busy, achieved, refused = under_load(
                server, requests, SPANS_PER_REQUEST, args.senders, args.rate, args.seconds
            )
            print(f"load average after ingest: {os.getloadavg()[0]:.2f}", flush=True)
            lines = [
                "| phase | probes | p50 ms | p99 ms | max ms | ingest |",
                "|---|---:|---:|---:|---:|---|",
                row("idle", idle, "—"),
                row("ingest", busy, f"{achieved:,.0f} spans/s achieved of {args.rate:,.0f} "
                    f"offered, {refused} refused"),
            ]
            ratio = pct(busy, 99) / pct(idle, 99)
            if args.large_bytes:
                bodies, spans = large_bodies(requests, args.large_bytes)
                large, achieved_l, refused_l = under_load(
                    server, bodies, spans, 1, args.rate, args.seconds
                )
                lines.append(row("large", large, f"{len(bodies[0]) / 2**20:.1f} MiB bodies of "
                                 f"{spans:,} spans: {achieved_l:,.0f} spans/s achieved, "
                                 f"{refused_l} refused"))
            wait_loaded(server)
            print("\n" + "\n".join(lines))
            print(f"\np99 under ingest / idle p99: {ratio:.2f}"
                  + (f"; large / idle: {pct(large, 99) / pct(idle, 99):.2f}"
                     if args.large_bytes else ""))
            print(f"load average at end: {os.getloadavg()[0]:.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
