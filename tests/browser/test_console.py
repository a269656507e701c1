"""The web console in a real Chromium against a real server fed by ``bongsu simulate``."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems

pytestmark = pytest.mark.timeout(180)

CHART_WAIT_MS = 20_000
# A chart that has drawn at least one data point; `sel` is the argument.
FILLED = (
    "(e => e && e.dataset.rendered && Number(e.dataset.points) > 0)(document.querySelector(sel))"
)

# The T-Map's cell grid as the page says it drew it: the grid's rectangle in pixels of
# the chart element, its column and row counts and the first column holding data.
TMAP_GRID = """(sel) => {
  const e = document.querySelector(sel);
  if (!e || !e.dataset.grid || !(Number(e.dataset.firstColumn) >= 0)) return null;
  const [left, top, width, height] = e.dataset.grid.split(',').map(Number);
  return {left, top, width, height, columns: Number(e.dataset.columns),
          rows: Number(e.dataset.rows), first: Number(e.dataset.firstColumn)};
}"""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def db_service(console: Console) -> str:
    """A simulated service that calls a database: its dashboard has every chart filled."""
    return console.db_service


def open_page(page: Any, console: Console, route: str, **params: str) -> None:
    query = urllib.parse.urlencode({"range": "15m", "lang": "en", "theme": "dark", **params})
    page.goto(f"{console.url}/#/{route}?{query}")


def wait_charts(page: Any, selector: str = ".chart") -> list[int]:
    """Wait until every chart matched has drawn, and return each chart's point count."""
    page.wait_for_function(
        """sel => { const c = [...document.querySelectorAll(sel)];
                   return c.length > 0
                     && c.every(e => e.dataset.rendered && e.dataset.points !== undefined); }""",
        arg=selector,
        timeout=CHART_WAIT_MS,
    )
    return [
        int(x) for x in page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.points)")
    ]


def next_refresh(page: Any) -> None:
    """Until the shell's next live refresh has finished (its `updated` time changes)."""
    updated = page.inner_text("#updated")
    page.wait_for_function(
        "t => document.querySelector('#updated').innerText !== t", arg=updated, timeout=12_000
    )


def drag_tmap(page: Any, back: int = 2, columns: int | None = None, prefix: str = "tmap"
              ) -> dict[str, str]:
    """Drag over the T-Map from its first column with data (top row) to the column `back`
    before the last, or `columns` columns on (bottom row); return the rectangle once listed.

    `back=2`: columns 20-30 s old (two before the current one) are fully ingested, so
    the server's answer cannot change between the UI's call and the test's. ``prefix``
    names the T-Map (``tmap``: the service dashboard's; ``group-tmap``: the group's).
    """
    page.wait_for_function(
        f"([b, sel]) => {{ const g = ({TMAP_GRID})(sel);"
        " return g && g.columns - 1 - b - g.first >= 2; }",
        arg=[back, f"#{prefix}-chart"],
        timeout=60_000,
    )
    page.locator(f"#{prefix}-chart").scroll_into_view_if_needed()  # mouse events need it shown
    g = page.evaluate(TMAP_GRID, f"#{prefix}-chart")
    last = g["columns"] - 1 - back
    if columns is not None:
        last = min(last, g["first"] + columns - 1)
    cw, ch = g["width"] / g["columns"], g["height"] / g["rows"]
    box = page.locator(f"#{prefix}-chart").bounding_box()
    x0 = box["x"] + g["left"] + (g["first"] + 0.5) * cw
    y0 = box["y"] + g["top"] + 0.5 * ch  # the top row
    x1 = box["x"] + g["left"] + (last + 0.5) * cw
    y1 = box["y"] + g["top"] + g["height"] - 0.5 * ch  # the bottom row
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=6)
    page.mouse.move(x1, y1, steps=6)
    page.mouse.up()
    page.wait_for_selector(f"#{prefix}-selection[data-count]", timeout=10_000)
    return dict(page.eval_on_selector(f"#{prefix}-selection", "e => ({...e.dataset})"))


