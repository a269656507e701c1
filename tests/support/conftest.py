"""One real ``bongsu server`` for the support tests, with real receivers on loopback.

The server sends support requests to the tenant's channel named ``support`` (the
default of ``BONGSU_SUPPORT_CHANNEL``); each test makes that channel (a webhook or an
e-mail channel to its own receiver) and deletes it after.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import call
from server_process import ServerProcess

from .png import encode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("support") / "data"
    s = ServerProcess(data, {"BONGSU_ALERTS_LEASE_RENEW_SECONDS": "1"}).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def support_channel(server: ServerProcess) -> Iterator[Any]:
    """Make the ``support`` channel: ``support_channel(type, config)``; deleted after."""
    made: list[str] = []

    def make(kind: str, config: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
        status, body = call(server.api_url, "POST", "/api/v1/channels", {
            "name": "support", "type": kind, "config": config, "enabled": enabled})
        assert status == 201, body
        made.append(body["id"])
        return body

    yield make
    for channel_id in made:
        call(server.api_url, "DELETE", f"/api/v1/channels/{channel_id}")


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def request_body(png: bytes | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": "The error rate chart is empty since 10:00",
        "contact": "ana@example.net",
        "view": {"url": "http://127.0.0.1/#/dashboard?service=orders&range=1h",
                 "page": "dashboard", "service": "orders", "range": "1h",
                 "from_ms": 1_700_000_000_000, "to_ms": 1_700_003_600_000,
                 "extra": {"q": "timeout"}, "viewport": {"width": 64, "height": 48}},
        "screenshot": data_url(png if png is not None else encode(64, 48)),
    }
    body.update(over)
    return body


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    return tmp_path
