"""Search benchmark: ``GET /api/v1/search`` over the 5M-span store of ``bench/views.py``
(``bench/query.py``'s day of traffic with database statements and HTTP statuses, seeded
once in ``bench/.data/``), through the real API, for short and long texts, a miss and a
trace id.

    .venv/bin/python bench/search.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.search import search_router
from bongsu.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from query import DATA, TENANT, median_ms, serve
from views import seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    store = seed(DATA / "views-bench.db", args.spans)
    spans = int(store.run("SELECT count(*) FROM spans")[0][0])
    hi, lo = store.run("SELECT trace_hi, trace_lo FROM spans ORDER BY ts_us DESC LIMIT 1")[0]
    trace_id = f"{hi:016x}{lo:016x}"
    print(f"store: {spans:,} spans")
    app = create_api(Settings(query_timeout_seconds=60), store,
                     header_tenants(lambda _h: TENANT), routers=[search_router()])
    cases = [("one letter", "o"), ("service prefix", "ord"), ("endpoint substring", "/api"),
             ("database", "postgresql"), ("no match", "zzzz-nothing"),
             ("trace id", trace_id)]
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=60) as client:
            print("| search | q | results | API ms (median) |\n|---|---|---:|---:|")
            for label, q in cases:
                found = client.get("/api/v1/search", params={"q": q, "limit": 50}).json()
                ms = median_ms(lambda q=q: client.get(  # type: ignore[misc]
                    "/api/v1/search", params={"q": q, "limit": 50}).raise_for_status(),
                    args.repeat)
                shown = q if len(q) < 20 else q[:8] + "…"
                print(f"| {label} | `{shown}` | {len(found['results'])} | {ms:.1f} |")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