def selection_api(console: Console, service: str, rect: dict[str, str], **params: Any) -> Any:
    """What the API returns for a T-Map rectangle (the UI asks for at most 500)."""
    return console.get(
        f"/api/v1/services/{urllib.parse.quote(service)}/transactions",
        **{
            "from": rect["from"],
            "to": rect["to"],
            "min_ms": rect["minMs"],
            "max_ms": rect.get("maxMs"),
            "limit": 500,
            **params,
        },
    )["transactions"]


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.wait_for_timeout(400)  # let the last frame of the canvases land
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_dashboard_renders_every_chart(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = db_service(console)
    open_page(page, console, "dashboard", service=service)
    ids = ["tmap-chart", "avg-panel", "err-panel", "mem-panel", "db-panel", "inst10-panel"]
    for id_ in ids:
        sel = f"#{id_}.chart" if id_ == "tmap-chart" else f"#{id_} .chart"
        page.wait_for_function(
            f"sel => {FILLED}",
            arg=sel,
            timeout=CHART_WAIT_MS,
        )
    for tile in ["tile-apdex", "tile-users", "tile-tps", "tile-errors", "tile-avg"]:
        assert page.inner_text(f"#{tile} .tile-value") != "\u2013", tile  # en dash: no value
    page.wait_for_function(
        "() => Number(document.querySelector('#velocity-canvas')?.dataset.dots) > 0",
        timeout=CHART_WAIT_MS,
    )
    shot(page, screenshots, "dashboard")
    problems.check()


def test_live_refresh_keeps_charts(page: Any, console: Console, problems: Problems) -> None:
    service = db_service(console)
    open_page(page, console, "dashboard", service=service)
    wait_charts(page, "#avg-panel .chart")
    canvas = page.eval_on_selector("#avg-panel .chart canvas", "c => (c.dataset.mark = 'kept', 1)")
    assert canvas == 1
    # Zoom into the right part of the response-time chart with the mouse wheel.
    chart = "#avg-panel .chart"
    box = page.locator(chart).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -600)
    page.wait_for_function(
        "sel => Number(document.querySelector(sel).dataset.zoomStart) > 0", arg=chart
    )
    page.wait_for_timeout(300)  # the wheel's last steps
    window = "e => [Number(e.dataset.zoomStart), Number(e.dataset.zoomEnd)]"
    zoomed = page.eval_on_selector(chart, window)
    assert 0 < zoomed[0] < zoomed[1] <= 100, zoomed
    next_refresh(page)
    # The same canvas element is still there: the refresh merged data, it did not rebuild,
    # and the zoom is where the user left it.
    assert page.eval_on_selector("#avg-panel .chart canvas", "c => c.dataset.mark") == "kept"
    assert page.eval_on_selector(chart, window) == zoomed
    problems.check()


@pytest.mark.parametrize(
    ("route", "drawn"),
    # The topology has its own test (test_topology.py), which takes its screenshots.
    [
        ("traces", "#traces-table tbody tr"),
        ("instances", "#instances-table tbody tr"),
    ],
)
def test_page_renders(
    page: Any, console: Console, problems: Problems, screenshots: Path, route: str, drawn: str
) -> None:
    open_page(page, console, route, service=db_service(console))
    points = wait_charts(page)
    assert max(points) > 0, f"{route}: every chart is empty ({points})"
    page.wait_for_selector(drawn)
    shot(page, screenshots, route)
    problems.check()


