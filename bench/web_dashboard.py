"""Dashboard load benchmark: the API calls the console's dashboard makes, and their times.

Two modes against a running server (``bongsu server``; seed it with ``bongsu simulate``
or a large store):

- default: replays the dashboard's calls for one service from Python, in parallel like
  the browser (6 connections), and prints each call's status, time and size plus the
  wall time until the last one answered (the "data within 2 s" goal);
- ``--browser``: opens the real console in Debian Chromium (``/usr/bin/chromium``), waits
  until every dashboard chart has drawn, and lists the API requests the page actually
  made (Resource Timing) with the time from navigation to the last chart.

    python bench/web_dashboard.py http://127.0.0.1:8080 [--service NAME] [--range 15m]
    python bench/web_dashboard.py http://127.0.0.1:8080 --browser --repeat 3
    python bench/web_dashboard.py --store --browser --range 24h   # the 5M-span store

``--store`` serves the 5M-span DuckDB store that ``bench/query.py`` seeds (and caches in
``bench/.data/``) through the real API app with the console mounted, and opens the
window that ends at its newest span (the store holds one past day).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

RANGES_S = {"5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800}
# The console's step rules (web/src/state.ts): ~90 line points, ~45 heatmap columns.
STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pick_step(ideal: float) -> int:
    return next((s for s in STEPS if s >= ideal), STEPS[-1])


@dataclass
class Call:
    path: str
    status: int
    ms: float
    size: int


def fetch(base: str, path: str) -> Call:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return Call(path, status, (time.perf_counter() - t0) * 1000, len(body))


def dashboard_calls(service: str, range_s: int, now_ms: int) -> list[str]:
    """The dashboard's first load: shell calls, then the page's, as web/src issues them."""
    w = {"from": now_ms - range_s * 1000, "to": now_ms}
    # Live data (last 10 s) is measured against the wall clock, as the console does.
    wall_ms = int(time.time() * 1000)
    svc = urllib.parse.quote(service, safe="")
    series_step = pick_step(range_s / 90)
    heat_step = pick_step(range_s / 45)

    def q(**params: object) -> str:
        return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})

    def metric(name: str) -> str:
        params = q(name=name, service=service, step=series_step, agg="avg", **w)
        return f"/api/v1/metrics/series?{params}"

    last_10s = {"from": wall_ms - 10_000, "to": wall_ms}
    return [
        f"/api/v1/services?{q(**w)}",
        f"/api/v1/instances?{q(service=service, window=range_s, **w)}",
        f"/api/v1/services/{svc}/series?{q(**w, step=series_step)}",
        f"/api/v1/services/{svc}/heatmap?{q(**w, step=heat_step)}",
        metric("process.memory.usage"),
        metric("jvm.memory.used"),
        metric("db.client.connections.usage"),
        f"/api/v1/instances?{q(service=service, window=10, **w)}",
        f"/api/v1/services/{svc}/transactions?{q(**last_10s, limit=300)}",
    ]


def replay(base: str, service: str, range_s: int, end_ms: int | None) -> tuple[list[Call], float]:
    calls = dashboard_calls(service, range_s, end_ms or int(time.time() * 1000))
    t0 = time.perf_counter()
    # The shell's two calls come first; the page's calls then go out together.
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda p: fetch(base, p), calls[:2]))
        results += list(pool.map(lambda p: fetch(base, p), calls[2:]))
    return results, (time.perf_counter() - t0) * 1000


def in_browser(
    base: str, service: str, range_name: str, end_ms: int | None
) -> tuple[list[Call], float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        params: dict[str, object] = {"service": service, "range": range_name, "lang": "en"}
        if end_ms is not None:
            params.update(
                range="custom", to=end_ms, **{"from": end_ms - RANGES_S[range_name] * 1000}
            )
        query = urllib.parse.urlencode(params)
        t0 = time.perf_counter()
        page.goto(f"{base}/#/dashboard?{query}")
        page.wait_for_function(
            """() => { const c = [...document.querySelectorAll('#page-dashboard .chart')];
                       return c.length >= 6 && c.every(e => e.dataset.rendered
                         && e.dataset.points !== undefined); }""",
            timeout=60_000,
        )
        wall = (time.perf_counter() - t0) * 1000
        entries = page.evaluate(
            """() => performance.getEntriesByType('resource')
                 .filter(e => e.name.includes('/api/v1/'))
                 .map(e => ({path: e.name.replace(location.origin, ''), ms: e.duration,
                             size: e.transferSize, status: e.responseStatus || 0}))"""
        )
        browser.close()
    return [Call(e["path"], e["status"], e["ms"], e["size"]) for e in entries], wall


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("url", nargs="?", help="server base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--store", action="store_true", help="serve bench/query.py's 5M-span store")
    ap.add_argument("--service", help="service to open (default: the busiest)")
    ap.add_argument("--range", default="15m", choices=sorted(RANGES_S))
    ap.add_argument("--browser", action="store_true", help="measure the real console in Chromium")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    args = ap.parse_args()
    if args.store:
        with contextlib.ExitStack() as stack:
            base, end_ms = stack.enter_context(_bench_store())
            return run(args, base, end_ms)
    if not args.url:
        ap.error("give the server URL, or --store")
    return run(args, args.url.rstrip("/"), None)


@contextlib.contextmanager
def _bench_store() -> Iterator[tuple[str, int]]:
    """The API (console mounted) over bench/query.py's cached store, and its newest ts."""
    import query as query_bench  # bench/query.py, next to this script
    from bongsu.api import create_api
    from bongsu.settings import Settings

    store = query_bench.seed(query_bench.DATA / "query-bench.db", 5_000_000)
    end_us = store.run("SELECT max(ts_us) FROM spans")[0][0]
    app = create_api(Settings(query_timeout_seconds=60), store, lambda _h: query_bench.TENANT)
    with contextlib.contextmanager(query_bench.serve)(app) as base:
        yield base, end_us // 1000 + 1


def run(args: argparse.Namespace, base: str, end_ms: int | None) -> int:
    service = args.service
    if not service:
        window = f"?from={end_ms - 3_600_000}&to={end_ms}" if end_ms else ""
        with urllib.request.urlopen(f"{base}/api/v1/services{window}", timeout=60) as r:
            services = json.loads(r.read())["services"]
        if not services:
            print("no services in the last 15 minutes: seed the server first", file=sys.stderr)
            return 2
        service = max(services, key=lambda s: s["transactions"])["name"]
    runs = []
    for _ in range(args.repeat):
        if args.browser:
            runs.append(in_browser(base, service, args.range, end_ms))
        else:
            runs.append(replay(base, service, RANGES_S[args.range], end_ms))
    walls = [w for _, w in runs]
    if args.json:
        print(
            json.dumps(
                {
                    "service": service,
                    "range": args.range,
                    "walls_ms": walls,
                    "calls": [c.__dict__ for c in runs[-1][0]],
                },
                indent=2,
            )
        )
        return 0
    mode = (
        "browser: navigation to every chart drawn"
        if args.browser
        else "replay: first call to last answer"
    )
    print(f"service {service!r}, range {args.range}, {args.repeat} runs; last run's calls:")
    print(f"{'status':>6} {'ms':>8} {'bytes':>9}  path")
    for c in runs[-1][0]:
        print(f"{c.status:>6} {c.ms:>8.1f} {c.size:>9}  {c.path[:150]}")
    each = ", ".join(f"{w:.0f}" for w in walls)
    print(f"{mode}: median {statistics.median(walls):.0f} ms (runs: {each})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
