"""Pins of the Views pages (Web, Database, Hosts, Group) and of Instances, Data trend and
the memory analyzer, in a real browser against a server of its own (test_my_dashboard's:
panels are the one user's, so the shared console's server stays without any): a part of
each page pinned with its pin button is kept with the page's own selection (service,
database and statement, host, services, metric …, never the time range), and on My
dashboard it shows the figures the page showed for the same window; removed there, and
unpinned from its page, nothing is left. The memory analyzer, which has no chart or tile,
pins its comparison: two memory captures are pushed as an agent pushes them."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

from bongsu.agent._memory import capture_memory
from browser.conftest import Console, Problems
from browser.test_my_dashboard import FILLED, PRESSED, WAIT_MS, api, own
from server_process import ServerProcess

__all__ = ["own"]  # the fixture: this module gets its own server

pytestmark = pytest.mark.timeout(300)

#: The data-* attributes compared between the page and the pinned panel, per figure.
FIGURE = "e => e ? {...e.dataset} : null"


#: The service of the memory captures pushed.
CAPTURED = "pins-lab"


class Grown:
    """What grows between the two memory captures."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, i: int) -> None:
        self.a = i


def push_capture(server: ServerProcess, doc: dict[str, Any]) -> str:
    """A capture as the agent's watchdog sends one; its id."""
    body = json.dumps({"service": CAPTURED, "instance": f"{CAPTURED}-1", "host": "pod-x",
                       "pid": 42, "command_id": None, "kind": doc["kind"], "ok": True,
                       "result": doc, "error": ""}).encode()
    req = urllib.request.Request(f"{server.otlp_url}/v1/bongsu/agent/results", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return str(json.loads(r.read())["id"])


def figure(page: Any, sel: str) -> dict[str, str]:
    found: dict[str, str] | None = page.eval_on_selector(sel, FIGURE)
    assert found is not None, sel
    found.pop("state", None)
    return found


def pin(page: Any, panel: str, kind: str) -> None:
    button = page.locator(f"{panel} .pin-btn[data-kind='{kind}']")
    page.wait_for_function(PRESSED, arg=[f"{panel} .pin-btn[data-kind='{kind}']", "false"],
                           timeout=WAIT_MS)
    button.click()
    page.wait_for_function(PRESSED, arg=[f"{panel} .pin-btn[data-kind='{kind}']", "true"],
                           timeout=WAIT_MS)


def test_views_instances_trend_and_memory_pin_the_same_figures(
    page: Any, own: tuple[ServerProcess, Console], problems: Problems
) -> None:
    server, console = own
    for p in api(server, "/dashboards/mine")["panels"]:
        page.request.delete(f"{server.api_url}/api/v1/dashboards/mine/panels/{p['id']}")
    to = (int(time.time() * 1000) // 60_000) * 60_000 - 60_000
    frm = to - 15 * 60_000
    w = {"from": frm, "to": to}
    window = {"range": "custom", "from": str(frm), "to": str(to), "lang": "en", "theme": "dark"}

    def open_page(route: str, **extra: str) -> None:
        page.goto(f"{console.url}/#/{route}?{urllib.parse.urlencode({**extra, **window})}")
        page.wait_for_selector(f"#page-{route}", timeout=WAIT_MS)

    on_page: dict[str, tuple[str, dict[str, str]]] = {}  # kind → (figure's selector, figure)
    expected: list[tuple[str, dict[str, str]]] = []  # kind, params, in pinning order

    def take(kind: str, panel: str, sel: str, params: dict[str, str]) -> None:
        on_page[kind] = (sel, figure(page, sel))
        pin(page, panel, kind)
        expected.append((kind, params))

    # Web: the status classes chart and the top endpoints, of one service.
    endpoints = api(server, "/web/endpoints", order="total", limit=50, **w)["endpoints"]
    assert endpoints, "the simulated shop serves HTTP endpoints"
    web_service = endpoints[0]["service"]
    open_page("web", svc=web_service, order="calls")
    page.wait_for_function(FILLED, arg="#web-status-chart", timeout=WAIT_MS)
    page.wait_for_selector("#web-table tbody tr", timeout=WAIT_MS)
    take("web.statuses", "#web-status-panel", "#web-status-chart", {"svc": web_service})
    top = page.eval_on_selector_all("#web-table tbody tr", "rs => rs.map(r => ({...r.dataset}))")
    pin(page, "#web-top-panel", "web.top")
    expected.append(("web.top", {"svc": web_service, "order": "calls"}))

    # Database: the list of databases and one statement's chart.
    dbs = sorted(api(server, "/databases", **w)["databases"], key=lambda d: -d["total_ms"])
    assert dbs, "the simulated shop calls databases"
    db = dbs[0]["db"]
    stmts = api(server, f"/databases/{urllib.parse.quote(db, safe='')}/statements",
                order="total", limit=50, **w)["statements"]
    stmt = stmts[0]["fingerprint"]
    open_page("databases", db=db, stmt=stmt)
    page.wait_for_selector("#db-table tbody tr", timeout=WAIT_MS)
    page.wait_for_function(FILLED, arg="#stmt-chart", timeout=WAIT_MS)
    db_rows = page.eval_on_selector_all("#db-table tbody tr", "rs => rs.map(r => r.dataset.db)")
    assert db_rows == [d["db"] for d in dbs]
    pin(page, "#db-panel", "databases.list")
    expected.append(("databases.list", {}))
    take("databases.statement", "#stmt-detail-panel", "#stmt-chart", {"db": db, "stmt": stmt})

    # Hosts: a chosen host's CPU chart.
    hosts = api(server, "/hosts", **w)["hosts"]
    host = max(hosts, key=lambda h: (h["cpu_utilization"] is not None, h["instances"]))["host"]
    open_page("hosts", host=host)
    page.wait_for_function(FILLED, arg="#host-cpu-chart", timeout=WAIT_MS)
    take("hosts.cpu", "#host-cpu-panel", "#host-cpu-chart", {"host": host})

    # Group: two services' TPS chart, and one service's tile row.
    busy = [s["name"] for s in sorted(console.services, key=lambda s: -s["transactions"])[:2]]
    open_page("group", services=",".join(busy))
    page.wait_for_function(FILLED, arg="#group-tps-chart", timeout=WAIT_MS)
    take("group.tps", "#group-tps-panel", "#group-tps-chart", {"services": ",".join(busy)})
    tile = f"#group-tiles .group-tile[data-service='{busy[0]}']"
    take("group.tile", tile, tile, {"services": busy[0]})

    # Instances: the memory chart of one service's instances.
    service = console.db_service
    open_page("instances", service=service)
    page.wait_for_function(FILLED, arg="#inst-mem-chart", timeout=WAIT_MS)
    take("instances.memory", "#inst-mem-panel", "#inst-mem-chart", {"service": service})

    # Data trend: the service's memory over 7 days, one series.
    open_page("trend", service=service, days="7", group_by="service")
    page.wait_for_function(
        "() => (e => e && e.dataset.rendered && JSON.parse(e.dataset.days || '[]').length > 0)"
        "(document.querySelector('#trend-chart'))", timeout=WAIT_MS)
    take("trend.chart", "#trend-chart-panel", "#trend-chart",
         {"service": service, "days": "7", "group_by": "service"})

    # Memory analyzer: the newest two captures of an instance compared (pushed as an
    # agent's watchdog pushes them; none chosen, so the pin keeps only the service).
    base = push_capture(server, capture_memory())
    kept = [Grown(i) for i in range(20_000)]
    other = push_capture(server, capture_memory())
    assert kept
    open_page("memory", service=CAPTURED)
    page.wait_for_selector(f"#memory-compare-panel[data-other='{other}'] #compare-types",
                           timeout=WAIT_MS)
    assert page.get_attribute("#memory-compare-panel", "data-base") == base
    grew = page.eval_on_selector_all("#memory-compare-panel #compare-types tbody tr",
                                     "rs => rs.map(r => [r.dataset.key, r.dataset.deltaBytes])")
    assert any(key.endswith("Grown") for key, _ in grew), grew
    pin(page, "#memory-compare-panel", "memory.compare")
    expected.append(("memory.compare", {"service": CAPTURED}))

    pinned = api(server, "/dashboards/mine")["panels"]
    assert [(p["kind"], p["params"]) for p in pinned] == expected
    titles = {p["kind"]: p["title"] for p in pinned}
    assert titles["hosts.cpu"] == f"CPU · {host}"
    assert titles["web.statuses"].endswith(f" · {web_service}")

    # My dashboard: each panel shows what its page showed for the same window.
    page.goto(f"{console.url}/#/my-dashboard?{urllib.parse.urlencode(window)}")
    page.wait_for_function("n => document.querySelectorAll('.my-cell').length === n",
                           arg=len(expected), timeout=WAIT_MS)

    def cell(kind: str) -> str:
        return f".my-cell[data-kind='{kind}']"

    for kind, (sel, shown) in on_page.items():
        inside = f"{cell(kind)} {sel}" if kind != "group.tile" else f"{cell(kind)} .group-tile"
        if kind == "group.tile":
            page.wait_for_selector(inside, timeout=WAIT_MS)
        elif kind == "trend.chart":
            page.wait_for_function(
                "s => (e => e && e.dataset.rendered && e.dataset.days)(document.querySelector(s))",
                arg=inside, timeout=WAIT_MS)
        else:
            page.wait_for_function(FILLED, arg=inside, timeout=WAIT_MS)
        again = figure(page, inside)
        assert page.is_visible(inside), kind
        if kind == "trend.chart":
            assert json.loads(again["days"]) == json.loads(shown["days"]), kind
            assert again["fit"] == shown["fit"], kind
        else:
            assert {k: v for k, v in again.items() if k != "rendered"} == {
                k: v for k, v in shown.items() if k != "rendered"}, kind
    # Tables: the same rows.
    compared = f"{cell('memory.compare')} #memory-compare-panel"
    page.wait_for_selector(f"{compared}[data-other='{other}'] #compare-types", timeout=WAIT_MS)
    assert page.get_attribute(compared, "data-base") == base
    assert page.eval_on_selector_all(f"{compared} #compare-types tbody tr",
                                     "rs => rs.map(r => [r.dataset.key, r.dataset.deltaBytes])"
                                     ) == grew
    page.wait_for_selector(f"{cell('web.top')} #web-table tbody tr", timeout=WAIT_MS)
    assert page.eval_on_selector_all(f"{cell('web.top')} #web-table tbody tr",
                                     "rs => rs.map(r => ({...r.dataset}))") == top
    page.wait_for_selector(f"{cell('databases.list')} #db-table tbody tr", timeout=WAIT_MS)
    assert page.eval_on_selector_all(f"{cell('databases.list')} #db-table tbody tr",
                                     "rs => rs.map(r => r.dataset.db)") == db_rows
    # Only the pinned part of its page shows.
    assert not page.is_visible(f"{cell('databases.statement')} #db-panel")
    assert not page.is_visible(f"{cell('hosts.cpu')} #host-memory-panel")
    assert not page.is_visible(f"{cell('group.tps')} #group-tiles")

    # Removed on My dashboard: all but the host's CPU chart.
    for kind, _ in expected:
        if kind == "hosts.cpu":
            continue
        page.locator(f"{cell(kind)} button[data-act='remove']").focus()  # its tool strip
        page.keyboard.press("Enter")
        page.wait_for_selector(cell(kind), state="detached", timeout=WAIT_MS)
    assert [p["kind"] for p in api(server, "/dashboards/mine")["panels"]] == ["hosts.cpu"]
    # Unpinned from its page: the pressed pin there.
    open_page("hosts", host=host)
    page.wait_for_function(PRESSED, arg=["#host-cpu-panel .pin-btn", "true"], timeout=WAIT_MS)
    page.click("#host-cpu-panel .pin-btn")
    page.wait_for_function(PRESSED, arg=["#host-cpu-panel .pin-btn", "false"], timeout=WAIT_MS)
    assert api(server, "/dashboards/mine")["panels"] == []
    problems.check()
