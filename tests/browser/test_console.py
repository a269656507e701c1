"""The web console in a real Chromium against a real server fed by ``bongsu simulate``."""

from __future__ import annotations

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

# T-Map geometry from the chart itself: the first column holding data, the column
# 20-30 s old (two before the current one) and the pixel centres of the corner cells.
TMAP_CELLS = """() => {
  const c = window.__bongsuCharts.get(document.querySelector('#tmap-chart'));
  if (!c) return null;
  const o = c.getOption();
  const n = o.xAxis[0].data.length, rows = o.yAxis[0].data.length;
  const cols = o.series[0].data.map(d => (Array.isArray(d) ? d : d.value)[0]);
  if (!cols.length) return null;
  const first = Math.min(...cols), last = n - 3;
  const px = (x, y) => c.convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [x, y]);
  return {first, last, a: px(first, rows - 1), b: px(last, 0)};
}"""


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
    # Zoom into the second half of the response-time chart, as a user would with the wheel.
    zoom = """el => window.__bongsuCharts.get(el).getOption().dataZoom[0]"""
    page.eval_on_selector(
        "#avg-panel .chart",
        "el => window.__bongsuCharts.get(el)"
        ".dispatchAction({type: 'dataZoom', start: 50, end: 100})",
    )
    first = page.inner_text("#updated")
    page.wait_for_function(
        "t => document.querySelector('#updated').innerText !== t", arg=first, timeout=12_000
    )
    # The same canvas element is still there: the refresh merged data, it did not rebuild,
    # and the zoom is where the user left it.
    assert page.eval_on_selector("#avg-panel .chart canvas", "c => c.dataset.mark") == "kept"
    z = page.eval_on_selector("#avg-panel .chart", zoom)
    assert (z["start"], z["end"]) == (50, 100)
    problems.check()


@pytest.mark.parametrize("route", ["topology", "traces", "instances"])
def test_page_renders(
    page: Any, console: Console, problems: Problems, screenshots: Path, route: str
) -> None:
    open_page(page, console, route, service=db_service(console))
    points = wait_charts(page)
    assert max(points) > 0, f"{route}: every chart is empty ({points})"
    if route == "traces":
        page.wait_for_selector("#traces-table tbody tr")
    if route == "instances":
        page.wait_for_selector("#instances-table tbody tr")
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
    page.wait_for_function(
        f"() => {{ const g = ({TMAP_CELLS})(); return g && g.last - g.first >= 2; }}",
        timeout=60_000,
    )
    g = page.evaluate(TMAP_CELLS)
    box = page.locator("#tmap-chart").bounding_box()
    x0, y0 = box["x"] + g["a"][0], box["y"] + g["a"][1]
    x1, y1 = box["x"] + g["b"][0], box["y"] + g["b"][1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=6)
    page.mouse.move(x1, y1, steps=6)
    page.mouse.up()
    page.wait_for_selector("#tmap-selection[data-count]", timeout=10_000)
    rect = page.eval_on_selector("#tmap-selection", "e => ({...e.dataset})")
    expected = console.get(
        f"/api/v1/services/{urllib.parse.quote(service)}/transactions",
        **{
            "from": rect["from"],
            "to": rect["to"],
            "min_ms": rect["minMs"],
            "max_ms": rect.get("maxMs"),
            "limit": 500,
        },
    )["transactions"]
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
    # ~1 % of simulated requests fail: early in a session there may be none yet.
    deadline = time.monotonic() + 60
    while not (traces := console.get("/api/v1/traces", status="error", limit=50)["traces"]):
        assert time.monotonic() < deadline, "the simulator produced no failing trace in 60 s"
        time.sleep(1)
    # Prefer a failing trace that ran SQL and recorded an exception.
    pick, best = traces[0], -1
    for tr in traces[:20]:
        spans = console.get(f"/api/v1/traces/{tr['trace_id']}")["spans"]
        score = any(_sql(s) for s in spans) + 2 * any(_exception(s) for s in spans)
        if score > best:
            pick, best = tr, score
    open_page(page, console, f"traces/{pick['trace_id']}")
    page.wait_for_selector("#waterfall .wf-row[data-span-id]")
    page.wait_for_selector("#span-panel .kv")
    detail = console.get(f"/api/v1/traces/{pick['trace_id']}")
    assert page.locator("#waterfall .wf-row[data-span-id]").count() == len(detail["spans"])
    sql_span = next((s for s in detail["spans"] if _sql(s)), None)
    if sql_span is not None:
        page.click(f"#waterfall .wf-row[data-span-id='{sql_span['span_id']}']")
        assert page.inner_text("#span-sql") == _sql(sql_span)
    err_span = next((s for s in detail["spans"] if _exception(s)), None)
    if err_span is not None:
        page.click(f"#waterfall .wf-row[data-span-id='{err_span['span_id']}']")
        exc = _exception(err_span)
        shown = page.inner_text("#span-exception")
        assert exc["exception.type"] in shown
        assert exc.get("exception.stacktrace", "").splitlines()[-1] in shown
    if detail["logs"]:
        assert page.locator("#logs-table tbody tr").count() == len(detail["logs"])
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


