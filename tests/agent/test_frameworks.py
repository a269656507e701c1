from __future__ import annotations

from typing import Any

import pytest

from bongsu.agent._tracer import CLIENT, SERVER

from .sink import Sink


def test_flask_routes_errors_and_status(agent: Any, sink: Sink) -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask("shop")

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, int]:
        return {"id": order_id}

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaput")

    client = app.test_client()

    def get(path: str) -> Any:
        response = client.get(path)
        response.close()  # a WSGI server closes the body; the span ends then
        return response

    assert get("/orders/7").json == {"id": 7}
    assert get("/boom").status_code == 500
    assert get("/missing").status_code == 404
    spans = {s["attrs"].get("url.path"): s for s in sink.wait(lambda: len(sink.spans()) == 3
                                                              and sink.spans())}
    ok = spans["/orders/7"]
    assert ok["name"] == "GET /orders/{order_id}" and ok["kind"] == SERVER
    assert ok["attrs"]["http.route"] == "/orders/{order_id}"
    assert ok["attrs"]["http.response.status_code"] == 200 and ok["status"] == 0
    bad = spans["/boom"]
    assert bad["status"] == 2 and bad["attrs"]["http.response.status_code"] == 500
    [(name, event)] = bad["events"]
    assert name == "exception" and event["exception.type"] == "RuntimeError"
    assert event["exception.message"] == "kaput" and "boom" in event["exception.stacktrace"]
    missing = spans["/missing"]
    assert missing["status"] == 0 and "http.route" not in missing["attrs"]
    assert missing["name"] == "GET"


def test_fastapi_route_templates(agent: Any, sink: Sink) -> None:
    fastapi = pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    app = fastapi.FastAPI()
    sub = fastapi.FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/fail")
    async def fail() -> None:
        raise KeyError("nope")

    @sub.get("/ping/{n}")
    async def ping(n: int) -> str:
        return "pong"

    app.mount("/sub", sub)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/items/3").json() == {"id": 3}
        assert client.get("/fail").status_code == 500
        assert client.get("/sub/ping/1").status_code == 200
    def server_spans() -> list[dict[str, Any]]:
        return [s for s in sink.spans() if s["kind"] == SERVER]

    spans = sink.wait(lambda: len(server_spans()) == 3 and server_spans())
    by_path = {s["attrs"]["url.path"]: s for s in spans}
    clients = {s["span_id"]: s for s in sink.spans() if s["kind"] == CLIENT}
    for server in spans:  # the test client (httpx) is traced and propagates its context
        client = clients[server["parent_span_id"]]
        assert client["trace_id"] == server["trace_id"]
        assert client["attrs"]["url.full"].endswith(server["attrs"]["url.path"])
    assert by_path["/items/3"]["attrs"]["http.route"] == "/items/{item_id}"
    assert by_path["/items/3"]["name"] == "GET /items/{item_id}"
    assert by_path["/fail"]["status"] == 2
    assert by_path["/fail"]["events"][0][1]["exception.type"] == "KeyError"
    assert by_path["/sub/ping/1"]["attrs"]["http.route"] == "/sub/ping/{n}"
