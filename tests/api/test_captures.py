"""The captures API through a real ``bongsu server``: documents the agent's own capture
functions took in this process, pushed on the control channel as its watchdog does
(``command_id`` null), then listed, read with their analysis and compared — per tenant,
with a 400 naming the field for bad input, and kept by their own retention."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from accounts.people import People
from bongsu.accounts.roles import Role
from bongsu.agent._memory import capture_memory
from bongsu.agent._threads import capture_threads
from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing
from server_process import ServerProcess, survivors

HOUR_NS = 3600 * 10**9


class Client:
    """One tenant: its agents push with the ingest key, its people read with an API token."""

    def __init__(self, server: ServerProcess, key: str, token: str) -> None:
        self.server = server
        self.key = key
        self.token = token

    def _call(self, url: str, method: str, body: Any) -> tuple[int, Any]:
        credential = self.key if url.startswith(self.server.otlp_url) else self.token
        request = urllib.request.Request(
            url, data=None if body is None else json.dumps(body).encode(), method=method,
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {credential}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path: str, status: int = 200) -> Any:
        got, answer = self._call(self.server.api_url + path, "GET", None)
        assert got == status, (path, got, answer)
        return answer

    def refused(self, path: str, status: int = 400, body: Any = None) -> str:
        got, answer = self._call(self.server.api_url + path, "POST" if body else "GET", body)
        assert got == status, (path, got, answer)
        return str(answer["detail"])

    def push(self, doc: dict[str, Any], instance: str = "orders-1") -> str:
        """A capture sent as the agent's watchdog sends one; its new id."""
        got, answer = self._call(self.server.otlp_url + "/v1/bongsu/agent/results", "POST", {
            "service": "orders", "instance": instance, "host": "pod-x", "pid": 42,
            "command_id": None, "kind": doc["kind"], "ok": True, "result": doc, "error": ""})
        assert got == 200, answer
        return str(answer["id"])


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Client]]:
    data = tmp_path_factory.mktemp("captures-api") / "data"
    data.mkdir()
    ring = KeyRing(connect(f"sqlite:///{data / 'meta.sqlite'}"))
    acme, beta = ring.create("acme").key, ring.create("beta").key
    ring.close()
    assert acme and beta
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    acme_token = people.member(people.org_of("acme"), "ACME_EDITOR", Role.EDITOR)[1]
    beta_token = people.member(people.org_of("beta"), "BETA_EDITOR", Role.EDITOR)[1]
    people.close()
    server = ServerProcess(data, {
        "BONGSU_AUTH": "accounts",
        "BONGSU_FSYNC": "off", "BONGSU_RETENTION_DAYS": "0.1",  # telemetry: 2.4 hours
        "BONGSU_CAPTURE_RETENTION_DAYS": "0.5", "BONGSU_RETENTION_INTERVAL_SECONDS": "1",
    }).start()
    try:
        yield Client(server, acme, acme_token), Client(server, beta, beta_token)
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


class Leaky:
    __slots__ = ("a", "b", "c", "d", "e", "f", "g", "h")

    def __init__(self, i: int) -> None:
        self.a = i


@pytest.fixture(scope="module")
def memory_pair(tenants: tuple[Client, Client]) -> tuple[str, str, int]:
    """Two memory captures of this process, 50,000 Leaky objects apart: their ids."""
    acme, _ = tenants
    kept: list[Leaky] = []
    base = capture_memory()
    kept.extend(Leaky(i) for i in range(50_000))
    other = capture_memory()
    return acme.push(base), acme.push(other), sys.getsizeof(kept[0])


def test_a_stored_capture_has_its_analysis(tenants: tuple[Client, Client],
                                           memory_pair: tuple[str, str, int]) -> None:
    acme, _ = tenants
    _, other_id, size = memory_pair
    one = acme.get(f"/api/v1/captures/{other_id}")
    assert (one["kind"], one["format"], one["status"]) == ("memory", "bongsu.memory/1", "done")
    assert one["trigger"] == {"reason": "request", "detail": "", "rule_id": None}
    leaky = [t for t in one["analysis"]["top_types"] if t["type"].endswith("Leaky")]
    assert [(t["count"], t["bytes"]) for t in leaky] == [(50_000, 50_000 * size)]
    assert one["analysis"]["rss_bytes"] == one["payload"]["process"]["rss_bytes"]
    assert one["headline"] == one["analysis"]["headline"]
    assert one["headline"].startswith("rss ")
    assert one["captured_at"] == one["payload"]["captured_at_unix_nano"] // 10**6


def test_compare_ranks_the_leaked_type_first(tenants: tuple[Client, Client],
                                             memory_pair: tuple[str, str, int]) -> None:
    acme, _ = tenants
    base_id, other_id, size = memory_pair
    c = acme.get(f"/api/v1/captures/compare?base={base_id}&other={other_id}")
    assert c["kind"] == "memory"
    assert (c["base"]["id"], c["other"]["id"]) == (base_id, other_id)
    assert c["base"]["instance_name"] == "orders-1" and "payload" not in c["base"]
    first = c["comparison"]["suspects"][0]
    assert first["name"].endswith("Leaky") and first["what"] == "type"
    assert (first["count_grown"], first["bytes_grown"]) == (50_000, 50_000 * size)
    assert "+50,000" in c["comparison"]["headline"]


