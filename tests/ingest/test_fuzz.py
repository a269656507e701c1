"""Random and mutated bodies never get a 500 or bring the server down."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otlp_build import span, traces
from server_process import ServerProcess

VALID = traces([span(attributes={"http.route": "/a", "n": 1})]).SerializeToString()
OK = {200, 400}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
otlp_keys = st.sampled_from(
    ["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "parentSpanId", "name",
     "kind", "startTimeUnixNano", "endTimeUnixNano", "attributes", "key", "value",
     "stringValue", "intValue", "resource", "status", "code"]
)
otlp_like = st.recursive(
    st.none() | st.integers() | st.text(max_size=40)
    | st.text(alphabet="0123456789abcdef", min_size=16, max_size=32),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(otlp_keys, children, max_size=5),
    max_leaves=30,
)

_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(body=st.binary(max_size=2048))
def test_random_bytes(shared_server: ServerProcess, body: bytes) -> None:
    for path in ("/v1/traces", "/v1/metrics", "/v1/logs"):
        assert shared_server.post(path, body)[0] in OK


@_settings
@given(position=st.integers(0, len(VALID) - 1), byte=st.integers(0, 255))
def test_mutated_protobuf(shared_server: ServerProcess, position: int, byte: int) -> None:
    body = bytearray(VALID)
    body[position] = byte
    assert shared_server.post("/v1/traces", bytes(body))[0] in OK


@_settings
@given(document=json_values | otlp_like.map(lambda v: {"resourceSpans": [v]}))
def test_random_json(shared_server: ServerProcess, document: object) -> None:
    body = json.dumps(document).encode()
    for path in ("/v1/traces", "/v1/logs"):
        assert shared_server.post(path, body, "application/json")[0] in OK


def test_server_still_healthy_after_fuzzing(shared_server: ServerProcess) -> None:
    assert shared_server.status()["load_failures"] == 0
    assert shared_server.api("/healthz")[0] == 200
