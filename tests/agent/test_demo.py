"""``bongsu demo`` (``python -m bongsu.agent.demo``): a short run against a real server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

for _library in ("flask", "gunicorn", "uvicorn", "starlette", "httpx", "requests"):
    pytest.importorskip(_library)


def test_demo_fills_the_dashboard(server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    demo = subprocess.Popen([sys.executable, "-m", "bongsu.agent.demo", "--endpoint",
                             server.otlp_url, "--data-dir", str(tmp_path / "demo"),
                             "--rate", "10", "--duration", "25"])
    try:
        deadline = time.monotonic() + 40
        services: set[str] = set()
        while time.monotonic() < deadline and not {"gateway", "orders", "payments"} <= services:
            time.sleep(1)
            _, body = server.api("/api/v1/traces?limit=200")
            services = {t["root_service"] for t in body["traces"]}
        assert {"gateway"} <= services, services
        _, body = server.api("/api/v1/traces?service=gateway&limit=200")
        names = {t["root_name"] for t in body["traces"]}
        assert "POST /api/checkout" in names and "GET /api/orders/{order_id}" in names
        deep = [t for t in body["traces"] if t["root_name"] == "POST /api/checkout"
                and t["span_count"] >= 8]
        assert deep, body["traces"][:3]
        _, detail = server.api(f"/api/v1/traces/{deep[0]['trace_id']}")
        assert {s["service"] for s in detail["spans"]} == {"gateway", "orders", "payments"}
    finally:
        demo.terminate()
        demo.wait(60)
