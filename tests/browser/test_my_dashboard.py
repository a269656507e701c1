"""My dashboard in a real browser against a server of its own (panels are the one user's,
so the shared console's server stays without any): before any pin the console opens on
the service dashboard; three parts of the dashboard pinned with their pin buttons show on My
dashboard the figures the dashboard and the API show for the same window; one panel moved
with its keyboard button, one resized by dragging its corner; a reload and a server
restart keep the layout, and the console now opens on My dashboard."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.conftest import Console, Problems, _backfill, _wait_ready
from server_process import ServerProcess, survivors

WAIT_MS = 30_000
PINS = {  # where the pin is on the dashboard → the kind it pins
    "#tile-tps": "dashboard.tps",
    "#avg-panel": "dashboard.response",
    "#db-panel": "dashboard.db",
}
FILLED = ("sel => (e => e && e.dataset.rendered && Number(e.dataset.points) > 0)"
          "(document.querySelector(sel))")
PRESSED = "([s, v]) => document.querySelector(s)?.getAttribute('aria-pressed') === v"


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Console]]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    data = tmp_path_factory.mktemp("my-dashboard") / "data"
    server = ServerProcess(data, {"BONGSU_ALERTS": "false", "BONGSU_CHECKS": "false",
                                  "BONGSU_EDGE_MATCH_SECONDS": "1"}).start()
    try:
        _backfill(server, minutes=20)
        console = Console(url=server.api_url)
        _wait_ready(console, time.monotonic() + 120)
        yield server, console
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def api(server: ServerProcess, path: str, **params: Any) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{server.api_url}/api/v1{path}?{query}", timeout=30) as r:
        return json.loads(r.read())


def cells(page: Any) -> dict[str, dict[str, Any]]:
    """The panels shown: kind → grid place and the figures their charts/tiles carry."""
    found: dict[str, dict[str, Any]] = page.eval_on_selector_all(
        ".my-cell",
        """cs => Object.fromEntries(cs.map(c => [c.dataset.kind, {
            id: Number(c.dataset.panelId), x: Number(c.dataset.x), y: Number(c.dataset.y),
            w: Number(c.dataset.w), h: Number(c.dataset.h),
            title: c.querySelector('.my-title').textContent,
            value: c.querySelector('.tile')?.dataset.value ?? null,
            points: c.querySelector('.chart')?.dataset.points ?? null,
            transactions: c.querySelector('.chart')?.dataset.transactions ?? null,
            height: c.getBoundingClientRect().height,
        }]))""",
    )
    return found


def test_pin_three_panels_move_resize_reload_restart(
    page: Any, own: tuple[ServerProcess, Console], problems: Problems, screenshots: Path
) -> None:
    server, console = own
    service = console.db_service
    to = (int(time.time() * 1000) // 10_000) * 10_000 - 60_000
    frm = to - 15 * 60_000
    window = {"range": "custom", "from": str(frm), "to": str(to), "lang": "en", "theme": "dark"}
    step = 10  # seriesStep of 15 minutes: ~90 points, the 10 s rollup
    view = urllib.parse.urlencode({"service": service, **window})

    # No panels yet: a console opened without a page shows the service dashboard.
    page.goto(f"{console.url}/")
    page.wait_for_selector("#page-dashboard", timeout=WAIT_MS)
    assert page.url.split("#/", 1)[1].startswith("dashboard")

    page.goto(f"{console.url}/#/dashboard?{view}")
    page.wait_for_function("() => document.querySelector('#tile-tps')?.dataset.value !== undefined",
                           timeout=WAIT_MS)
    for sel in ("#avg-panel .chart", "#db-panel .chart"):
        page.wait_for_function(FILLED, arg=sel, timeout=WAIT_MS)
    on_dashboard = {
        "tps": page.eval_on_selector("#tile-tps", "e => e.dataset.value"),
        "transactions": page.eval_on_selector("#avg-panel .chart", "e => e.dataset.transactions"),
        "db_points": page.eval_on_selector("#db-panel .chart", "e => e.dataset.points"),
    }
    for sel, kind in PINS.items():
        button = page.locator(f"{sel} .pin-btn[data-kind='{kind}']")
        assert button.get_attribute("aria-pressed") == "false"
        button.click()
        page.wait_for_function(PRESSED, arg=[f"{sel} .pin-btn", "true"], timeout=WAIT_MS)
    pinned = api(server, "/dashboards/mine")["panels"]
    assert [(p["kind"], p["params"]) for p in pinned] == [
        (kind, {"service": service}) for kind in PINS.values()]
    assert [p["title"] for p in pinned] == [
        f"TPS · {service}", f"Average response time · {service}",
        f"Active DB connections · {service}"]

    # My dashboard: the same figures as the dashboard's, and as the API's.
    page.goto(f"{console.url}/#/my-dashboard?{urllib.parse.urlencode(window)}")
    page.wait_for_function("() => document.querySelectorAll('.my-cell').length === 3",
                           timeout=WAIT_MS)
    page.wait_for_function(
        "() => document.querySelector(\".my-cell[data-kind='dashboard.tps'] .tile\")"
        "?.dataset.value !== undefined", timeout=WAIT_MS)
    for kind in ("dashboard.response", "dashboard.db"):
        page.wait_for_function(FILLED, arg=f".my-cell[data-kind='{kind}'] .chart", timeout=WAIT_MS)
    shown = cells(page)
    svc = next(s for s in api(server, "/services", **{"from": frm, "to": to})["services"]
               if s["name"] == service)
    series = api(server, f"/services/{urllib.parse.quote(service)}/series",
                 **{"from": frm, "to": to, "step": step})
    db = api(server, "/metrics/series", name="db.client.connections.usage", service=service,
             step=step, agg="avg", **{"from": frm, "to": to})
    assert shown["dashboard.tps"]["value"] == on_dashboard["tps"]
    assert float(shown["dashboard.tps"]["value"]) == pytest.approx(svc["tps"], rel=1e-12)
    assert shown["dashboard.response"]["transactions"] == on_dashboard["transactions"]
    assert int(on_dashboard["transactions"]) == sum(
        p["transactions"] for p in series["points"]) == svc["transactions"] > 0
    assert shown["dashboard.db"]["points"] == on_dashboard["db_points"] == str(len(db["points"]))
    # Placed in pinning order, one below the other, at each kind's default size.
    places = [(shown[k]["x"], shown[k]["y"], shown[k]["w"], shown[k]["h"]) for k in PINS.values()]
    assert places == [(0, 0, 3, 2), (0, 2, 6, 4), (0, 6, 6, 4)]

    # Move the TPS tile right twice with its keyboard button (focus, Enter).
    tps = page.locator(".my-cell[data-kind='dashboard.tps']")
    for _ in range(2):
        tps.locator("button[data-act='right']").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "n => document.querySelector(\".my-cell[data-kind='dashboard.tps']\").dataset.x == n",
            arg=str(_ + 1), timeout=WAIT_MS)
    # Resize the DB chart by dragging its corner: 3 columns wider, 1 row taller.
    grid = page.eval_on_selector("#my-grid", "e => e.getBoundingClientRect().width")
    col, row = (grid + 12) / 12, 80 + 12
    handle = page.locator(".my-cell[data-kind='dashboard.db'] .my-resize")
    handle.scroll_into_view_if_needed()
    corner = handle.bounding_box()
    x0, y0 = corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + col * 1.5, y0 + row * 0.5, steps=5)
    page.mouse.move(x0 + col * 3, y0 + row, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "() => (c => c.dataset.w === '9' && c.dataset.h === '5')"
        "(document.querySelector(\".my-cell[data-kind='dashboard.db']\"))", timeout=WAIT_MS)
    expected = {"dashboard.tps": (2, 0, 3, 2), "dashboard.response": (0, 2, 6, 4),
                "dashboard.db": (0, 6, 9, 5)}

    def saved() -> dict[str, tuple[int, int, int, int]]:
        return {p["kind"]: (p["x"], p["y"], p["w"], p["h"])
                for p in api(server, "/dashboards/mine")["panels"]}

    deadline = time.monotonic() + 10
    while saved() != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved() == expected
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    page.mouse.move(1, 1)
    page.wait_for_timeout(300)  # the chart follows its new size
    page.screenshot(path=str(screenshots / "my-dashboard.png"), full_page=True)

    def shown_places() -> dict[str, tuple[int, int, int, int]]:
        return {k: (c["x"], c["y"], c["w"], c["h"]) for k, c in cells(page).items()}

    page.reload()
    page.wait_for_function("() => document.querySelectorAll('.my-cell').length === 3",
                           timeout=WAIT_MS)
    assert shown_places() == expected
    taller = cells(page)["dashboard.db"]["height"]
    assert taller == pytest.approx(5 * 80 + 4 * 12, abs=2)

    page.goto("about:blank")  # nothing of the console asks the server while it is down
    server.stop()
    server.start()
    # Opened without a page, the console now lands on My dashboard, as it was left.
    page.goto(f"{console.url}/")
    page.wait_for_function("() => document.querySelectorAll('.my-cell').length === 3",
                           timeout=WAIT_MS)
    assert page.url.split("#/", 1)[1].startswith("my-dashboard")
    assert shown_places() == expected
    page.wait_for_function(FILLED, arg=".my-cell[data-kind='dashboard.db'] .chart", timeout=WAIT_MS)

    # Unpinning from the dashboard's own pin button removes it here too.
    page.goto(f"{console.url}/#/dashboard?{view}")
    button = page.locator("#tile-tps .pin-btn")
    page.wait_for_function(PRESSED, arg=["#tile-tps .pin-btn", "true"], timeout=WAIT_MS)
    button.click()
    page.wait_for_function(PRESSED, arg=["#tile-tps .pin-btn", "false"], timeout=WAIT_MS)
    assert [p["kind"] for p in api(server, "/dashboards/mine")["panels"]] == [
        "dashboard.response", "dashboard.db"]
    problems.check()


def test_topology_users_and_sla_pin_the_same_views(
    page: Any, own: tuple[ServerProcess, Console], problems: Problems
) -> None:
    server, console = own
    for p in api(server, "/dashboards/mine")["panels"]:
        urllib.request.urlopen(urllib.request.Request(
            f"{server.api_url}/api/v1/dashboards/mine/panels/{p['id']}", method="DELETE"))
    to = (int(time.time() * 1000) // 10_000) * 10_000 - 60_000
    frm = to - 15 * 60_000
    # The service with the most signed-in users (the simulated shop's front end).
    services = api(server, "/services", **{"from": frm, "to": to})["services"]
    service = max(services, key=lambda s: s["active_users"] or 0)["name"]
    window = {"range": "custom", "from": str(frm), "to": str(to), "lang": "en", "theme": "dark"}
    view = urllib.parse.urlencode({"service": service, **window})

    page.goto(f"{console.url}/#/users?{view}")
    page.wait_for_function("() => document.querySelector('#users-daily-chart')?.dataset.series",
                           timeout=WAIT_MS)
    daily_on_page = page.eval_on_selector("#users-daily-chart", "e => e.dataset.series")
    page.click("#users-daily-panel .pin-btn")
    page.wait_for_function(PRESSED, arg=["#users-daily-panel .pin-btn", "true"], timeout=WAIT_MS)

    page.goto(f"{console.url}/#/topology?{view}")
    page.wait_for_function("() => document.querySelector('#topology-chart')?.dataset.drawn",
                           timeout=WAIT_MS)
    page.click("#topology-panel .pin-btn")
    page.wait_for_function(PRESSED, arg=["#topology-panel .pin-btn", "true"], timeout=WAIT_MS)

    page.goto(f"{console.url}/#/sla?{view}")
    page.wait_for_selector("#sla-panel .pin-btn", timeout=WAIT_MS)
    page.click("#sla-panel .pin-btn")
    page.wait_for_function(PRESSED, arg=["#sla-panel .pin-btn", "true"], timeout=WAIT_MS)
    assert [(p["kind"], p["params"]) for p in api(server, "/dashboards/mine")["panels"]] == [
        ("users.daily", {"service": service, "days": "30"}),
        ("topology.map", {"level": "service"}),
        ("sla.table", {}),
    ]

    page.goto(f"{console.url}/#/my-dashboard?{urllib.parse.urlencode(window)}")
    page.wait_for_function("() => document.querySelectorAll('.my-cell').length === 3",
                           timeout=WAIT_MS)
    users_chart = ".my-cell[data-kind='users.daily'] #users-daily-chart"
    topo_chart = ".my-cell[data-kind='topology.map'] .chart"
    page.wait_for_function("s => document.querySelector(s)?.dataset.series", arg=users_chart,
                           timeout=WAIT_MS)
    page.wait_for_function("s => document.querySelector(s)?.dataset.drawn", arg=topo_chart,
                           timeout=WAIT_MS)
    # Users: the users page's daily series, which is the API's.
    daily = api(server, "/users", service=service, **{"from": to - 30 * 86_400_000, "to": to})
    pinned = page.eval_on_selector(users_chart, "e => e.dataset.series")
    assert pinned == daily_on_page
    assert json.loads(pinned) == [[p["ts"], p["users"], p["exact"]] for p in daily["daily"]]
    assert any(p["users"] for p in daily["daily"])
    # Topology: every node of the API's map for the window drawn.
    topo = api(server, "/topology", level="service", **{"from": frm, "to": to})
    drawn = json.loads(page.eval_on_selector(topo_chart, "e => e.dataset.drawn"))
    assert sorted(n["id"] for n in drawn["nodes"]) == sorted(n["id"] for n in topo["nodes"])
    assert len(topo["nodes"]) >= 4
    # SLA: no checks run on this server, so no subject: the page's own empty state.
    assert api(server, "/sla/subjects")["subjects"] == []
    page.wait_for_function(
        "() => document.querySelector(\".my-cell[data-kind='sla.table']\")"
        ".innerText.includes('No SLA subject yet.')", timeout=WAIT_MS)
    problems.check()