def test_instance_filter_narrows_the_dashboard(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = db_service(console)
    open_page(page, console, "dashboard", service=service)
    wait_charts(page, "#inst10-panel .chart")
    options = page.eval_on_selector_all(
        "#instance-select option", "os => os.map(o => o.value).filter(Boolean)"
    )
    assert len(options) >= 2, options
    before = int(page.eval_on_selector("#inst10-panel .chart", "e => e.dataset.points"))
    assert before >= 2
    with page.expect_request(lambda r: "/heatmap" in r.url and "instance=" in r.url) as req:
        page.select_option("#instance-select", options[0])
    assert urllib.parse.parse_qs(urllib.parse.urlparse(req.value.url).query)["instance"] == [
        options[0]
    ]
    page.wait_for_function(
        "() => document.querySelector('#inst10-panel .chart')?.dataset.points === '1'",
        timeout=CHART_WAIT_MS,
    )
    assert "instance=" in page.url
    # Tiles are recomputed for the instance and say so.
    page.wait_for_function("() => document.querySelector('#tile-apdex .tile-sub')?.innerText")
    shot(page, screenshots, "dashboard-instance")
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


def test_topology_shows_simulated_services_and_database(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_page(page, console, "topology")
    page.wait_for_function(
        "() => document.querySelector('#topology-chart')?.dataset.nodes", timeout=CHART_WAIT_MS
    )
    nodes = page.eval_on_selector("#topology-chart", "e => e.dataset.nodes").split("|")
    positions = """el => Object.fromEntries(window.__bongsuCharts.get(el).getOption()
                         .series[0].data.map(d => [d.id, [d.x, d.y]]))"""
    before = page.eval_on_selector("#topology-chart", positions)
    first = page.inner_text("#updated")
    page.wait_for_function(
        "t => document.querySelector('#updated').innerText !== t", arg=first, timeout=12_000
    )
    # A refresh never moves a node.
    after = page.eval_on_selector("#topology-chart", positions)
    assert {k: after[k] for k in before if k in after} == before
    kinds = {n.split(":", 1)[0] for n in nodes}
    names = {n.split(":", 1)[1] for n in nodes if n.startswith("service:")}
    assert "database" in kinds
    assert {s["name"] for s in console.services} <= names
    # Clicking a service node opens its dashboard.
    service = sorted(names)[0]
    pos = page.evaluate(
        """name => { const el = document.querySelector('#topology-chart');
                     const chart = window.__bongsuCharts?.get(el);
                     if (!chart) return null;
                     const node = chart.getOption().series[0].data.find(d => d.id === name);
                     return node
                       ? chart.convertToPixel({seriesIndex: 0}, [node.x, node.y]) : null; }""",
        service,
    )
    if pos is not None:
        box = page.locator("#topology-chart").bounding_box()
        page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])
        page.wait_for_url(re.compile(r"#/dashboard\?"))
        assert f"service={urllib.parse.quote(service)}" in page.url
    open_page(page, console, "topology", level="instance")
    page.wait_for_function(
        "() => (document.querySelector('#topology-chart')?.dataset.nodes || '').length > 0",
        timeout=CHART_WAIT_MS,
    )
    shot(page, screenshots, "topology-instances")
    problems.check()


def test_large_screen(page: Any, console: Console, problems: Problems, screenshots: Path) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_page(page, console, "dashboard", service=db_service(console))
    wait_charts(page)
    shot(page, screenshots, "dashboard-1920")
    problems.check()
