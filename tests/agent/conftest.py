"""Agent test fixtures: a recording OTLP sink, an agent exporting to it, and a hook that
turns every swallowed agent error into a test failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import bongsu.agent
from bongsu.agent import _state
from bongsu.agent._safety import add_error_hook, remove_error_hook

from .sink import Sink


@pytest.fixture(autouse=True)
def agent_errors_fail_tests() -> Iterator[list[BaseException]]:
    errors: list[BaseException] = []
    add_error_hook(errors.append)
    yield errors
    remove_error_hook(errors.append)
    if errors and not getattr(errors, "expected", False):
        raise AssertionError(f"agent swallowed internal errors: {errors!r}") from errors[0]


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink().start()
    yield server
    server.stop()


QUICK = {"service_name": "test-svc", "flush_interval": 0.05, "metrics_interval": 3600.0,
         "active_interval": 3600.0, "control_interval": 3600.0, "compression": "gzip"}


@pytest.fixture
def make_agent(sink: Sink) -> Iterator[Callable[..., Any]]:
    """Start an agent exporting to ``sink`` with quick timings plus overrides."""

    def make(**overrides: Any) -> Any:
        assert _state.agent is None, "an earlier test left an agent running"
        return bongsu.agent.init(**{"endpoint": sink.url, **QUICK, **overrides})

    yield make
    bongsu.agent.shutdown()


@pytest.fixture
def agent(make_agent: Callable[..., Any]) -> Any:
    """A started agent exporting to ``sink`` quickly; shut down after the test."""
    return make_agent()
