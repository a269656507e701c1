"""Ingest benchmark: OTLP/protobuf requests of 512 spans from concurrent clients.

Starts a real ``bongsu server`` (fsync on) in a temporary data directory and measures, in
one run and next to the protobuf parse-only rate of the same requests:

- sustained: a fixed offered rate for a while; spans acknowledged/s and loaded/s, the
  backlog at the end (bounded = the store keeps up), server RSS;
- burst: as fast as the clients can send for 30 s; spans acknowledged/s, then the time to
  load the backlog, and a check that every acknowledged span is in the store;
- freshness: at half the sustained rate, how long until a just-acknowledged trace is
  returned by ``GET /api/v1/traces/{id}``.

    python bench/ingest.py [--sustained-rate 60000] [--seconds 30] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bongsu.simulate import generate

SPANS_PER_REQUEST = 512


def build_requests(count: int) -> list[bytes]:
    """``count`` requests of exactly 512 spans from the simulator's realistic spans."""
    requests: list[bytes] = []
    current = ExportTraceServiceRequest()
    spans = 0
    start = time.time_ns() - 3_600 * 10**9
    for export in generate(seed=7, start_ns=start, duration_s=10**6, rate=400):
        if export.kind != "traces":
            continue
        src = ExportTraceServiceRequest.FromString(export.body)
        for rs in src.resource_spans:
            for ss in rs.scope_spans:
                for sp in ss.spans:
                    if spans == 0 or not current.resource_spans:
                        current.resource_spans.add().resource.CopyFrom(rs.resource)
                        current.resource_spans[-1].scope_spans.add()
                    if current.resource_spans[-1].resource != rs.resource:
                        current.resource_spans.add().resource.CopyFrom(rs.resource)
                        current.resource_spans[-1].scope_spans.add()
                    current.resource_spans[-1].scope_spans[-1].spans.append(sp)
                    spans += 1
                    if spans == SPANS_PER_REQUEST:
                        requests.append(current.SerializeToString())
                        if len(requests) == count:
                            return requests
                        current = ExportTraceServiceRequest()
                        spans = 0
    return requests


