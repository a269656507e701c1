"""The OTLP receiver on a real server: what it accepts, and every way it refuses."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from otlp_build import gauge, log_record, span, traces
from server_process import ServerProcess

PB = "application/x-protobuf"


def status_message(body: bytes) -> str:
    """The message of a google.rpc.Status body (field 2), decoded without extra packages."""
    assert body[0] == 0x08  # field 1, varint: code
    i = 2
    while body[i - 1] & 0x80:
        i += 1
    assert body[i] == 0x12  # field 2, length-delimited: message
    length, shift, j = 0, 0, i + 1
    while True:
        b = body[j]
        length |= (b & 0x7F) << shift
        j += 1
        if not b & 0x80:
            break
        shift += 7
    return body[j : j + length].decode()


def wait_trace(server: ServerProcess, trace_id: bytes, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = server.api(f"/api/v1/traces/{trace_id.hex()}")
        if status == 200:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"trace {trace_id.hex()} not served within {timeout} s")


def test_protobuf_and_gzip_accepted_and_visible_within_two_seconds(
    shared_server: ServerProcess,
) -> None:
    s = span(attributes={"http.route": "/items/{id}", "http.response.status_code": 200})
    body = traces([s]).SerializeToString()
    status, headers, reply = shared_server.post("/v1/traces", body)
    assert status == 200 and headers["content-type"] == PB
    assert not ExportTraceServiceResponse.FromString(reply).HasField("partial_success")
    acked = time.monotonic()
    found = wait_trace(shared_server, s.trace_id, timeout=2)
    assert time.monotonic() - acked <= 2
    assert found["spans"][0]["name"] == "GET /items/{id}"

    s2 = span()
    status, _, _ = shared_server.post(
        "/v1/traces", gzip.compress(traces([s2]).SerializeToString()),
        headers={"Content-Encoding": "gzip"},
    )
    assert status == 200
    wait_trace(shared_server, s2.trace_id)


def test_otlp_json_with_hex_ids_is_accepted(shared_server: ServerProcess) -> None:
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    now = time.time_ns()
    document = {
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "json-svc"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": trace_id, "spanId": span_id, "name": "POST /json",
                "kind": 2, "startTimeUnixNano": str(now - 10**9),
                "endTimeUnixNano": str(now), "unknownField": 1,
                "attributes": [{"key": "http.response.status_code",
                                "value": {"intValue": "201"}}],
            }]}],
        }]
    }
    status, headers, reply = shared_server.post(
        "/v1/traces", json.dumps(document).encode(), "application/json"
    )
    assert status == 200, reply
    assert headers["content-type"] == "application/json"
    assert json.loads(reply) == {}
    found = wait_trace(shared_server, bytes.fromhex(trace_id))
    assert found["spans"][0]["span_id"] == span_id
    assert found["spans"][0]["duration_ms"] == pytest.approx(1000, abs=0.01)


def test_metrics_and_logs_accepted(shared_server: ServerProcess) -> None:
    metrics = gauge("test.gauge", 42.0).SerializeToString()
    assert shared_server.post("/v1/metrics", metrics)[0] == 200
    assert shared_server.post("/v1/logs", log_record("hello").SerializeToString())[0] == 200


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"\x0a\xff\xff\xff\xff\x0f", PB, "malformed protobuf"),
        (b"{not json", "application/json", "malformed JSON"),
        (b"[1, 2]", "application/json", "must be an object"),
        (b'{"resourceSpans": 5}', "application/json", "malformed OTLP/JSON"),
    ],
)
def test_malformed_bodies_are_400_with_the_reason(
    shared_server: ServerProcess, body: bytes, content_type: str, expected: str
) -> None:
    status, _, reply = shared_server.post("/v1/traces", body, content_type)
    assert status == 400
    message = json.loads(reply)["message"] if content_type != PB else status_message(reply)
    assert expected in message


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"trace_id": b"\x01" * 8}, "trace_id must be 16 bytes"),
        ({"trace_id": bytes(16)}, "trace_id must be 16 bytes and not all zero"),
        ({"span_id": b"\x01" * 3}, "span_id must be 8 bytes"),
        ({"parent_id": b"\x01" * 4}, "parent_span_id must be empty or 8 bytes"),
        ({"start_ns": 10**9}, "days or more from now"),
        ({"start_ns": time.time_ns() + 400 * 86_400 * 10**9}, "days or more from now"),
    ],
)
def test_bad_items_alone_are_400_and_with_good_ones_partial_success(
    shared_server: ServerProcess, bad: dict, expected: str
) -> None:
    status, _, reply = shared_server.post("/v1/traces", traces([span(**bad)]).SerializeToString())
    assert status == 400
    assert expected in status_message(reply)

    good = span()
    status, _, reply = shared_server.post(
        "/v1/traces", traces([span(**bad), good]).SerializeToString()
    )
    assert status == 200
    partial = ExportTraceServiceResponse.FromString(reply).partial_success
    assert partial.rejected_spans == 1 and expected in partial.error_message
    assert [s["span_id"] for s in wait_trace(shared_server, good.trace_id)["spans"]] == [
        good.span_id.hex()
    ]


def test_end_before_start_is_rejected(shared_server: ServerProcess) -> None:
    s = span()
    s.end_time_unix_nano = s.start_time_unix_nano - 1
    status, _, reply = shared_server.post("/v1/traces", traces([s]).SerializeToString())
    assert status == 400 and "end_time_unix_nano is before" in status_message(reply)


def test_json_partial_success(shared_server: ServerProcess) -> None:
    now = time.time_ns()
    spans = [
        {"traceId": "zz", "spanId": os.urandom(8).hex(), "name": "bad",
         "startTimeUnixNano": str(now), "endTimeUnixNano": str(now)},
        {"traceId": os.urandom(16).hex(), "spanId": os.urandom(8).hex(), "name": "good",
         "startTimeUnixNano": str(now), "endTimeUnixNano": str(now)},
    ]
    document = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    status, _, reply = shared_server.post(
        "/v1/traces", json.dumps(document).encode(), "application/json"
    )
    assert status == 200
    partial = json.loads(reply)["partialSuccess"]
    assert partial["rejectedSpans"] == 1 and "trace_id" in partial["errorMessage"]


def test_unsupported_media_type_and_encoding_are_415(shared_server: ServerProcess) -> None:
    status, _, reply = shared_server.post("/v1/traces", b"x", "text/plain")
    assert status == 415 and "text/plain" in json.loads(reply)["message"]
    status, _, reply = shared_server.post(
        "/v1/traces", b"x", PB, headers={"Content-Encoding": "br"}
    )
    assert status == 415 and "br" in status_message(reply)


def test_get_is_not_allowed(shared_server: ServerProcess) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(shared_server.otlp_url + "/v1/traces", timeout=5)
    assert info.value.code == 405


def test_size_limits_are_413_before_reading(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(
        {"BONGSU_MAX_WIRE_BYTES": "100000", "BONGSU_MAX_BODY_BYTES": "1000000"}
    ).start()
    status, _, reply = server.post("/v1/traces", b"\x00" * 100_001)
    assert status == 413 and "over the limit of 100000 bytes" in status_message(reply)

    # Chunked upload with no Content-Length: cut off while streaming.
    import http.client

    con = http.client.HTTPConnection("127.0.0.1", server.otlp_port, timeout=10)
    con.request("POST", "/v1/traces", body=iter([b"\x00" * 60_000] * 4),
                headers={"Content-Type": PB}, encode_chunked=True)
    response = con.getresponse()
    assert response.status == 413
    con.close()

    # A gzip bomb: 60 kB on the wire, 60 MB inflated.
    bomb = gzip.compress(b"\x00" * 60_000_000)
    assert len(bomb) < 100_000
    status, _, reply = server.post("/v1/traces", bomb, headers={"Content-Encoding": "gzip"})
    assert status == 413 and "inflates past the limit" in status_message(reply)
    status, _, reply = server.post(
        "/v1/traces", b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )
    assert status == 400 and "gzip body is malformed" in status_message(reply)
    assert server.api("/healthz")[0] == 200  # still serving


def test_backlog_over_its_bound_is_503_with_retry_after(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(
        {"BONGSU_INGEST_BACKLOG_BYTES": "1", "BONGSU_LOAD_BATCH_SECONDS": "3"}
    ).start()
    first = span()
    assert server.post("/v1/traces", traces([first]).SerializeToString())[0] == 200
    status, headers, reply = server.post("/v1/traces", traces([span()]).SerializeToString())
    assert status == 503 and headers["retry-after"] == "5"
    assert "behind on loading" in status_message(reply)
    wait_trace(server, first.trace_id, timeout=10)  # the first one was kept
    assert server.post("/v1/traces", traces([span()]).SerializeToString())[0] == 200


def test_full_write_queue_is_429_with_retry_after(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory({"BONGSU_INGEST_QUEUE_REQUESTS": "1"}).start()
    body = traces([span() for _ in range(2000)]).SerializeToString()
    results: list[tuple[int, dict[str, str]]] = []

    def send() -> None:
        status, headers, _ = server.post("/v1/traces", body)
        results.append((status, headers))

    for _ in range(5):
        threads = [threading.Thread(target=send) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(s == 429 for s, _ in results):
            break
    refused = [h for s, h in results if s == 429]
    assert refused and all(h["retry-after"] == "1" for h in refused)
    assert {s for s, _ in results} <= {200, 429}


def test_unknown_enum_values_and_deep_json_are_handled(shared_server: ServerProcess) -> None:
    odd = span(kind=200)
    odd.status.code = 99  # open enums: values no SDK sends today
    assert shared_server.post("/v1/traces", traces([odd]).SerializeToString())[0] == 200
    found = wait_trace(shared_server, odd.trace_id)
    assert (found["spans"][0]["kind"], found["spans"][0]["status"]) == ("unspecified", "unset")
    status, _, reply = shared_server.post("/v1/traces", b"[" * 100_000, "application/json")
    assert status == 400 and "nested too deeply" in json.loads(reply)["message"]
    assert shared_server.status()["load_failures"] == 0
