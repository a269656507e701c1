"""Audit-log middleware benchmark: what recording every successful API write costs.

The same app, with and without ``audited``, in one run: a write route that does nothing,
posted 500 times through the in-process ASGI client on a SQLite metadata database.

    .venv/bin/python bench/audit.py [--requests 500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from bongsu.accounts.principal import header_tenants
from bongsu.api import Tenant, create_api
from bongsu.api.audit_log import audited
from bongsu.meta.database import connect
from bongsu.query import QueryService
from bongsu.settings import Settings


def app(audit: bool, directory: Path) -> FastAPI:
    router = APIRouter()

    @router.post("/api/v1/bench/{thing}", status_code=204)
    def write(thing: str, tenant: Tenant) -> None:
        return None

    settings = Settings()
    made = create_api(settings, object(), header_tenants(lambda _h: "default"),
                      routers=[router], queries=QueryService(object(), settings),  # type: ignore[arg-type]
                      console=False)
    return audited(made, connect(f"sqlite:///{directory / 'meta.sqlite'}")) if audit else made


def median_ms(client: TestClient, n: int) -> float:
    times = []
    for i in range(n):
        started = time.perf_counter()
        assert client.post(f"/api/v1/bench/t{i}").status_code == 204
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for audit in (False, True):
            with TestClient(app(audit, Path(tmp))) as client:
                median_ms(client, 50)  # warm up
                figures[audit] = median_ms(client, args.requests)
    print(f"| writes | without audit ms | with audit ms | added ms |\n|---|---:|---:|---:|\n"
          f"| {args.requests} | {figures[False]:.2f} | {figures[True]:.2f} | "
          f"{figures[True] - figures[False]:.2f} |")


if __name__ == "__main__":
    main()
