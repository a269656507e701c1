"""Pins of the infrastructure, alerting and request pages (issue 13 item 5) in a real
browser: on each page one part (or two) is pinned with its pin button, with the page's
own selection as params; My dashboard then draws that part with the page's code and shows
the same figures as the page for the same window (a chart's data-points and data-*, a
table's rows); the panel is removed there and My dashboard is empty again.

The Kubernetes pages need the simulated clusters, so these tests use the session's shared
console; every panel they pin is removed again (a fixture removes any left by a failure),
so where that console opens does not change."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from browser.conftest import Console, Problems

WAIT_MS = 30_000
CARDS = "cs => cs.map(c => [c.dataset.cluster, c.dataset.state])"
SHARE = "e => [e.dataset.points, e.dataset.shares]"
PRESSED = "([s, v]) => document.querySelector(s)?.getAttribute('aria-pressed') === v"
#: A chart drawn, with its data-points set.
DRAWN = ("sel => (e => !!(e && e.dataset.rendered && e.dataset.points !== undefined))"
         "(document.querySelector(sel))")


def call(console: Console, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{console.url}/api/v1{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def mine(console: Console) -> list[dict[str, Any]]:
    return list(call(console, "GET", "/dashboards/mine")["panels"])


def unpin_all(console: Console) -> None:
    for p in mine(console):
        call(console, "DELETE", f"/dashboards/mine/panels/{p['id']}")


@pytest.fixture
def clean(console: Console) -> Iterator[Console]:
    """No panel before or after: the shared console keeps opening where it did."""
    unpin_all(console)
    yield console
    unpin_all(console)


def window(lag_s: int = 5) -> dict[str, str]:
    """A fixed window ending `lag_s` ago: the page and My dashboard read the same data."""
    to = int(time.time()) * 1000 - lag_s * 1000
    return {"range": "custom", "from": str(to - 20 * 60_000), "to": str(to),
            "lang": "en", "theme": "dark"}


def settled(console: Console, path: str, ok: Callable[[Any], bool], **params: Any
            ) -> dict[str, str]:
    """A fixed window in which the API's `path` (with `params`) already shows what `ok`
    asks for (the clusters' episodes and ingress rates begin with the session)."""
    deadline = time.monotonic() + 90
    while True:
        win = window()
        body = console.get(f"/api/v1{path}", **{"from": win["from"], "to": win["to"]}, **params)
        if ok(body):
            return win
        assert time.monotonic() < deadline, f"{path} {params}: {body}"
        time.sleep(1)


def pin_and_compare(page: Any, console: Console, route: str, query: dict[str, str],
                    parts: list[tuple[str, str, str, str]], params: dict[str, str],
                    win: dict[str, str]) -> dict[str, Any]:
    """Open `route` with `query`, press each part's pin (`(panel selector, kind, selector of
    the figure, JS giving the figure)`), then on My dashboard wait for each kind's figure to
    be the page's; remove the panels there. Returns the figures, kind → value."""
    page.goto(f"{console.url}/#/{route}?{urllib.parse.urlencode({**query, **win})}")
    on_page: dict[str, Any] = {}
    for panel, kind, figure, js in parts:
        page.wait_for_function(
            f"sel => {{ try {{ return ({js})(document.querySelector(sel)) !== null; }}"
            " catch (e) { return false; } }", arg=figure, timeout=WAIT_MS)
        on_page[kind] = page.eval_on_selector(figure, js)
        button = f"{panel} .pin-btn[data-kind='{kind}']"
        page.wait_for_selector(button, timeout=WAIT_MS)
        assert page.get_attribute(button, "aria-pressed") == "false"
        page.click(button)
        page.wait_for_function(PRESSED, arg=[button, "true"], timeout=WAIT_MS)
    pinned = mine(console)
    assert [(p["kind"], p["params"]) for p in pinned] == [(k, params) for _, k, _, _ in parts]

    page.goto(f"{console.url}/#/my-dashboard?{urllib.parse.urlencode(win)}")
    page.wait_for_function("n => document.querySelectorAll('.my-cell').length === n",
                           arg=len(parts), timeout=WAIT_MS)
    for _, kind, figure, js in parts:
        sel = f".my-cell[data-kind='{kind}'] {figure}"
        # The figure the page showed (My dashboard refreshes live: wait for it).
        page.wait_for_function(
            f"([sel, want]) => {{ try {{ return JSON.stringify(({js})"
            "(document.querySelector(sel))) === want; } catch (e) { return false; } }",
            arg=[sel, json.dumps(on_page[kind], separators=(",", ":"),
                                  ensure_ascii=False)], timeout=WAIT_MS)
        box = page.locator(sel).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, f"{kind} is not shown"
        # Only the pinned part of its page is shown: none of its other panels.
        assert page.locator(f".my-cell[data-kind='{kind}'] section.panel:visible").count() <= 1
    for _, kind, _, _ in parts:
        remove(page, kind)
        page.wait_for_function("k => !document.querySelector(`.my-cell[data-kind='${k}']`)",
                               arg=kind, timeout=WAIT_MS)
    assert mine(console) == []
    return on_page


def remove(page: Any, kind: str) -> None:
    """The cell's remove tool, from the keyboard (the tool strip shows on hover or focus)."""
    page.locator(f".my-cell[data-kind='{kind}'] button[data-act='remove']").focus()
    page.keyboard.press("Enter")


def chart(*attrs: str) -> str:
    """JS: a drawn chart's data-points and the given data-* attributes (null until drawn)."""
    keys = ", ".join(f"{a}: e.dataset.{a} ?? null" for a in attrs)
    return ("e => e && e.dataset.rendered && e.dataset.points !== undefined"
            f" ? {{ points: e.dataset.points, {keys} }} : null")


def rows(attrs: str) -> str:
    """JS: a table's rows as lists of the given data-* attributes (null before it exists)."""
    return f"e => e ? Array.from(e.querySelectorAll('tbody tr')).map(r => [{attrs}]) : null"


def test_kube_pages_pin_their_charts_and_tables(
    page: Any, clean: Console, problems: Problems
) -> None:
    console = clean
    cluster = sorted(console.clusters)[0]

    # Events: the timeline of the edge cluster's OOM kill, one row per cluster.
    oom = {"cluster": console.edge, "kind": "oom_killed", "by": "cluster"}
    win = settled(console, "/events", lambda b: len(b["events"]) > 0,
                  cluster=console.edge, kind="oom_killed")
    got = pin_and_compare(page, console, "events", oom,
                          [("#events-timeline-panel", "events.timeline", "#events-timeline",
                            chart("rows"))], oom, win)
    assert int(got["events.timeline"]["points"]) > 0
    assert json.loads(got["events.timeline"]["rows"]) == [console.edge]
    win = window()

    # Containers: one cluster's pods by name (a stable order while usage moves).
    got = pin_and_compare(page, console, "containers", {"cluster": cluster, "sort": "name"},
                          [("#containers-panel", "containers.table", "#containers-table",
                            rows("r.dataset.cluster, r.dataset.pod, r.dataset.container"))],
                          {"cluster": cluster, "sort": "name"}, win)
    assert got["containers.table"] and {r[0] for r in got["containers.table"]} == {cluster}

    # Clusters: the cards and one service's share of traffic per cluster (a window ending a
    # minute ago: the last steps' transactions are all in).
    win = window(lag_s=60)
    clusters = console.get("/api/v1/kube/clusters")["clusters"]
    service = sorted({s for c in clusters for s in c.get("services") or []})[0]
    share = f".share-chart[data-service='{service}']"
    page.goto(f"{console.url}/#/clusters?{urllib.parse.urlencode(win)}")
    page.wait_for_function(DRAWN, arg=share, timeout=WAIT_MS)
    on_page = {
        "cards": page.eval_on_selector_all(".cluster-card", CARDS),
        "share": page.eval_on_selector(share, SHARE),
    }
    assert {c["name"] for c in clusters} == {c for c, _ in on_page["cards"]}
    for button in ("#clusters-panel .pin-btn[data-kind='clusters.cards']",
                   f".traffic-row[data-service='{service}'] "
                   ".pin-btn[data-kind='clusters.share']"):
        page.click(button)
        page.wait_for_function(PRESSED, arg=[button, "true"], timeout=WAIT_MS)
    assert [(p["kind"], p["params"]) for p in mine(console)] == [
        ("clusters.cards", {}), ("clusters.share", {"service": service})]
    assert service in mine(console)[1]["title"]
    page.goto(f"{console.url}/#/my-dashboard?{urllib.parse.urlencode(win)}")
    cell = ".my-cell[data-kind='clusters.share']"
    page.wait_for_function(DRAWN, arg=f"{cell} {share}", timeout=WAIT_MS)
    cards = ".my-cell[data-kind='clusters.cards'] .cluster-card"
    page.wait_for_function("s => document.querySelectorAll(s).length > 0", arg=cards,
                           timeout=WAIT_MS)
    assert page.eval_on_selector_all(cards, CARDS) == on_page["cards"]
    assert page.eval_on_selector(f"{cell} {share}", SHARE) == on_page["share"]
    # One chart of one service: not its replicas chart, no other service's row.
    assert page.locator(f"{cell} .share-chart").count() == 1
    assert not page.locator(f"{cell} .replicas-chart").is_visible()
    assert not page.locator(f"{cell} #clusters-panel").is_visible()
    for kind in ("clusters.cards", "clusters.share"):
        remove(page, kind)
    page.wait_for_function("() => !document.querySelector('.my-cell')", timeout=WAIT_MS)
    assert mine(console) == []

    # Ingress: one cluster's busiest routes.
    win = settled(console, "/kube/ingresses",
                  lambda b: any(r["requests_per_s"] is not None for r in b["routes"]),
                  cluster=cluster)
    got = pin_and_compare(page, console, "ingress", {"cluster": cluster},
                          [("#ingress-chart-panel", "ingress.chart", "#ingress-chart",
                            chart("labels"))],
                          {"cluster": cluster}, win)
    assert int(got["ingress.chart"]["points"]) > 0

    # Metering: the statement grouped by team (its lines; the figures grow by the second).
    pin_and_compare(page, console, "metering", {"group_by": "team"},
                    [("#metering-panel", "metering.statement", "#metering-panel .panel-body",
                      "e => e && (e.querySelector('#metering-table')"
                      " || e.parentElement.querySelector('.empty'))"
                      " ? [e.querySelector('#metering-table thead th')?.textContent ?? null,"
                      " Array.from(e.querySelectorAll('#metering-table tbody tr'))"
                      ".map(r => r.dataset.key)] : null")],
                    {"group_by": "team"}, win)
    problems.check()


def test_alerting_and_request_pages_pin_their_parts(
    page: Any, clean: Console, problems: Problems
) -> None:
    console = clean
    win = window()

    # Checks: a check that is down (a port nothing listens on), its state on the board.
    from server_process import free_port

    made = call(console, "POST", "/checks", {
        "name": "Pinned board probe", "type": "tcp", "interval_s": 10,
        "target": {"host": "127.0.0.1", "port": free_port(), "timeout_s": 1}})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            checks = call(console, "GET", "/checks")["checks"]
            state = next(c["state"] for c in checks if c["id"] == made["id"])
            if state != "unknown":
                break
            time.sleep(0.5)
        got = pin_and_compare(page, console, "checks", {},
                              [("#checks-panel", "checks.table", "#checks-table",
                                rows("r.dataset.check, r.dataset.state"))], {}, win)
        assert [made["id"], "down"] in got["checks.table"]
    finally:
        call(console, "DELETE", f"/checks/{made['id']}")

    # Alerts: the active alerts (the same rows, or the same empty state).
    pin_and_compare(page, console, "alerts", {},
                    [("#alerts-panel", "alerts.active", "#alerts-panel",
                      "e => e && !e.querySelector('.loading') ? [e.querySelector('h3').textContent,"
                      " Array.from(e.querySelectorAll('tr[data-alert]'))"
                      ".map(r => r.dataset.alert)] : null")],
                    {}, win)

    # Traces: the search's scatter for one service and endpoint status.
    service = console.db_service
    got = pin_and_compare(page, console, "traces", {"service": service, "status": "ok"},
                          [("#search-panel", "traces.scatter", "#traces-chart", chart())],
                          {"service": service, "status": "ok"}, win)
    assert int(got["traces.scatter"]["points"]) > 0

    # Transactions: requests in flight per instance of the app under the agent.
    got = pin_and_compare(page, console, "transactions", {"service": console.agent_service},
                          [("#active-chart-panel", "transactions.per-instance", "#active-chart",
                            chart("labels"))],
                          {"service": console.agent_service}, win)
    assert int(got["transactions.per-instance"]["points"]) > 0
    problems.check()
