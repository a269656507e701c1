"""Metering through a real server watching a simulated cluster on loopback.

The figures are recomputed here by hand: each container's request and usage are the
fixture's (``cluster.SPEC``), and the minutes it was seen in are read back from the
server's own metric series (one step a minute); core-hours are then value x minutes / 60
and allocation max(request, usage) x minutes / 60.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from bongsu.kube import metric_names as m
from bongsu.simulate.kube import ApiServer, FakeCluster

from .cluster import GI, METERED, NODES, Spec, populate

HOUR_MS = 3_600_000
NAMES = (m.CPU_REQUEST, m.CPU_USAGE, m.MEMORY_REQUEST, m.MEMORY_USAGE)


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, params: dict[str, Any] | None = None,
             body: Any = None) -> tuple[int, Any, str]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path + query, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                text, status, kind = r.read().decode(), r.status, r.headers["content-type"]
        except urllib.error.HTTPError as e:
            text, status, kind = e.read().decode(), e.code, e.headers["content-type"]
        return status, json.loads(text) if kind.startswith("application/json") else text, kind

    def get(self, path: str, **params: Any) -> Any:
        status, body, _ = self.call("GET", path, params)
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from server_process import ServerProcess

    root = tmp_path_factory.mktemp("metering")
    cluster = FakeCluster(name="lab")
    populate(cluster)
    with ApiServer(cluster) as kube:
        server = ServerProcess(root / "data", {
            "BONGSU_KUBE_CLUSTERS": f"lab={kube.kubeconfig(root / 'lab.kubeconfig')}",
            "BONGSU_KUBE_USAGE_INTERVAL_SECONDS": "1",
            "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "1",
            # The job's own rounds would recompute between the test's reads.
            "BONGSU_METERING_INTERVAL_SECONDS": "3600"}).start()
        try:
            yield Api(server.api_url)
        finally:
            server.stop()


def _window() -> dict[str, int]:
    now = int(time.time() * 1000)
    return {"from": now // HOUR_MS * HOUR_MS - HOUR_MS, "to": now // HOUR_MS * HOUR_MS + HOUR_MS}


def _minutes(api: Api, window: dict[str, int]) -> dict[str, frozenset[int]]:
    """Per pod: the minutes with any of its request or usage points, as stored."""
    out = {}
    for pod in sorted({(s.namespace, s.pod) for s in METERED}):
        seen: set[int] = set()
        for name in NAMES:
            body = api.get("/api/v1/metrics/series", name=name, instance=f"lab/{pod[0]}/{pod[1]}",
                           step=60, **window)
            seen |= {p["ts"] for p in body["points"]}
        out[pod[1]] = frozenset(seen)
    return out


@pytest.fixture(scope="module")
def settled(api: Api) -> tuple[dict[str, frozenset[int]], dict[str, int]]:
    """Minutes per pod that stay the same across two recomputes (points keep arriving every
    second: only then do the stored hours reflect exactly the minutes read)."""
    window = _window()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        before = _minutes(api, window)
        if all(before.values()):
            status, first, _ = api.call("POST", "/api/v1/metering/recompute", window)
            assert status == 200, first
            rows = api.get("/api/v1/metering", group_by="workload", **window)
            status, again, _ = api.call("POST", "/api/v1/metering/recompute", window)
            assert status == 200 and again["rows"] == first["rows"], again
            if _minutes(api, window) == before:
                # recomputed twice: still one row per container and hour
                assert api.get("/api/v1/metering", group_by="workload", **window) == rows
                assert first["rows"] == len(METERED) * len(
                    {t // HOUR_MS for ts in before.values() for t in ts})
                return before, window
        time.sleep(0.5)
    raise AssertionError("the stored minutes never settled")


def _expected(s: Spec, minutes: int) -> dict[str, float]:
    cpu_use = s.cpu_usage or 0.0
    mem_use = (s.memory_usage or 0) / GI
    mem_req = s.memory_request / GI
    h = minutes / 60
    return {"cpu_request": s.cpu_request * h, "cpu_usage": cpu_use * h,
            "cpu_allocated": max(s.cpu_request, cpu_use) * h, "memory_request": mem_req * h,
            "memory_usage": mem_use * h, "memory_allocated": max(mem_req, mem_use) * h}


def _sum(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for r in rows:
        for k, v in r.items():
            out[k] += v
    return dict(out)


def _approx(figures: dict[str, float]) -> Any:
    return pytest.approx(figures, rel=1e-6, abs=1e-9)


def _key(s: Spec, group_by: str) -> tuple[str, str]:
    return {"namespace": ("lab", s.namespace), "workload": ("lab", f"{s.namespace}/{s.workload}"),
            "team": ("", s.team), "cluster": ("lab", "lab")}[group_by]


@pytest.mark.parametrize("group_by", ["namespace", "workload", "team", "cluster"])
def test_figures_recomputed_by_hand(api: Api, settled: Any, group_by: str) -> None:
    minutes, window = settled
    body = api.get("/api/v1/metering", group_by=group_by, **window)
    expected: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for s in METERED:
        expected[_key(s, group_by)].append(_expected(s, len(minutes[s.pod])))
    got = {(g["cluster"], g["key"]): g["figures"] for g in body["groups"]}
    assert set(got) == set(expected)  # the Pending pod is nowhere
    for key, rows in expected.items():
        assert got[key] == _approx(_sum(rows)), key
    assert {(g["cluster"], g["key"]): g["containers"] for g in body["groups"]} == {
        k: len(v) for k, v in expected.items()}
    assert body["totals"] == _approx(_sum([_expected(s, len(minutes[s.pod])) for s in METERED]))


def test_nodes_idle_and_capacity_add_up(api: Api, settled: Any) -> None:
    minutes, window = settled
    body = api.get("/api/v1/metering", **window)
    sampled = len(frozenset().union(*minutes.values()))  # the cluster's minutes
    nodes = {n["node"]: n for n in body["nodes"]}
    assert set(nodes) == set(NODES)
    for name, (cores, memory) in NODES.items():
        on = _sum([_expected(s, len(minutes[s.pod])) for s in METERED if s.node == name])
        n = nodes[name]
        assert n["cpu_capacity"] == pytest.approx(cores * sampled / 60)
        assert n["memory_capacity"] == pytest.approx(memory / GI * sampled / 60)
        assert n["cpu_allocated"] == pytest.approx(on["cpu_allocated"])
        assert n["cpu_idle"] == pytest.approx(cores * sampled / 60 - on["cpu_allocated"])
        assert n["memory_idle"] == pytest.approx(memory / GI * sampled / 60
                                                 - on["memory_allocated"])
    c = body["capacity"]
    assert c["cpu_allocated"] + c["cpu_idle"] == pytest.approx(c["cpu_capacity"])
    assert c["cpu_capacity"] == pytest.approx(sum(v[0] for v in NODES.values()) * sampled / 60)
    assert c["memory_capacity"] == pytest.approx(
        sum(v[1] for v in NODES.values()) / GI * sampled / 60)


def _month(window: dict[str, int]) -> str:
    return time.strftime("%Y-%m", time.gmtime(window["to"] / 1000 - 1))


def test_statement_costs_by_the_rate_card(api: Api, settled: Any) -> None:
    minutes, window = settled
    month = _month(window)
    if _month({"to": window["from"] + 1000}) != month:
        pytest.fail("the window spans two months; run again in a minute")
    assert api.get("/api/v1/metering/rates") == {
        "default": {"currency": "USD", "cpu_core_hour": 0.031611, "memory_gib_hour": 0.004237},
        "clusters": {}}
    for cpu_price, mem_price in ((45.0, 6.0), (90.0, 6.0)):
        card: dict[str, Any] = {
                "default": {"currency": "USD", "cpu_core_hour": 1.0, "memory_gib_hour": 1.0},
                "clusters": {"lab": {"currency": "KRW", "cpu_core_hour": cpu_price,
                                     "memory_gib_hour": mem_price}}}
        status, saved, _ = api.call("PUT", "/api/v1/metering/rates", body=card)
        assert (status, saved) == (200, card)
        s = api.get("/api/v1/metering/statement", month=month, group_by="team")
        assert s["currency"] == "KRW"

        def cost(f: dict[str, float], kind: str, cpu: float = cpu_price,
                 mem: float = mem_price) -> float:
            return f[f"cpu_{kind}"] * cpu + f[f"memory_{kind}"] * mem

        lines = {line["key"]: line for line in s["lines"]}
        teams: dict[str, list[dict[str, float]]] = defaultdict(list)
        for spec in METERED:
            teams[spec.team].append(_expected(spec, len(minutes[spec.pod])))
        assert set(lines) == {"payments", "storefront", ""}
        sampled = len(frozenset().union(*minutes.values()))
        capacity = sum(c * cpu_price + b / GI * mem_price for c, b in NODES.values()) * sampled / 60
        allocation = sum(cost(_sum(rows), "allocated") for rows in teams.values())
        for team, rows in teams.items():
            f = _sum(rows)
            line = lines[team]
            assert line["request_cost"] == pytest.approx(cost(f, "request"))
            assert line["usage_cost"] == pytest.approx(cost(f, "usage"))
            assert line["allocation_cost"] == pytest.approx(cost(f, "allocated"))
            # its share of the idle, by allocation cost
            assert line["idle_cost"] == pytest.approx(
                (capacity - allocation) * cost(f, "allocated") / allocation)
        assert s["capacity_cost"] == pytest.approx(capacity)
        assert s["idle_cost"] == pytest.approx(capacity - allocation)
        assert sum(x["total_cost"] for x in s["lines"]) + s["unassigned_idle_cost"] == \
            pytest.approx(s["capacity_cost"])
        assert s["rates"] == {"lab": card["clusters"]["lab"]}
        # the CSV says the same, lines in the same order, and its total is the capacity
        status, text, kind = api.call("GET", "/api/v1/metering/statement",
                                      {"month": month, "group_by": "team", "format": "csv"})
        assert status == 200 and kind.startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(text)))
        assert [r["group"] for r in table] == [*[x["key"] for x in s["lines"]],
                                               "(idle, unassigned)", "(total)"]
        for row, line in zip(table, s["lines"], strict=False):
            assert float(row["allocation_cost"]) == pytest.approx(line["allocation_cost"],
                                                                  abs=1e-5)
            assert float(row["total_cost"]) == pytest.approx(line["total_cost"], abs=1e-5)
        assert float(table[-1]["total_cost"]) == pytest.approx(capacity, abs=1e-5)
        assert {r["currency"] for r in table} == {"KRW"}


@pytest.mark.parametrize(("method", "path", "params", "body", "field"), [
    ("GET", "/api/v1/metering/statement", {"month": "2026-13"}, None, "month"),
    ("GET", "/api/v1/metering/statement", {"month": "Nov 2026"}, None, "month"),
    ("GET", "/api/v1/metering/statement", {}, None, "month"),
    ("GET", "/api/v1/metering/statement", {"month": "2026-11", "group_by": "pod"}, None,
     "group_by"),
    ("GET", "/api/v1/metering/statement", {"month": "2026-11", "format": "pdf"}, None,
     "format"),
    ("GET", "/api/v1/metering", {"group_by": "node"}, None, "group_by"),
    ("GET", "/api/v1/metering", {"from": "yesterday"}, None, "from"),
    ("GET", "/api/v1/metering", {"from": "1796000000000", "to": "1795000000000"}, None, "from"),
    ("GET", "/api/v1/metering", {"month": "2026-11"}, None, "month"),  # unknown here
    ("POST", "/api/v1/metering/recompute", {"from": "1796000000000", "to": "1796400000000"},
     None, "from"),  # 112 hours
    ("POST", "/api/v1/metering/recompute", {"cluster": "nope"}, None, "cluster"),
    ("PUT", "/api/v1/metering/rates", None,
     {"default": {"currency": "usd", "cpu_core_hour": 1, "memory_gib_hour": 1}}, "currency"),
    ("PUT", "/api/v1/metering/rates", None,
     {"default": {"currency": "USD", "cpu_core_hour": -1, "memory_gib_hour": 1}},
     "cpu_core_hour"),
    ("PUT", "/api/v1/metering/rates", None,
     {"default": {"currency": "USD", "cpu_core_hour": 1}}, "memory_gib_hour"),
    ("PUT", "/api/v1/metering/rates", None,
     {"default": {"currency": "USD", "cpu_core_hour": 1, "memory_gib_hour": 1},
      "clusters": {"lab": {"currency": "USD", "cpu_core_hour": 1, "memory_gib_hour": 1,
                           "vat": 0.1}}}, "vat"),
])
def test_bad_input_is_a_400_naming_the_field(api: Api, method: str, path: str,
                                             params: dict[str, str] | None, body: Any,
                                             field: str) -> None:
    before = api.get("/api/v1/metering/rates")
    status, answer, _ = api.call(method, path, params, body)
    assert status == 400, answer
    assert field in answer["detail"], answer
    assert api.get("/api/v1/metering/rates") == before  # a refused card changes nothing
