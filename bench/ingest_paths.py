"""Ingest per replica, old decoder against new, side by side in one run.

Each round starts two real ``bongsu server`` processes in turn (fsync on, default
settings but a 64 MiB backlog limit), one decoding traces with the decoder this tree had
before the lean messages (``tests/ingest/reference_decode.py``) and one with the current
``bongsu.ingest``, and measures for each:

- saturated: 4 clients send 512-span OTLP/protobuf requests as fast as they can; the
  backlog limit turns the excess into 503 + ``Retry-After``, so what is stored per second
  (counted after a warm-up) is the rate the server keeps up with, receiving included;
- CPU µs per stored span of the server process and of its decoder process.

The order alternates from round to round (the machine's speed drifts). Then, with the
median saturated rate of the old path as ``R``, both paths get ``--sustain`` x ``R``
offered at a fixed rate: does each keep up (stored ≈ offered, backlog bounded)?
Before the servers, in this process: the CPU per span of each ingest stage on one core
(receiver check, log append and read, decode and Arrow build old and new with caches
warm, pickling, store load), and a check that both decoders build equal tables.

    python bench/ingest_paths.py [--rounds 3] [--seconds 20] [--sustain 1.5]

The old decoder runs in the server through this file: the server is started as
``python bench/ingest_paths.py serve …`` with ``BONGSU_BENCH_DECODER=reference``, and the
decoder process, which multiprocessing's spawn starts by running this file as
``__mp_main__``, swaps the reference builder in before it decodes. Nothing in Bongsu reads
that variable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ingest import Server, build_requests, drive, free_port, ingest_key, parse_rate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "ingest"))

PATHS = ("old", "new")
_SWITCH = "BONGSU_BENCH_DECODER"


def _use_reference_decoder() -> None:
    from reference_decode import ReferenceBuilder

    import bongsu.ingest.decoder

    bongsu.ingest.decoder.BatchBuilder = ReferenceBuilder  # type: ignore[misc]


if __name__ == "__mp_main__" and os.environ.get(_SWITCH) == "reference":
    _use_reference_decoder()


class PathServer(Server):
    """``bongsu server`` started through this file, with the old or the new decoder."""

    def __init__(self, data_dir: Path, path: str) -> None:
        self.otlp_port, self.api_port = free_port(), free_port()
        self.headers = {"Content-Type": "application/x-protobuf",
                        "Authorization": f"Bearer {ingest_key(data_dir)}"}
        env = dict(os.environ, BONGSU_INGEST_BACKLOG_BYTES=str(64 * 2**20))
        env[_SWITCH] = "reference" if path == "old" else "current"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "serve", "server", "--data-dir", str(data_dir),
             "--port", str(self.api_port), "--otlp-port", str(self.otlp_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                self.status()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")


def saturated(path: str, requests: list[bytes], seconds: float, warmup: float) -> dict[str, Any]:
    """Stored spans/s and CPU per stored span while 4 clients send flat out."""
    with tempfile.TemporaryDirectory() as tmp:
        server = PathServer(Path(tmp), path)
        try:
            sender = threading.Thread(target=drive, args=(server, requests, seconds, 4, None))
            sender.start()
            time.sleep(warmup)
            loaded0, cpu0, t0 = _loaded(server), server.cpu_seconds(), time.monotonic()
            sender.join()
            loaded, cpu, elapsed = _loaded(server) - loaded0, server.cpu_seconds(), (
                time.monotonic() - t0)
        finally:
            server.stop()
    used = {k: v - cpu0.get(k, 0.0) for k, v in cpu.items()}
    return {"path": path, "stored_per_s": loaded / elapsed,
            "cpu_us": {k: v / max(loaded, 1) * 1e6 for k, v in used.items()}}


def sustained(path: str, requests: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    """Offered ``rate`` spans/s for ``seconds``: acknowledged and stored rates, backlog."""
    with tempfile.TemporaryDirectory() as tmp:
        server = PathServer(Path(tmp), path)
        try:
            loaded0 = _loaded(server)
            acked, refused, elapsed = drive(server, requests, seconds, 4, rate)
            status = server.status()
            stored = (int(status["loaded_spans"]) - loaded0) / elapsed  # type: ignore[call-overload]
            backlog = int(status["backlog_bytes"]) / 2**20  # type: ignore[call-overload]
        finally:
            server.stop()
    return {"path": path, "offered": rate, "acked": acked / elapsed, "stored": stored,
            "refused": refused, "backlog_mib": backlog}


def _loaded(server: PathServer) -> int:
    return int(server.status()["loaded_spans"])  # type: ignore[call-overload]


def stages(requests: list[bytes], repeat: int = 3) -> dict[str, float]:
    """CPU µs per span of each ingest stage, run in this process on one core (best of
    ``repeat``; the decoders' caches warm, as a running decoder's are). Checks that the
    old and the new decoder build equal tables."""
    import pickle

    from reference_decode import ReferenceBuilder

    from bongsu.ingest.batch_builder import BatchBuilder
    from bongsu.ingest.log import IngestLog, scan
    from bongsu.ingest.signals import Signal
    from bongsu.ingest.validate import validate
    from bongsu.store.duckdb import DuckDBStore

    spans = len(requests) * 512
    skew = 7 * 86_400 * 10**9
    best: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        t0 = time.process_time()
        result = fn()
        used = (time.process_time() - t0) / spans * 1e6
        best[name] = min(best.get(name, used), used)
        return result

    builders = {"old": ReferenceBuilder(), "new": BatchBuilder()}
    for builder in builders.values():  # warm the caches
        for body in requests:
            builder.add(Signal.TRACES, "default", body)
        builder.build()
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore.open(Path(tmp) / "s.duckdb", 500, {})
        for r in range(repeat):
            timed("receiver check", lambda: [validate(Signal.TRACES, b, False, skew)
                                             for b in requests])
            log = IngestLog.open(Path(tmp) / f"log{r}")
            timed("log append (fsync)", lambda: [log.append(Signal.TRACES, "t", b)  # noqa: B023
                                                 for b in requests])
            timed("log read", lambda: list(scan(Path(tmp) / f"log{r}", 0, log.durable)))  # noqa: B023
            log.close()
            tables = {}
            for name, builder in builders.items():
                timed(f"decode {name}", lambda: [builder.add(Signal.TRACES, "t", b)  # noqa: B023
                                                 for b in requests])
                batch = timed(f"Arrow build {name}", builder.build)
                tables[name] = batch.spans
            if not tables["old"].equals(tables["new"]):
                raise SystemExit("the old and the new decoder built different span tables")
            timed("pickle to the loader", lambda: pickle.loads(pickle.dumps(batch, 5)))  # noqa: B023
            timed("store load", lambda: store.load(batch, r + 1))  # noqa: B023
        store.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--sustain", type=float, default=1.5,
                        help="offered rate of the sustained check, x the old saturated rate")
    parser.add_argument("--sustain-seconds", type=float, default=30)
    args = parser.parse_args()

    print("building requests …", flush=True)
    requests = build_requests(400)
    print(f"protobuf parse-only: {parse_rate(requests):,.0f} spans/s (one core, this process)")
    cpu = stages(requests[:40])
    print("CPU µs per span by stage, one core, this process (old and new tables equal):")
    for name, used in cpu.items():
        print(f"  {name:22s} {used:6.2f}")
    old = cpu["decode old"] + cpu["Arrow build old"]
    new = cpu["decode new"] + cpu["Arrow build new"]
    print(f"  decode + build: old {old:.2f}, new {new:.2f} ({old / new:.2f}x)", flush=True)
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in PATHS}
    for r in range(args.rounds):
        for path in PATHS if r % 2 == 0 else PATHS[::-1]:
            res = saturated(path, requests, args.seconds, args.warmup)
            results[path].append(res)
            print(f"round {r + 1} {path}: stored {res['stored_per_s']:,.0f} spans/s  CPU µs per "
                  "span: " + "  ".join(f"{k} {v:.1f}" for k, v in res["cpu_us"].items()),
                  flush=True)
    medians = {p: statistics.median(x["stored_per_s"] for x in results[p]) for p in PATHS}
    ratios = [n["stored_per_s"] / o["stored_per_s"]
              for o, n in zip(results["old"], results["new"], strict=True)]
    print(f"saturated, median of {args.rounds}: old {medians['old']:,.0f} spans/s  new "
          f"{medians['new']:,.0f} spans/s  ratio {medians['new'] / medians['old']:.2f} "
          f"(per round {', '.join(f'{x:.2f}' for x in ratios)})", flush=True)
    rate = args.sustain * medians["old"]
    for path in PATHS[::-1]:
        res = sustained(path, requests, rate, args.sustain_seconds)
        kept = res["stored"] >= 0.97 * rate and res["backlog_mib"] < 32
        print(f"sustained {path}: offered {rate:,.0f}/s ({args.sustain:g}x old) acknowledged "
              f"{res['acked']:,.0f}/s  stored {res['stored']:,.0f}/s  refused {res['refused']}  "
              f"backlog at end {res['backlog_mib']:.1f} MiB: "
              f"{'keeps up' if kept else 'falls behind'}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        if os.environ.get(_SWITCH) == "reference":
            _use_reference_decoder()
        from bongsu.cli import main as bongsu_main

        sys.exit(bongsu_main(sys.argv[2:]))
    main()
