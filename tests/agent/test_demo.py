"""``bongsu demo`` (``python -m bongsu.agent.demo``): a short run against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bongsu.agent.demo.load import COOKIE, USERS

for _library in ("flask", "gunicorn", "uvicorn", "starlette", "httpx", "requests"):
    pytest.importorskip(_library)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_demo_fills_the_dashboard(server_factory: Any, tmp_path: Path) -> None:
    server = server_factory().start()
    demo = subprocess.Popen([sys.executable, "-m", "bongsu.agent.demo", "--endpoint",
                             server.otlp_url, "--data-dir", str(tmp_path / "demo"),
                             "--rate", "10", "--duration", "60"])
    try:
        deadline = time.monotonic() + 40

        def deep_checkouts() -> list[dict[str, Any]]:
            _, body = server.api("/api/v1/traces?service=gateway&limit=200")
            return [t for t in body["traces"] if t["root_name"] == "POST /api/checkout"
                    and t["span_count"] >= 8]

        while not (deep := deep_checkouts()) and time.monotonic() < deadline:
            time.sleep(1)
        assert deep
        _, body = server.api("/api/v1/traces?service=gateway&limit=200")
        assert "GET /api/orders/{order_id}" in {t["root_name"] for t in body["traces"]}
        _, detail = server.api(f"/api/v1/traces/{deep[0]['trace_id']}")
        assert {s["service"] for s in detail["spans"]} == {"gateway", "order-api", "payment-api"}
        # Shoppers are told apart by their session cookie, hashed at the edge: many users,
        # at most the load generator's, and no cookie value reaches the server.
        def dau() -> dict[str, Any]:
            _, users = server.api("/api/v1/users?service=gateway")
            return dict(users["dau"])

        while (seen := dau())["users"] < 10 and time.monotonic() < deadline + 20:
            time.sleep(1)
        assert 10 <= seen["users"] <= USERS and seen["exact"] is True
        assert all(COOKIE not in str(a) and "s0001" not in str(a)
                   for s in detail["spans"] for a in s["attributes"].values())
    finally:
        children = _children(demo.pid)
        demo.terminate()  # SIGTERM: the demo stops every process it started
        demo.wait(60)
    time.sleep(1)
    alive = []
    for pid in children:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert len(children) == 4 and alive == []
