"""Service users: the distinct-user sketch against exact counting, in one run.

For each N (1M and 10M distinct users by default):

- **sketch**: the time to add N 64-bit hashes (and, for 1M, to hash N user ids first:
  ``key_hash``, BLAKE2b-64), the count, its relative error against N and against the
  stated standard error (1.04 / sqrt(2^14) = 0.81 %, one sigma), the serialized size;
- **merge**: two dense sketches (16 KiB each) merged, and an exact one of 4,096 hashes into
  a dense one, per merge; bytes -> sketch -> bytes;
- **exact, Python**: a ``set`` of the same hashes: time to build, count, and its memory
  (``tracemalloc`` peak);
- **exact, DuckDB**: ``count(DISTINCT)`` over N generated ids (``range``), in memory;
- **the load path**: ``sketch_tables`` (what every load adds) on a 10,000-span batch with
  10,000 distinct users over 10 minutes, against the same batch's ``DuckDBStore.load``.

    .venv/bin/python bench/users_sketch.py              # 1M and 10M: ~2 min on 2 cores
    .venv/bin/python bench/users_sketch.py --n 1000000  # one size
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

import duckdb
import pyarrow as pa

from bongsu.store.batch import SPAN_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.users.rollup import sketch_tables
from bongsu.users.sketch import EXACT_LIMIT, PRECISION, Sketch, key_hash, relative_error


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def sizes(n: int, seed: int) -> None:
    rng = random.Random(seed)
    hashes = [rng.getrandbits(64) for _ in range(n)]
    sketch = Sketch()
    add_s = timed(lambda: sketch.update(hashes))
    count_s = timed(lambda: sketch.count(), 5)
    estimate = sketch.count()
    err = (estimate - n) / n
    blob = sketch.to_bytes()
    print(f"\n## {n:,} distinct users")
    print(f"sketch   add {add_s:.2f} s ({add_s / n * 1e6:.2f} µs/hash), count {count_s * 1e3:.2f}"
          f" ms, estimate {estimate:,} (error {err * 100:+.3f} %, {err / relative_error():+.2f}"
          f" sigma), size {len(blob):,} B")
    tracemalloc.start()
    exact: set[int] = set()
    set_s = timed(lambda: exact.update(hashes))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"set      build {set_s:.2f} s ({set_s / n * 1e6:.2f} µs/hash), count {len(exact):,},"
          f" memory {peak / 2**20:,.0f} MiB (the hashes alone: {8 * n / 2**20:,.0f} MiB)")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE u AS SELECT 'user-' || range AS id FROM range({n})")
    got: list[int] = []
    duck_s = timed(lambda: got.append(con.execute(
        "SELECT count(DISTINCT id) FROM u").fetchall()[0][0]), 3)
    print(f"duckdb   count(DISTINCT) of {got[-1]:,} ids: {duck_s:.2f} s (table in memory)")
    con.close()


def merges() -> None:
    rng = random.Random(7)
    a, b = Sketch(), Sketch()
    a.update(rng.getrandbits(64) for _ in range(100_000))
    b.update(rng.getrandbits(64) for _ in range(100_000))
    small = Sketch()
    small.update(rng.getrandbits(64) for _ in range(EXACT_LIMIT))
    blob = a.to_bytes()

    def dense() -> None:
        c = Sketch.from_bytes(blob)
        c.merge(b)

    def exact_into_dense() -> None:
        c = Sketch.from_bytes(blob)
        c.merge(small)

    load_s = timed(lambda: Sketch.from_bytes(blob), 50)
    print("\n## merge and serialization (precision 14: 16 KiB dense)")
    print(f"read 16 KiB sketch {load_s * 1e3:.3f} ms; dense + dense"
          f" {(timed(dense, 50) - load_s) * 1e3:.3f} ms; 4,096 exact into dense"
          f" {(timed(exact_into_dense, 50) - load_s) * 1e3:.3f} ms;"
          f" to_bytes {timed(a.to_bytes, 50) * 1e3:.3f} ms; exact 4,096: "
          f"{len(small.to_bytes()):,} B")
    ids = [f"user-{i}" for i in range(1_000_000)]
    hash_s = timed(lambda: [key_hash(i) for i in ids])
    print(f"key_hash (BLAKE2b-64) of 1M user ids: {hash_s:.2f} s ({hash_s:.2f} µs/id)")


def load_path(tmp: str) -> None:
    n = 10_000
    now = int(time.time() * 1e6) // 60_000_000 * 60_000_000 - 3_600_000_000
    cols = {
        "tenant": pa.array(["default"] * n), "ts_us": pa.array(
            [now + (i % 10) * 60_000_000 + i for i in range(n)], pa.int64()),
        "trace_hi": pa.array([1] * n, pa.uint64()), "trace_lo": pa.array(range(n), pa.uint64()),
        "span_id": pa.array(range(1, n + 1), pa.uint64()),
        "parent_id": pa.array([0] * n, pa.uint64()), "service": pa.array(["shop"] * n),
        "instance": pa.array(["shop-1"] * n), "name": pa.array(["GET /"] * n),
        "kind": pa.array([2] * n, pa.uint8()), "duration_us": pa.array([1000] * n, pa.int64()),
        "status": pa.array([0] * n, pa.uint8()), "is_error": pa.array([False] * n),
        "user_id": pa.array([f"user-{i}" for i in range(n)]),
    }
    spans = pa.table([cols.get(f.name, pa.nulls(n, f.type)) for f in SPAN_SCHEMA],
                     schema=SPAN_SCHEMA)
    sketch_s = timed(lambda: sketch_tables(spans), 5)
    store = DuckDBStore.open(f"{tmp}/bench.duckdb")
    lsn = [0]

    def load() -> None:
        lsn[0] += 1
        store.load(Batch(spans=spans), lsn=lsn[0])

    load_s = timed(load, 5)
    store.close()
    print("\n## the load path (10,000 spans, 10,000 distinct users, 10 minutes)")
    print(f"sketch_tables {sketch_s * 1e3:.1f} ms ({sketch_s / n * 1e6:.1f} µs/span) of a"
          f" DuckDBStore.load of {load_s * 1e3:.1f} ms ({sketch_s / load_s * 100:.0f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append",
                        help="distinct users (repeatable; default 1M and 10M)")
    args = parser.parse_args()
    print(f"precision {PRECISION}: stated standard error {relative_error() * 100:.3f} %"
          f" (one sigma), exact up to {EXACT_LIMIT:,} distinct")
    for i, n in enumerate(args.n or [1_000_000, 10_000_000]):
        sizes(n, seed=i + 1)
    merges()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        load_path(tmp)


if __name__ == "__main__":
    main()
