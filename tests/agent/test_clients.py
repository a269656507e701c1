from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import bongsu.agent
from bongsu.agent._propagation import parse_traceparent
from bongsu.agent._tracer import CLIENT, INTERNAL

from .services import Downstream
from .sink import Sink


@pytest.fixture
def downstream() -> Iterator[Downstream]:
    server = Downstream()
    yield server
    server.close()


def _check(sink: Sink, downstream: Downstream, count: int) -> list[dict[str, Any]]:
    spans = sink.wait(lambda: len(sink.spans()) >= count + 1 and sink.spans())
    [job] = [s for s in spans if s["kind"] == INTERNAL]
    clients = [s for s in spans if s["kind"] == CLIENT]
    assert len(clients) == count, clients
    for client, headers in zip(clients, downstream.headers, strict=True):
        assert client["trace_id"] == job["trace_id"]
        assert client["parent_span_id"] == job["span_id"]
        parsed = parse_traceparent(headers["traceparent"])
        assert parsed is not None
        assert f"{parsed[0]:032x}" == job["trace_id"] and f"{parsed[1]:016x}" == client["span_id"]
        assert client["attrs"]["server.address"] == "127.0.0.1"
        assert client["attrs"]["url.full"].startswith(downstream.url)
    return clients


def test_requests_and_urllib3(agent: Any, sink: Sink, downstream: Downstream) -> None:
    requests = pytest.importorskip("requests")
    urllib3 = pytest.importorskip("urllib3")
    with bongsu.agent.span("job"):
        assert requests.get(downstream.url + "/a", timeout=5).status_code == 200
        assert requests.get(downstream.url + "/status/503", timeout=5).status_code == 503
        pool = urllib3.PoolManager()
        assert pool.request("GET", downstream.url + "/b").status == 200
    a, failed, b = _check(sink, downstream, 3)  # requests' inner urllib3 call not traced twice
    assert a["name"] == "GET" and a["attrs"]["http.response.status_code"] == 200
    assert failed["status"] == 2 and failed["attrs"]["error.type"] == "503"
    assert b["attrs"]["url.full"] == downstream.url + "/b"


def test_httpx_sync_and_async(agent: Any, sink: Sink, downstream: Downstream) -> None:
    httpx = pytest.importorskip("httpx")

    async def call_async() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get(downstream.url + "/async")).status_code

    with bongsu.agent.span("job"):
        with httpx.Client() as client:
            assert client.get(downstream.url + "/sync").status_code == 200
        assert asyncio.run(call_async()) == 200
    _check(sink, downstream, 2)


def test_aiohttp_client(agent: Any, sink: Sink, downstream: Downstream) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def call() -> int:
        async with aiohttp.ClientSession() as session, session.get(
                downstream.url + "/x", headers={"X-Mine": "1"}) as response:
            return response.status

    with bongsu.agent.span("job"):
        assert asyncio.run(call()) == 200
    _check(sink, downstream, 1)
    assert downstream.headers[0]["x-mine"] == "1"


def test_connection_error_recorded(agent: Any, sink: Sink) -> None:
    requests = pytest.importorskip("requests")
    from .services import free_port

    with pytest.raises(requests.ConnectionError), bongsu.agent.span("job"):
        requests.get(f"http://127.0.0.1:{free_port()}/", timeout=2)
    spans = sink.wait(lambda: len(sink.spans()) == 2 and sink.spans())
    client = next(s for s in spans if s["kind"] == CLIENT)
    assert client["status"] == 2 and client["events"][0][0] == "exception"
    job = next(s for s in spans if s["kind"] == INTERNAL)
    assert job["status"] == 2  # the exception went through the job too