def test_tmap_drag_lists_exactly_the_api_rectangle_and_opens_trace(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = db_service(console)
    # 5 minutes in 10-second columns; the simulator has run for a minute or more.
    open_page(page, console, "dashboard", service=service, range="5m")
    page.wait_for_function(
        f"sel => {FILLED}",
        arg="#tmap-chart",
        timeout=CHART_WAIT_MS,
    )
    # Drag from the first column with data (top row) to the column 20-30 s old
    # (bottom row): columns that old are fully ingested, so the server's answer
    # cannot change between the UI's call and ours. Wait until there are a few.
    rect = drag_tmap(page)
    expected = selection_api(console, service, rect)
    listed = page.eval_on_selector_all(
        "#selection-table tbody tr", "rs => rs.map(r => r.dataset.spanId)"
    )
    assert len(listed) > 0, rect
    assert listed == [t["span_id"] for t in expected]
    # The rectangle is whole cells, and everything listed lies inside it.
    lo, hi = float(rect["minMs"]), float(rect.get("maxMs", "inf"))
    for t in expected:
        assert int(rect["from"]) <= t["ts"] < int(rect["to"])
        assert lo <= t["duration_ms"] < hi
    shot(page, screenshots, "dashboard-tmap-selection")
    first = expected[0]
    page.click(f"#selection-table tbody tr[data-span-id='{first['span_id']}']")
    page.wait_for_url(re.compile(rf"#/traces/{first['trace_id']}"))
    page.wait_for_selector(
        f"#waterfall .wf-row[data-span-id='{first['span_id']}']", timeout=CHART_WAIT_MS
    )
    problems.check()


def test_trace_detail_shows_sql_errors_and_logs(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    # A failing trace that ran SQL, recorded an exception and wrote logs. ~1 % of simulated
    # requests fail: early in a session there may be none yet, so keep looking for 90 s.
    # Only a trace that ended 20 s ago: a younger one may still gain spans and logs (they
    # reach the store in separate batches) between the API's answer and the page's.
    deadline = time.monotonic() + 90
    seen: set[str] = set()
    pick: dict[str, Any] | None = None
    while pick is None:
        assert time.monotonic() < deadline, (
            f"no failing trace with SQL, exception and logs in {len(seen)}"
        )
        for tr in console.get("/api/v1/traces", status="error", limit=50)["traces"]:
            settled = tr["start"] + tr["duration_ms"] < time.time() * 1000 - 20_000
            if tr["trace_id"] in seen or not settled:
                continue
            seen.add(tr["trace_id"])
            detail = console.get(f"/api/v1/traces/{tr['trace_id']}")
            spans = detail["spans"]
            if any(map(_sql, spans)) and any(map(_exception, spans)) and detail["logs"]:
                pick = detail | {"trace_id": tr["trace_id"]}
                break
        else:
            time.sleep(1)
    open_page(page, console, f"traces/{pick['trace_id']}")
    page.wait_for_selector("#waterfall .wf-row[data-span-id]")
    page.wait_for_selector("#span-panel .kv")
    assert page.locator("#waterfall .wf-row[data-span-id]").count() == len(pick["spans"])
    sql_span = next(s for s in pick["spans"] if _sql(s))
    page.click(f"#waterfall .wf-row[data-span-id='{sql_span['span_id']}']")
    assert page.inner_text("#span-sql") == _sql(sql_span)
    err_span = next(s for s in pick["spans"] if _exception(s))
    page.click(f"#waterfall .wf-row[data-span-id='{err_span['span_id']}']")
    exc = _exception(err_span)
    assert exc is not None
    shown = page.inner_text("#span-exception")
    assert exc["exception.type"] in shown
    assert exc["exception.stacktrace"].splitlines()[-1] in shown
    assert page.locator("#logs-table tbody tr").count() == len(pick["logs"])
    # Instances by name: in the waterfall, and for the selected span (its id on hover).
    waterfall = page.eval_on_selector_all(
        "#waterfall .wf-row[data-span-id]",
        "rs => rs.map(r => [r.dataset.spanId, r.querySelector('.inst').innerText])",
    )
    assert dict(waterfall) == {s["span_id"]: s["instance_name"] for s in pick["spans"]}
    instance = page.locator("#span-panel dd.inst")
    assert instance.inner_text() == err_span["instance_name"]
    assert instance.get_attribute("title") == err_span["instance"]
    shot(page, screenshots, "trace-detail")
    problems.check()


def _sql(span: dict[str, Any]) -> str | None:
    return (span.get("attributes") or {}).get("db.statement")


def _exception(span: dict[str, Any]) -> dict[str, Any] | None:
    """exception.* of a span: from its `exception` event, or flattened into attributes."""
    for event in span.get("events") or []:
        if event.get("name") == "exception":
            return dict(event.get("attributes") or {})
    attrs = span.get("attributes") or {}
    return attrs if "exception.type" in attrs else None


def test_time_range_changes_the_window(page: Any, console: Console, problems: Problems) -> None:
    service = db_service(console)
    open_page(page, console, "dashboard", service=service)
    wait_charts(page, "#avg-panel .chart")
    with page.expect_request(lambda r: "/series" in r.url) as req:
        page.click("button[data-range='1h']")
    q = urllib.parse.parse_qs(urllib.parse.urlparse(req.value.url).query)
    assert int(q["to"][0]) - int(q["from"][0]) == 3_600_000
    assert "range=1h" in page.url
    page.wait_for_function("() => document.querySelector('#avg-panel .chart')?.dataset.rendered")
    with page.expect_request(lambda r: "/series" in r.url) as req:
        page.click("button[data-range='5m']")
    q = urllib.parse.parse_qs(urllib.parse.urlparse(req.value.url).query)
    assert int(q["to"][0]) - int(q["from"][0]) == 300_000
    problems.check()


#: Tile → the field of an `/api/v1/services` row it shows.
TILES = {
    "tile-apdex": "apdex",
    "tile-users": "active_users",
    "tile-tps": "tps",
    "tile-errors": "error_rate",
    "tile-avg": "avg_ms",
}


def tiles(page: Any) -> dict[str, float]:
    """The figure each tile shows, unrounded (its `data-value`)."""
    return dict(
        page.evaluate(
            "ids => Object.fromEntries(ids.map(id => "
            "[id, Number(document.getElementById(id).dataset.value)]))",
            list(TILES),
        )
    )


def service_row(console: Console, service: str, **params: Any) -> dict[str, Any]:
    rows = console.get("/api/v1/services", **params)["services"]
    return next(r for r in rows if r["name"] == service)


def finished_window() -> dict[str, int]:
    """The 15 minutes (of backfilled history and live data) that ended a minute ago: fully
    ingested, so the page's calls and the test's see the same figures."""
    to = int(time.time()) // 60 * 60_000 - 60_000
    return {"from": to - 15 * 60_000, "to": to}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


def test_instance_view_shows_that_instances_figures(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = db_service(console)
    window = finished_window()
    open_page(
        page,
        console,
        "dashboard",
        service=service,
        range="custom",
        **{k: str(v) for k, v in window.items()},
    )
    page.wait_for_function(f"sel => {FILLED}", arg="#tmap-chart", timeout=CHART_WAIT_MS)
    page.wait_for_selector("#tile-tps[data-value]")
    everyone = service_row(console, service, **window)
    assert tiles(page) == {tile: everyone[field] for tile, field in TILES.items()}
    whole_tmap = int(page.eval_on_selector("#tmap-chart", "e => e.dataset.points"))

    options = page.eval_on_selector_all(
        "#instance-select option", "os => os.map(o => o.value).filter(Boolean)"
    )
    assert len(options) >= 2, options
    # The instance with the most transactions in the window (the service figures for it,
    # over from/to — /instances counts only the last minute): one that served most of it.
    # The backfilled history and the live simulator are different instances, so one of
    # them may have only the window's last columns, too few to drag over.
    served = {o: sum(r["transactions"] for r in console.get(
                  "/api/v1/services", **window, instance=o)["services"] if r["name"] == service)
              for o in options}
    instance = max(options, key=lambda o: served[o])
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url))
    page.select_option("#instance-select", instance)
    page.wait_for_function(
        "() => document.querySelector('#tile-apdex .tile-sub')?.innerText"
        " === 'for the selected instance'",
        timeout=CHART_WAIT_MS,
    )
    page.wait_for_function(f"sel => {FILLED}", arg="#tmap-chart", timeout=CHART_WAIT_MS)
    page.wait_for_function(f"sel => {FILLED}", arg="#avg-panel .chart", timeout=CHART_WAIT_MS)
    assert query_of(page.url.replace("#/dashboard", ""))["instance"] == instance

    # Tiles: the server's figures for that instance, a share of the service's.
    mine = service_row(console, service, **window, instance=instance)
    assert tiles(page) == {tile: mine[field] for tile, field in TILES.items()}
    assert 0 < mine["transactions"] < everyone["transactions"]

    # T-Map: the cells the API returns for the instance, fewer transactions than in all.
    heat_url = next(u for u in reversed(calls) if "/heatmap" in u)
    heat_q = query_of(heat_url)
    assert heat_q["instance"] == instance
    heat = console.get(f"/api/v1/services/{urllib.parse.quote(service)}/heatmap", **heat_q)
    drawn = page.eval_on_selector(
        "#tmap-chart", "e => [Number(e.dataset.cells), Number(e.dataset.points)]"
    )
    assert drawn == [len(heat["cells"]), sum(c["count"] for c in heat["cells"])]
    assert 0 < drawn[1] < whole_tmap

    # The response-time / TPS chart: the instance's series.
    series_q = query_of(next(u for u in reversed(calls) if f"/{service}/series?" in u))
    assert series_q["instance"] == instance
    series = console.get(f"/api/v1/services/{urllib.parse.quote(service)}/series", **series_q)
    shown = int(page.eval_on_selector("#avg-panel .chart", "e => e.dataset.transactions"))
    assert shown == sum(p["transactions"] for p in series["points"]) == mine["transactions"]

    # The per-instance chart has that one instance, by name.
    page.wait_for_function(
        "() => document.querySelector('#inst10-panel .chart')?.dataset.points === '1'",
        timeout=CHART_WAIT_MS,
    )
    name = next(
        r["instance_name"]
        for r in console.get("/api/v1/instances", service=service, **window)["instances"]
        if r["instance"] == instance
    )
    assert json.loads(page.eval_on_selector("#inst10-panel .chart", "e => e.dataset.labels")) == [
        name
    ]

    # Drag-select lists exactly the instance's transactions, and only its own.
    rect = drag_tmap(page, back=0, columns=4)
    listed = page.eval_on_selector_all(
        "#selection-table tbody tr", "rs => rs.map(r => [r.dataset.spanId, r.dataset.instance])"
    )
    expected = selection_api(console, service, rect, instance=instance)
    assert listed and listed == [[t["span_id"], instance] for t in expected]
    assert {t["instance"] for t in selection_api(console, service, rect)} > {instance}
    names = page.eval_on_selector_all("#selection-table td.inst", "cs => cs.map(c => c.innerText)")
    assert set(names) == {name}
    shot(page, screenshots, "dashboard-instance")
    problems.check()


def test_instances_are_shown_by_name(page: Any, console: Console, problems: Problems) -> None:
    service = db_service(console)
    rows = console.get("/api/v1/instances", service=service)["instances"]
    names = {r["instance"]: r["instance_name"] for r in rows}
    # The simulator's ids are UUIDs and its pods are named as Kubernetes names them.
    pod = re.compile(rf"{re.escape(service)}-[a-z0-9]{{9}}-[a-z0-9]{{5}}")
    assert len(names) >= 2 and all(UUID.fullmatch(i) and pod.fullmatch(n) for i, n in names.items())

    open_page(page, console, "dashboard", service=service)
    page.wait_for_function(f"sel => {FILLED}", arg="#inst10-panel .chart", timeout=CHART_WAIT_MS)
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('#velocity-canvas')?.dataset.labels || '[]')"
        ".length > 0",
        timeout=CHART_WAIT_MS,
    )
    axis = json.loads(page.eval_on_selector("#inst10-panel .chart", "e => e.dataset.labels"))
    assert sorted(axis) == sorted(names.values())
    lanes = json.loads(page.eval_on_selector("#velocity-canvas", "e => e.dataset.labels"))
    assert set(lanes) <= set(names.values()) and lanes
    assert not UUID.search(page.inner_text("#content"))

    open_page(page, console, "instances", service=service)
    page.wait_for_selector("#instances-table tbody tr")
    wait_charts(page, "#inst-mem-chart")
    cells = page.eval_on_selector_all(
        "#instances-table tbody tr",
        "rs => rs.map(r => { const c = r.querySelector('td.inst');"
        " return [r.dataset.instance, c.innerText, c.title]; })",
    )
    assert sorted(cells) == sorted([i, n, i] for i, n in names.items())
    legend = json.loads(page.eval_on_selector("#inst-mem-chart", "e => e.dataset.labels"))
    assert sorted(legend) == sorted(names.values())
    assert not UUID.search(page.inner_text("#content"))
    problems.check()


