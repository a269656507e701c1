"""`python -m bongsu.api.schema` prints the API's OpenAPI document, the same every time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import get_args

from bongsu.api.models import CaptureKind
from bongsu.api.schema import render
from bongsu.control.registry import COMMAND_KINDS


def test_schema_is_printed_without_a_server_or_data_dir(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bongsu.api.schema"], capture_output=True, text=True,
        check=True, cwd=str(tmp_path),
    ).stdout
    assert out == render()
    assert out.endswith("}\n")
    assert list(tmp_path.iterdir()) == []
    doc = json.loads(out)
    assert {"/api/v1/services", "/api/v1/topology", "/api/v1/active-requests"} <= set(
        doc["paths"]
    )


DOC = json.loads(render())
SCHEMAS = DOC["components"]["schemas"]


def _properties() -> list[tuple[str, str, dict[str, object]]]:
    return [(model, name, spec) for model, schema in SCHEMAS.items()
            for name, spec in schema.get("properties", {}).items()]


# POSTs that answer what they did at once rather than create or queue: a rule evaluated
# over the past, one test notification sent now, one probe of a check run now, metering
# hours recomputed now.
_ANSWER_ONLY = {"/api/v1/rules/preview", "/api/v1/channels/{channel_id}/test",
                "/api/v1/checks/{check_id}/run", "/api/v1/metering/recompute"}
# And those that make nothing new: they change the caller's session (A2's).
_ANSWER_ONLY |= {"/api/v1/orgs/{org_id}/switch", "/api/v1/invitations/accept"}
# Signing in answers the session it opened (A1's); signing out and setting a password
# answer 204 with no body; single sign-on is browser redirects (302).
_ANSWER_ONLY |= {"/api/v1/auth/login", "/api/v1/auth/verify"}
_NO_BODY = {"/api/v1/auth/logout", "/api/v1/auth/password/reset", "/api/v1/auth/password"}
_REDIRECTS = {"/api/v1/auth/oidc/start", "/api/v1/auth/oidc/callback"}


def test_every_operation_documents_its_body_and_errors() -> None:
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            # A POST queues (202) or creates (201), except the few that only work out an
            # answer and keep nothing (200); a DELETE answers 204 without a body.
            codes = {"post": ("200",) if path in _ANSWER_ONLY else ("201", "202"),
                     "delete": ("204",)}.get(method, ("200",))
            codes = ("204",) if path in _NO_BODY else ("302",) if path in _REDIRECTS else codes
            status = next((c for c in codes if c in operation["responses"]), None)
            assert status is not None, (path, method, list(operation["responses"]))
            if status not in ("204", "302"):
                content = operation["responses"][status]["content"]
                files = sorted(t for t in content if t != "application/json")
                if files and not content.get("application/json", {}).get("schema"):
                    # A file (a report, a screenshot): its media types are what it documents.
                    assert all("/" in t for t in files), (path, method, files)
                else:
                    ref = content["application/json"]["schema"]["$ref"]
                    assert ref.split("/")[-1] in SCHEMAS, (path, method)
            assert {"400", "401", "503", "504"} <= set(operation["responses"]), path
            assert "422" not in operation["responses"]
            for parameter in operation.get("parameters", []):
                assert parameter["in"] == "path" or parameter.get("description"), (
                    path, parameter["name"])


def test_every_field_is_described_with_its_unit() -> None:
    for model, name, spec in _properties():
        description = str(spec.get("description", ""))
        assert description, f"{model}.{name} has no description"
        if name.endswith("_ms") or name in ("ts", "start", "from", "to", "last_seen",
                                             "captured_at", "requested_at", "reported_at"):
            assert "ms" in description, f"{model}.{name}: {description}"
        if name in ("ts", "from", "to", "last_seen", "captured_at", "requested_at",
                    "reported_at"):
            assert "epoch ms" in description, f"{model}.{name}: {description}"
        if name == "tps":
            assert "per second" in description
        if name in ("error_rate", "apdex"):
            assert "0-1" in description, f"{model}.{name}: {description}"


def test_instance_rows_have_names() -> None:
    for model, schema in SCHEMAS.items():
        props = schema.get("properties", {})
        # Request bodies name the instance the caller means; they have no name to show.
        if "instance" in props and model not in ("CaptureRequest", "SupportView"):
            assert "instance_name" in props, model
    for model in ("ActiveRequests", "ServiceSummary"):
        assert "instance_names" in SCHEMAS[model]["properties"]
    for field in ("source_instance_name", "target_instance_name"):
        assert field in SCHEMAS["TopologyEdge"]["properties"]
    assert {"name", "instance", "instance_name"} <= set(SCHEMAS["TopologyNode"]["properties"])


def test_capture_kinds_match_the_registry() -> None:
    assert set(get_args(CaptureKind)) == set(COMMAND_KINDS)