def parse_rate(requests: list[bytes]) -> float:
    t0 = time.perf_counter()
    for body in requests:
        ExportTraceServiceRequest.FromString(body)
    return len(requests) * SPANS_PER_REQUEST / (time.perf_counter() - t0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ingest_key(data_dir: Path) -> str:
    """A new ingest key for project ``bench`` (the receiver refuses requests without one)."""
    out = subprocess.run(
        [sys.executable, "-m", "bongsu", "keys", "--data-dir", str(data_dir), "create", "bench"],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout
    return out.splitlines()[1].strip()


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.otlp_port, self.api_port = free_port(), free_port()
        self.headers = {"Content-Type": "application/x-protobuf",
                        "Authorization": f"Bearer {ingest_key(data_dir)}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bongsu", "server", "--data-dir", str(data_dir),
             "--port", str(self.api_port), "--otlp-port", str(self.otlp_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                self.status()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def status(self) -> dict[str, object]:
        con = http.client.HTTPConnection("127.0.0.1", self.otlp_port, timeout=5)
        con.request("GET", "/healthz")
        data = json.loads(con.getresponse().read())
        con.close()
        return data  # type: ignore[no-any-return]

    def rss_mib(self) -> float:
        proc = psutil.Process(self.proc.pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            total += child.memory_info().rss
        return total / 2**20

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the server process and by each of its children."""
        proc = psutil.Process(self.proc.pid)
        used = {"server": sum(proc.cpu_times()[:2])}
        for child in proc.children(recursive=True):
            used[child.name()] = used.get(child.name(), 0.0) + sum(child.cpu_times()[:2])
        return used

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(120)


def send_loop(port: int, headers: dict[str, str], requests: list[bytes], stop_at: float,
              interval: float, counts: list[int], offset: int) -> None:
    """Send requests round-robin until ``stop_at``, one every ``interval`` s (0 = flat out)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = offset
    next_at = time.monotonic()
    while time.monotonic() < stop_at:
        if interval:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
        try:
            con.request("POST", "/v1/traces", requests[i % len(requests)], headers)
            response = con.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            # A 503 sent before the body was read closes the connection: count it as
            # refused, reconnect and wait as a 503 asks.
            counts[1] += 1
            con.close()
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            time.sleep(1)
        else:
            if response.status == 200:
                counts[0] += SPANS_PER_REQUEST
            else:
                counts[1] += 1
                time.sleep(float(response.getheader("Retry-After") or 1))
        i += 1
    con.close()


def drive(server: Server, requests: list[bytes], seconds: float, clients: int,
          rate: float | None) -> tuple[int, int, float]:
    stop_at = time.monotonic() + seconds
    interval = clients * SPANS_PER_REQUEST / rate if rate else 0.0
    counts = [[0, 0] for _ in range(clients)]
    threads = [
        threading.Thread(target=send_loop, args=(server.otlp_port, server.headers, requests,
                                                 stop_at, interval, counts[k], k * 7))
        for k in range(clients)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    return sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed


def wait_loaded(server: Server, timeout: float = 600) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = server.status()
        if s["loaded_lsn"] >= s["durable_lsn"]:
            return time.monotonic() - t0
        time.sleep(0.2)
    raise RuntimeError("backlog did not drain")


def freshness(server: Server, requests: list[bytes], rate: float, seconds: float) -> list[float]:
    """Seconds from acknowledgement to the trace being served, under background load."""
    stop_at = time.monotonic() + seconds
    background = threading.Thread(
        target=drive, args=(server, requests, seconds, 2, rate), daemon=True
    )
    background.start()
    delays: list[float] = []
    probe = ExportTraceServiceRequest.FromString(requests[0])
    headers = server.headers
    n = 0
    while time.monotonic() < stop_at - 3:
        n += 1
        sp = probe.resource_spans[0].scope_spans[0].spans[0]
        sp.trace_id = os.urandom(16)
        sp.start_time_unix_nano = time.time_ns() - 10**9
        sp.end_time_unix_nano = sp.start_time_unix_nano + 10**6
        body = probe.SerializeToString()
        con = http.client.HTTPConnection("127.0.0.1", server.otlp_port, timeout=10)
        con.request("POST", "/v1/traces", body, headers)
        con.getresponse().read()
        acked = time.monotonic()
        api = http.client.HTTPConnection("127.0.0.1", server.api_port, timeout=10)
        while True:
            api.request("GET", f"/api/v1/traces/{sp.trace_id.hex()}")
            r = api.getresponse()
            r.read()
            if r.status == 200:
                break
            time.sleep(0.05)
        delays.append(time.monotonic() - acked)
        time.sleep(0.5)
    background.join()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sustained-rate", type=float, default=60_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--burst-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    print("building requests …", flush=True)
    requests = build_requests(400)
    print(f"protobuf parse-only: {parse_rate(requests):,.0f} spans/s (one core, this process)")
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            cpu0 = server.cpu_seconds()
            loaded0 = int(server.status()["loaded_spans"])  # type: ignore[call-overload]
            acked, refused, elapsed = drive(server, requests, args.seconds, args.clients,
                                            args.sustained_rate)
            status = server.status()
            loaded_in_window = int(status["loaded_spans"]) - loaded0  # type: ignore[call-overload]
            backlog_mib = int(status["backlog_bytes"]) / 2**20  # type: ignore[call-overload]
            drain = wait_loaded(server)
            cpu = {k: v - cpu0.get(k, 0.0) for k, v in server.cpu_seconds().items()}
            print(f"sustained: offered {args.sustained_rate:,.0f}/s  acknowledged "
                  f"{acked / elapsed:,.0f} spans/s  stored and queryable "
                  f"{loaded_in_window / elapsed:,.0f} spans/s  refused {refused}  backlog at end"
                  f" {backlog_mib:.1f} MiB (drained in {drain:.1f} s)  RSS"
                  f" {server.rss_mib():.0f} MiB")
            print("  CPU µs per span: " + "  ".join(
                f"{name} {seconds / acked * 1e6:.1f}" for name, seconds in cpu.items()))
            before = int(server.status()["loaded_spans"])  # type: ignore[call-overload]
            acked_b, refused_b, elapsed_b = drive(server, requests, args.burst_seconds,
                                                  args.clients, None)
            rss_burst = server.rss_mib()
            drain_b = wait_loaded(server)
            loaded_b = int(server.status()["loaded_spans"]) - before  # type: ignore[call-overload]
            verdict = "none lost" if loaded_b == acked_b else "LOST"
            print(f"burst: acknowledged {acked_b / elapsed_b:,.0f} spans/s for {elapsed_b:.0f} s"
                  f"  refused {refused_b}  backlog drained in {drain_b:.1f} s  loaded "
                  f"{loaded_b:,} of {acked_b:,} acknowledged ({verdict})"
                  f"  RSS {rss_burst:.0f} MiB")
            delays = freshness(server, requests, args.sustained_rate / 2, 20)
            print(f"freshness at {args.sustained_rate / 2:,.0f} spans/s: median "
                  f"{statistics.median(delays):.2f} s  max {max(delays):.2f} s"
                  f"  ({len(delays)} probes)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