def test_tmap_selection_list_updates_in_place(
    page: Any, console: Console, problems: Problems
) -> None:
    service = db_service(console)
    open_page(page, console, "dashboard", service=service, range="5m")
    page.wait_for_function(f"sel => {FILLED}", arg="#tmap-chart", timeout=CHART_WAIT_MS)
    rect = drag_tmap(page)
    wrap = "#tmap-selection .table-wrap"
    assert page.eval_on_selector(wrap, "w => w.scrollHeight > w.clientHeight + 200"), rect
    # Scroll the list, focus a row in view and mark it (a property: a rebuilt row has none).
    before = page.eval_on_selector(
        wrap,
        """w => { w.scrollTop = 200;
                  const row = [...w.querySelectorAll('tbody tr')]
                    .find(r => r.offsetTop - w.scrollTop > 60);
                  row.__kept = 'yes'; row.focus({preventScroll: true});
                  return {scroll: w.scrollTop, span: row.dataset.spanId}; }""",
    )
    # The refresh asks for the rectangle again (late spans) and patches the list.
    with page.expect_request(
        lambda r: "/transactions" in r.url and query_of(r.url).get("from") == rect["from"]
    ):
        next_refresh(page)
    next_refresh(page)
    after = page.eval_on_selector(
        wrap,
        """(w, span) => ({scroll: w.scrollTop,
                          kept: w.querySelector(`tr[data-span-id='${span}']`).__kept,
                          focused: document.activeElement.__kept})""",
        before["span"],
    )
    assert after == {"scroll": before["scroll"], "kept": "yes", "focused": "yes"}
    problems.check()


