"""The cross-service views in a real Chromium against the simulator-fed server: the
Database, Web, Hosts and Group pages show what the API answers for the same finished
window (its figures cannot move between the page's call and the test's), a statement
opens its slowest calls and one of them its trace, and every page draws without a
console error. The API's figures themselves are recomputed from the data sent in
tests/api (databases, web, hosts, groups)."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_console import CHART_WAIT_MS, FILLED, drag_tmap, finished_window, shot

pytestmark = pytest.mark.timeout(240)


def open_view(page: Any, console: Console, route: str, window: dict[str, int],
              **extra: str) -> None:
    query = urllib.parse.urlencode({"range": "custom", "from": window["from"],
                                    "to": window["to"], "lang": "en", "theme": "dark",
                                    **extra})
    page.goto(f"{console.url}/#/{route}?{query}")
    page.wait_for_selector(f"#page-{route}", timeout=20_000)


def rows(page: Any, selector: str) -> list[dict[str, str]]:
    return list(page.eval_on_selector_all(selector, "rs => rs.map(r => ({...r.dataset}))"))


def num(v: float | int | None) -> str:
    """A figure as the page writes it into a data attribute ("" for null)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def test_database_page_lists_databases_statements_and_slow_calls(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    w = finished_window()
    api = console.get("/api/v1/databases", **w)["databases"]
    assert api, "the simulated shop calls databases"
    open_view(page, console, "databases", w)
    page.wait_for_selector("#db-table tbody tr")
    shown = rows(page, "#db-table tbody tr")
    expected = sorted(api, key=lambda d: -d["total_ms"])
    assert [r["db"] for r in shown] == [d["db"] for d in expected]
    for r, d in zip(shown, expected, strict=True):
        assert (r["calls"], r["errors"], r["avg"], r["p95"], r["connections"]) == (
            num(d["calls"]), num(d["errors"]), num(d["avg_ms"]), num(d["p95_ms"]),
            num(d["connections"])), d["db"]
    # Callers link to their dashboards.
    callers = page.eval_on_selector_all(
        f"#db-table tr[data-db='{expected[0]['db']}'] td.callers a",
        "as => as.map(a => a.textContent)")
    assert callers == [c["service"] for c in expected[0]["callers"]]

    db = expected[0]["db"]
    page.click(f"#db-table tr[data-db='{db}']")
    page.wait_for_selector("#stmt-table tbody tr")
    for order in ("total", "calls", "p95", "errors"):
        if order != "total":
            page.click(f"#stmt-order [data-order={order}]")
            page.wait_for_selector(f"#stmt-order [data-order={order}].on")
        want = console.get(f"/api/v1/databases/{urllib.parse.quote(db)}/statements",
                           order=order, limit=50, **w)["statements"]
        page.wait_for_function(
            "n => document.querySelectorAll('#stmt-table tbody tr').length === n",
            arg=len(want))
        got = rows(page, "#stmt-table tbody tr")
        assert [(r["fingerprint"], r["calls"], r["total"], r["p95"], r["errors"]) for r in got] == [
            (s["fingerprint"], num(s["calls"]), num(s["total_ms"]), num(s["p95_ms"]),
             num(s["errors"])) for s in want], order
    assert "order=errors" in page.url

    # The statement with the most time: its normalised text, series and slowest calls.
    top = console.get(f"/api/v1/databases/{urllib.parse.quote(db)}/statements",
                      order="total", limit=50, **w)["statements"][0]
    page.click("#stmt-order [data-order=total]")
    page.wait_for_selector("#stmt-order [data-order=total].on")
    page.click(f"#stmt-table tr[data-fingerprint='{top['fingerprint']}']")
    page.wait_for_selector(f"#stmt-text[data-fingerprint='{top['fingerprint']}']")
    detail = console.get(
        f"/api/v1/databases/{urllib.parse.quote(db)}/statements/{top['fingerprint']}", **w)
    assert page.inner_text("#stmt-text") == detail["text"] == top["text"]
    page.wait_for_function(f"sel => {FILLED}", arg="#stmt-chart", timeout=CHART_WAIT_MS)
    assert page.eval_on_selector("#stmt-chart", "e => e.dataset.calls") == str(top["calls"])
    assert page.eval_on_selector("#stmt-chart", "e => e.dataset.points") == str(
        len(detail["points"]))
    slow = rows(page, "#slow-table tbody tr")
    assert slow and [(r["trace"], r["duration"]) for r in slow] == [
        (c["trace_id"], num(c["duration_ms"])) for c in detail["slow_calls"]]
    shot(page, screenshots, "databases")

    # The slowest call opens its trace, which holds a span of that duration.
    trace_id = slow[0]["trace"]
    page.click(f"#slow-table tr[data-trace='{trace_id}'] a.trace-link")
    page.wait_for_selector(f"#page-trace[data-trace-id='{trace_id}']", timeout=20_000)
    spans = console.get(f"/api/v1/traces/{trace_id}")["spans"]
    assert any(abs(s["duration_ms"] - detail["slow_calls"][0]["duration_ms"]) < 0.01
               for s in spans)
    problems.check()


def test_web_page_endpoints_statuses_and_ingress(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    w = finished_window()
    open_view(page, console, "web", w)
    page.wait_for_selector("#web-table tbody tr")

    def endpoints(order: str, limit: int) -> list[tuple[str, ...]]:
        got = console.get("/api/v1/web/endpoints", order=order, limit=limit, **w)["endpoints"]
        return [(e["service"], e["endpoint"], num(e["calls"]), num(e["total_ms"]),
                 num(e["errors"]), num(e["p95_ms"])) for e in got]

    def shown(sel: str) -> list[tuple[str, ...]]:
        return [(r["service"], r["endpoint"], r["calls"], r["total"], r["errors"], r["p95"])
                for r in rows(page, sel)]

    assert shown("#web-table tbody tr") == endpoints("total", 50)
    assert shown("#web-slow-table tbody tr") == endpoints("p95", 10)
    page.click("#web-order [data-order=calls]")
    page.wait_for_selector("#web-order [data-order=calls].on")
    page.wait_for_selector("#web-table tbody tr")
    want = endpoints("calls", 50)
    assert shown("#web-table tbody tr") == want
    assert [int(c) for _, _, c, *_ in want] == sorted((int(c) for _, _, c, *_ in want),
                                                      reverse=True)

    statuses = console.get("/api/v1/web/statuses", **w)
    assert statuses["total"] > 0
    page.wait_for_function(f"sel => {FILLED}", arg="#web-status-chart", timeout=CHART_WAIT_MS)
    chart = page.eval_on_selector("#web-status-chart", "e => ({...e.dataset})")
    assert int(chart["total"]) == statuses["total"]
    assert int(chart["points"]) == len(statuses["points"])
    codes = {r["code"]: int(r["count"]) for r in rows(page, "#web-codes-table tbody tr")}
    assert codes == statuses["codes"] and sum(codes.values()) == statuses["total"]

    # A service filter narrows every panel to it.
    service = console.db_service
    page.select_option("#f-svc", service)
    page.wait_for_function(
        "s => [...document.querySelectorAll('#web-table tbody tr')]"
        ".every(r => r.dataset.service === s)",
        arg=service)
    page.wait_for_selector("#web-table tbody tr")
    mine = console.get("/api/v1/web/endpoints", order="calls", limit=50, service=service,
                       **w)["endpoints"]
    assert [r["endpoint"] for r in rows(page, "#web-table tbody tr")] == [
        e["endpoint"] for e in mine]

    # The clusters are connected: the Ingress routes show below, as on their own page.
    page.wait_for_selector("#web-ingress #ingress-table tbody tr", timeout=30_000)
    routes = console.get("/api/v1/kube/ingresses", **w)["routes"]
    assert page.eval_on_selector_all(
        "#web-ingress #ingress-table tbody tr", "rs => rs.length") == len(routes)
    page.select_option("#f-svc", "")
    page.wait_for_selector("#web-table tbody tr")
    shot(page, screenshots, "web-view")
    problems.check()


def test_hosts_page_lists_hosts_and_shows_one(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    w = finished_window()
    api = console.get("/api/v1/hosts", **w)["hosts"]
    assert api, "the simulator sends host metrics"
    open_view(page, console, "hosts", w)
    page.wait_for_selector("#hosts-table tbody tr")
    shown = rows(page, "#hosts-table tbody tr")
    assert [(r["host"], r["cpu"], r["memory"], r["load"], r["instances"], r["pods"])
            for r in shown] == [
        (h["host"], num(h["cpu_utilization"]), num(h["memory_utilization"]), num(h["load_1m"]),
         num(h["instances"]), num(h["pods"])) for h in api]

    host = max(api, key=lambda h: (h["cpu_utilization"] is not None, h["instances"]))
    assert host["instances"] > 0 and host["cpu_utilization"] is not None
    page.click(f"#hosts-table tr[data-host='{host['host']}']")
    page.wait_for_selector(f"#host-title[data-host='{host['host']}']")
    for chart in ("cpu", "memory", "load", "disk", "network"):
        page.wait_for_function(f"sel => {FILLED}", arg=f"#host-{chart}-chart",
                               timeout=CHART_WAIT_MS)
    detail = console.get(f"/api/v1/hosts/{urllib.parse.quote(host['host'])}", **w)
    cpu_points = sum(p["cpu_utilization"] is not None for p in detail["points"])
    assert page.eval_on_selector("#host-cpu-chart", "e => e.dataset.points") == str(cpu_points)
    listed = rows(page, "#host-instances-table tbody tr")
    assert [(r["service"], r["instance"], r["pod"]) for r in listed] == [
        (i["service"], i["instance"], i["pod"] or "") for i in detail["instances"]]
    assert len(listed) == host["instances"]
    shot(page, screenshots, "hosts")

    # An instance opens its dashboard.
    first = detail["instances"][0]
    page.click(f"#host-instances-table tr[data-instance='{first['instance']}'] a.inst-link")
    page.wait_for_selector("#tmap-chart", timeout=20_000)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(page.url.replace("#/dashboard", "")).query)
    assert q["service"] == [first["service"]] and q["instance"] == [first["instance"]]
    problems.check()


def test_group_page_by_services_and_by_label(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    w = finished_window()
    busy = sorted(console.services, key=lambda s: -s["transactions"])[:3]
    names = [s["name"] for s in busy]
    open_view(page, console, "group", w, services=",".join(names))
    page.wait_for_selector("#group-tiles .group-tile")
    api = console.get("/api/v1/groups", services=",".join(names), **w)
    tiles = rows(page, "#group-tiles .group-tile")
    assert [(r["service"], r["transactions"], r["errors"], r["tps"], r["avg"]) for r in tiles] == [
        (s["service"], num(s["transactions"]), num(s["errors"]), num(s["tps"]), num(s["avg_ms"]))
        for s in api["services"]]
    assert [r["service"] for r in tiles] == names
    for chart in ("tps", "avg", "err"):
        page.wait_for_function(f"sel => {FILLED}", arg=f"#group-{chart}-chart",
                               timeout=CHART_WAIT_MS)
        drawn = page.eval_on_selector(f"#group-{chart}-chart", "e => ({...e.dataset})")
        assert int(drawn["transactions"]) == sum(
            p["transactions"] for s in api["series"] for p in s["points"])
        assert int(drawn["transactions"]) == sum(s["transactions"] for s in api["services"])
    page.wait_for_function(f"sel => {FILLED}", arg="#group-topology", timeout=CHART_WAIT_MS)
    topo = page.eval_on_selector("#group-topology", "e => ({...e.dataset})")
    assert int(topo["nodes"]) == len(api["topology"]["nodes"]) > len(names) - 1
    assert int(topo["edges"]) == len(api["topology"]["edges"])
    # The group's T-Map: every cell the page drew is the API's sum of the services' cells.
    page.wait_for_function(f"sel => {FILLED}", arg="#group-tmap-chart", timeout=CHART_WAIT_MS)
    drawn = page.eval_on_selector("#group-tmap-chart", "e => ({...e.dataset})")
    hm = console.get("/api/v1/groups/heatmap", services=",".join(names),
                     step=int(drawn["step"]), **w)
    assert int(drawn["cells"]) == len(hm["cells"]) > 0
    assert int(drawn["rows"]) == len(hm["bounds_ms"]) - 1
    assert sum(t["transactions"] for t in hm["totals"]) == sum(
        s["transactions"] for s in api["services"])
    shot(page, screenshots, "group")
    # A rectangle on it lists the transactions of all the group's services in it.
    rect = drag_tmap(page, back=0, prefix="group-tmap")
    expected = console.get("/api/v1/groups/transactions", services=",".join(names), **{
        "from": rect["from"], "to": rect["to"], "min_ms": rect["minMs"],
        "max_ms": rect.get("maxMs"), "limit": 500})["transactions"]
    listed = page.eval_on_selector_all(
        "#group-tmap-selection-table tbody tr",
        "rs => rs.map(r => [r.dataset.spanId, r.dataset.service])")
    assert listed == [[t["span_id"], t["service"]] for t in expected]
    assert len({s for _, s in listed}) > 1, "a rectangle over the whole map spans services"
    shot(page, screenshots, "group-tmap-selection")

    # By label: the namespace's services, as the API chooses them.
    labels = console.get("/api/v1/groups/labels", **w)
    assert labels["namespace"], labels
    label = f"namespace:{labels['namespace'][0]}"
    page.select_option("#group-label", label)
    want = console.get("/api/v1/groups", label=label, **w)["services"]
    page.wait_for_function(
        "n => document.querySelectorAll('#group-tiles .group-tile').length === n", arg=len(want))
    assert [r["service"] for r in rows(page, "#group-tiles .group-tile")] == [
        s["service"] for s in want]
    assert "label=namespace" in page.url
    problems.check()


@pytest.mark.parametrize("lang", ["ko"])
def test_views_in_korean(page: Any, console: Console, problems: Problems, lang: str) -> None:
    w = finished_window()
    for route, sel in (("databases", "#db-table"), ("web", "#web-table"),
                       ("hosts", "#hosts-table"), ("group", "#group-tiles .group-tile")):
        query = urllib.parse.urlencode({"range": "custom", "lang": lang, **w})
        page.goto(f"{console.url}/#/{route}?{query}")
        page.wait_for_selector(sel, timeout=20_000)
    assert page.inner_text("nav.menu .menu-group[data-group=views] h4").strip() == "뷰"
    problems.check()
