"""Django under gunicorn and uvicorn, and a Celery worker (prefork, real Redis broker),
each started with ``python -m bongsu.agent run``, exporting to the recording sink."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import bongsu.agent
from bongsu.agent._tracer import CONSUMER, PRODUCER, SERVER

from .services import free_port, redis_server, under_agent
from .sink import Sink

APPS = str(Path(__file__).parent / "apps")
BIN = Path(sys.executable).parent


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_django(sink: Sink, server: str) -> None:
    pytest.importorskip("django")
    pytest.importorskip(server)
    port = free_port()
    command = ([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                "django_shop:application"] if server == "gunicorn" else
               [str(BIN / "uvicorn"), "--port", str(port), "--log-level", "warning",
                "django_shop:asgi_app"])
    with under_agent(command, sink.url, "django-shop", APPS, port):
        assert _status(f"http://127.0.0.1:{port}/orders/7/") == 200
        assert _status(f"http://127.0.0.1:{port}/boom/") == 500
        assert _status(f"http://127.0.0.1:{port}/nope/") == 404
        spans = sink.wait(lambda: len(sink.spans()) >= 3 and sink.spans(), 30)
    by_path = {s["attrs"]["url.path"]: s for s in spans if s["kind"] == SERVER}
    ok = by_path["/orders/7/"]
    assert ok["name"] == "GET /orders/{pk}/" and ok["attrs"]["http.route"] == "/orders/{pk}/"
    assert ok["resource"]["service.name"] == "django-shop"
    bad = by_path["/boom/"]
    assert bad["status"] == 2 and bad["attrs"]["http.response.status_code"] == 500
    assert bad["events"][0][1]["exception.type"] == "ZeroDivisionError"
    assert by_path["/nope/"]["status"] == 0 and by_path["/nope/"]["name"] == "GET"


def test_celery_producer_and_worker_share_a_trace(agent: Any, sink: Sink) -> None:
    pytest.importorskip("celery")
    pytest.importorskip("redis")
    with redis_server() as port:
        broker = f"redis://127.0.0.1:{port}/0"
        env = {"CELERY_REDIS": broker}
        worker = [str(BIN / "celery"), "-A", "celery_tasks", "worker", "--pool=prefork",
                  "--concurrency=2", "--loglevel=WARNING", "--without-heartbeat",
                  "--without-gossip", "--without-mingle"]
        import os

        os.environ["CELERY_REDIS"] = broker
        sys.path.insert(0, APPS)
        try:
            import celery_tasks
            with under_agent(worker, sink.url, "celery-worker", APPS, env=env):
                with bongsu.agent.span("enqueue") as job:
                    assert celery_tasks.add.delay(2, 3).get(timeout=60) == 5
                    with pytest.raises(ValueError):
                        celery_tasks.fail.delay().get(timeout=60)
                spans = sink.wait(lambda: len(
                    [s for s in sink.spans() if s["kind"] == CONSUMER]) == 2 and sink.spans(), 30)
        finally:
            sys.path.remove(APPS)
            del os.environ["CELERY_REDIS"]
    assert job is not None
    producers = {s["attrs"]["celery.task_name"]: s for s in spans if s["kind"] == PRODUCER}
    consumers = {s["attrs"]["celery.task_name"]: s for s in spans if s["kind"] == CONSUMER}
    for name in ("celery_tasks.add", "celery_tasks.fail"):
        assert consumers[name]["trace_id"] == producers[name]["trace_id"] == f"{job.trace_id:032x}"
        assert consumers[name]["parent_span_id"] == producers[name]["span_id"]
        assert consumers[name]["resource"]["service.name"] == "celery-worker"
    assert consumers["celery_tasks.fail"]["status"] == 2
    assert consumers["celery_tasks.fail"]["events"][0][1]["exception.message"] == "task failed"
    assert consumers["celery_tasks.add"]["status"] == 0