def test_compare_needs_two_stored_captures_of_one_kind(
        tenants: tuple[Client, Client], memory_pair: tuple[str, str, int]) -> None:
    acme, beta = tenants
    base_id, other_id, _ = memory_pair
    threads_id = acme.push(capture_threads(None))
    detail = acme.refused(f"/api/v1/captures/compare?base={base_id}&other={threads_id}")
    assert detail.startswith("other: a threads capture; base is a memory capture")
    detail = acme.refused(f"/api/v1/captures/compare?base=nope&other={other_id}", 404)
    assert detail == "base: capture 'nope' not found"
    detail = acme.refused(f"/api/v1/captures/compare?base={base_id}&other=nope", 404)
    assert detail == "other: capture 'nope' not found"
    assert acme.refused(f"/api/v1/captures/compare?base={base_id}").startswith("other:")
    # Another tenant's captures are not found, neither one by one nor compared nor listed.
    beta.refused(f"/api/v1/captures/{base_id}", 404)
    assert beta.refused(
        f"/api/v1/captures/compare?base={base_id}&other={other_id}", 404).startswith("base:")
    assert beta.get("/api/v1/captures")["captures"] == []


def test_list_by_kind_instance_and_window(tenants: tuple[Client, Client]) -> None:
    acme, _ = tenants
    now = time.time_ns()
    docs = []
    for hours_ago, kind in ((3, "threads"), (2, "memory"), (1, "threads")):
        doc = capture_threads(None) if kind == "threads" else capture_memory()
        doc["captured_at_unix_nano"] = now - hours_ago * HOUR_NS  # past the telemetry's 2.4 h
        docs.append((acme.push(doc, instance="listing-1"), doc))
    (t3, _), (m2, _), (t1, _) = docs
    rows = acme.get("/api/v1/captures?instance=listing-1")["captures"]
    assert [r["id"] for r in rows] == [t1, m2, t3]  # newest first
    assert {r["instance_name"] for r in rows} == {"listing-1"}
    kinds = acme.get("/api/v1/captures?instance=listing-1&kind=threads")["captures"]
    assert [r["id"] for r in kinds] == [t1, t3]
    assert kinds[0]["headline"].startswith(f"{len(docs[2][1]['threads'])} threads")
    start_ms, end_ms = (now - int(2.5 * HOUR_NS)) // 10**6, (now - HOUR_NS) // 10**6
    window = acme.get(f"/api/v1/captures?instance=listing-1&from={start_ms}&to={end_ms}")
    assert [r["id"] for r in window["captures"]] == [m2]  # to is exclusive
    assert "payload" not in rows[0] and "analysis" not in rows[0]


def test_bad_input_is_a_400_naming_the_field(tenants: tuple[Client, Client]) -> None:
    acme, _ = tenants
    assert acme.refused("/api/v1/captures?kind=heap").startswith("kind:")
    assert acme.refused("/api/v1/captures?from=2026-01-02&to=2026-01-01").startswith("from:")
    assert acme.refused("/api/v1/captures?to=yesterday").startswith("to:")
    assert acme.refused("/api/v1/captures?since=1").startswith("since: an unknown query")
    assert acme.refused("/api/v1/captures/compare?base=a&other=b&x=1").startswith("x:")
    body = {"service": "orders", "instance": "orders-1", "kind": "threads",
            "args": {"window_s": 5}}
    assert acme.refused("/api/v1/captures", body=body).startswith("args.window_s")
    body = {**body, "kind": "memory", "args": {"window_s": 600}}
    assert "window_s" in acme.refused("/api/v1/captures", body=body)
    body = {**body, "kind": "memory", "args": {"windows": 5}}
    assert "windows" in acme.refused("/api/v1/captures", body=body)


def test_captures_outlive_telemetry_retention_and_have_their_own(
        tenants: tuple[Client, Client]) -> None:
    acme, _ = tenants
    now = time.time_ns()
    old, recent = capture_threads(None), capture_threads(None)
    old["captured_at_unix_nano"] = now - 20 * HOUR_NS  # past 0.5 days
    recent["captured_at_unix_nano"] = now - 5 * HOUR_NS  # past telemetry's 0.1 days only
    old_id, recent_id = acme.push(old, "gone-pod"), acme.push(recent, "gone-pod")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the retention job runs every second
        status, _ = acme._call(f"{acme.server.api_url}/api/v1/captures/{old_id}", "GET", None)
        if status == 404:
            break
        time.sleep(0.2)
    acme.get(f"/api/v1/captures/{old_id}", 404)
    kept = acme.get(f"/api/v1/captures/{recent_id}")
    assert kept["instance"] == "gone-pod" and kept["analysis"]["thread_count"] == len(
        recent["threads"])
