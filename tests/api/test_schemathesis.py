"""Schemathesis against a real ``bongsu server`` holding the simulator's shop: every v1
operation, valid and invalid inputs, no 5xx, and every response matches its schema.

The instance names the server gives are checked against the resources the simulator sent
(its pods carry ``k8s.pod.name``), decoded here with the official protobuf classes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bongsu.simulate import generate
from server_process import ServerProcess

MINUTE_NS = 60 * 10**9
# Runs per operation: (document, generation mode, examples).
RUNS = [("real values", GenerationMode.POSITIVE, 40),
        ("as documented", GenerationMode.POSITIVE, 25),
        ("as documented", GenerationMode.NEGATIVE, 25)]
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A server with ten minutes of the simulator's traffic, and the pods it sent."""
    server = ServerProcess(Path(tmp_path_factory.mktemp("schemathesis")) / "data",
                           {"BONGSU_EDGE_MATCH_SECONDS": "1",
                            "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    start_ns = (time.time_ns() // MINUTE_NS - 12) * MINUTE_NS
    pods: dict[str, str] = {}
    bodies: dict[str, list[bytes]] = {}
    for export in generate(seed=11, start_ns=start_ns, duration_s=600, rate=3):
        bodies.setdefault(export.kind, []).append(export.body)
    for kind, parts in bodies.items():
        # Serialized protobuf messages concatenate into one merged message: 50 exports a
        # request instead of 6,000 requests (~8 ms each here).
        for i in range(0, len(parts), 50):
            status, _, reply = server.post(f"/v1/{kind}", b"".join(parts[i:i + 50]))
            assert status == 200, reply
    for rs in ExportTraceServiceRequest.FromString(b"".join(bodies["traces"])).resource_spans:
        attrs = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
        pods[attrs["service.instance.id"]] = attrs["k8s.pod.name"]
    server.wait_loaded()
    yield server, pods
    server.stop()


def test_instance_names_are_the_pods_sent(shop: tuple[ServerProcess, dict[str, str]]
                                          ) -> None:
    server, pods = shop
    status, body = server.api("/api/v1/instances?window=600")
    assert status == 200 and body["instances"]
    for row in body["instances"]:
        assert row["instance_name"] == pods[row["instance"]]
        assert row["instance_name"] != row["instance"]
    status, services = server.api("/api/v1/services")
    for service in services["services"]:
        assert service["instance_names"] == {i: pods[i] for i in service["instance_names"]}
    deadline = time.monotonic() + 20
    while True:
        status, topo = server.api("/api/v1/topology?level=instance")
        if topo["edges"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for node in topo["nodes"]:
        if node["kind"] == "service":
            assert node["name"] == node["instance_name"] == pods[node["id"]]
    for edge in topo["edges"]:
        assert edge["source_instance_name"] == pods[edge["source"]]


def _with_real_values(doc: dict[str, Any], values: dict[str, list[str]]) -> dict[str, Any]:
    """The document with the parameters named in ``values`` held to those values, so
    generated requests reach real services, instances, traces and windows."""
    doc = copy.deepcopy(doc)
    for item in doc["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in values:
                    parameter["schema"] = {"enum": values[parameter["name"]]}
    return doc


def test_a_long_query_string_gets_the_apis_own_json_400(
        shop: tuple[ServerProcess, dict[str, str]]) -> None:
    """A request line of 100 kB to 900 kB reaches the API (not the HTTP parser's plain-text
    400), whose answer names the parameter; schemathesis once sent ~100 kB."""
    server, _ = shop
    for size in (100_000, 900_000):
        name = "%F2%B5%91%AB" * (size // 12)  # one 4-byte character, percent-encoded
        status, body = server.api(f"/api/v1/groups?services={name}")
        assert status == 400, body
        assert body["detail"].startswith("services"), body


def test_every_operation_matches_its_schema(shop: tuple[ServerProcess, dict[str, str]]
                                            ) -> None:
    server, pods = shop
    doc = httpx.get(server.api_url + "/openapi.json").json()
    services = [s["name"] for s in server.api("/api/v1/services")[1]["services"]]
    traces = [t["trace_id"] for t in server.api("/api/v1/traces?limit=5")[1]["traces"]]
    now_ms = time.time_ns() // 1_000_000
    schemas = {"as documented": schemathesis.openapi.from_dict(doc),
               "real values": schemathesis.openapi.from_dict(_with_real_values(doc, {
                   "service": services, "instance": sorted(pods), "trace_id": traces,
                   "from": [str(now_ms - 900_000), str(now_ms - 3_600_000)],
                   "to": [str(now_ms)]}))}
    failures: list[str] = []
    for name, mode, examples in RUNS:
        for result in schemas[name].get_all_operations():
            assert isinstance(result, Ok), result
            found = _findings(result.ok(), mode, examples, server.api_url)
            if found:
                failures.append(f"[{name}, {mode.value}] {found}")
    assert not failures, "\n\n".join(failures)


def _findings(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode,
              examples: int, base_url: str) -> str | None:
    """What schemathesis found wrong with one operation, or None."""
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        case.call_and_validate(base_url=base_url, checks=checks)

    try:
        run()
    except Unsatisfiable:
        return None  # no parameter of this operation can be made invalid
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a FailureGroup
        return f"{operation.label}: {exc}"
    return None