def test_instances_table_updates_in_place(page: Any, console: Console, problems: Problems) -> None:
    page.set_viewport_size({"width": 1366, "height": 500})  # so the page scrolls
    open_page(page, console, "instances", service=db_service(console))
    page.wait_for_selector("#instances-table tbody tr")
    wait_charts(page)
    before = page.evaluate(
        """() => { window.scrollTo(0, document.documentElement.scrollHeight);
                   const row = document.querySelector('#instances-table tbody tr:last-child');
                   row.__kept = 'yes'; row.focus({preventScroll: true});
                   return {y: window.scrollY, instance: row.dataset.instance}; }"""
    )
    assert before["y"] > 0
    with page.expect_request(lambda r: "/api/v1/instances" in r.url):
        next_refresh(page)
    after = page.evaluate(
        """inst => ({y: window.scrollY, focused: document.activeElement.__kept,
                     kept: document.querySelector(
                       `#instances-table tr[data-instance='${inst}']`).__kept})""",
        before["instance"],
    )
    assert after == {"y": before["y"], "focused": "yes", "kept": "yes"}
    problems.check()


def test_language_switch_translates_labels(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_page(page, console, "dashboard", service=db_service(console))
    wait_charts(page, "#avg-panel .chart")
    assert page.inner_text("nav.menu a[data-page=dashboard]").strip().endswith("Dashboard")
    page.select_option("#lang-select", "ko")
    page.wait_for_function("() => document.documentElement.lang === 'ko'")
    wait_charts(page, "#avg-panel .chart")
    menu = page.inner_text("nav.menu")
    for word in ["대시보드", "토폴로지", "트랜잭션", "트레이스", "인스턴스"]:
        assert word in menu
    assert "Dashboard" not in menu
    assert "활성 사용자" in page.inner_text("#tile-users")
    assert "lang=ko" in page.url
    shot(page, screenshots, "dashboard-ko")
    problems.check()


def test_light_theme(page: Any, console: Console, problems: Problems, screenshots: Path) -> None:
    open_page(page, console, "dashboard", service=db_service(console), theme="light")
    wait_charts(page)
    bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(244, 246, 249)"
    shot(page, screenshots, "dashboard-light")
    problems.check()


def test_large_screen(page: Any, console: Console, problems: Problems, screenshots: Path) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_page(page, console, "dashboard", service=db_service(console))
    wait_charts(page)
    shot(page, screenshots, "dashboard-1920")
    problems.check()


def test_traces_table_updates_in_place(page: Any, console: Console, problems: Problems) -> None:
    # The app under the agent finishes a slow request every few seconds: new traces come
    # in at the top of the list while the user reads further down.
    # (Last in this file: by then the app has finished enough requests to fill the table.)
    open_page(page, console, "traces", service=console.agent_service)
    wrap = "#traces-panel .table-wrap"
    page.wait_for_function(
        "sel => (w => w && w.scrollHeight - w.clientHeight >= 60)(document.querySelector(sel))",
        arg=wrap,
        timeout=120_000,
    )
    before = page.eval_on_selector(
        wrap,
        """w => { w.scrollTop = 60;
                  const rows = [...w.querySelectorAll('tbody tr')];
                  const row = rows.find(r => r.offsetTop - w.scrollTop > 60);
                  row.__kept = 'yes'; row.focus({preventScroll: true});
                  const at = row.getBoundingClientRect().top - w.getBoundingClientRect().top;
                  return {top: rows[0].dataset.traceId, trace: row.dataset.traceId, at}; }""",
    )
    deadline = time.monotonic() + 40
    first = "#traces-table tbody tr"
    while page.eval_on_selector(first, "r => r.dataset.traceId") == before["top"]:
        assert time.monotonic() < deadline, "no new trace of the app in 40 s"
        next_refresh(page)
    after = page.eval_on_selector(
        wrap,
        """(w, trace) => { const row = w.querySelector(`tr[data-trace-id='${trace}']`);
                           return {kept: row.__kept, focused: document.activeElement.__kept,
                                   at: row.getBoundingClientRect().top
                                       - w.getBoundingClientRect().top}; }""",
        before["trace"],
    )
    # The same row, still focused, still where the user was reading (rows added above it
    # push the content down; the browser keeps the row in view).
    assert (after["kept"], after["focused"]) == ("yes", "yes")
    assert abs(after["at"] - before["at"]) < 1, (before, after)
    problems.check()
