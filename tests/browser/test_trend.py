"""The Trend page and the dashboard's OOM verdict in a real Chromium, against their own
real server fed 29 whole days of known memory points over OTLP (retention raised to 100 days):
the drawn daily band, mean and fitted line equal what ``/api/v1/trend`` answers, the table's
slope and week over week are the API's figures, picking a series and the days redraws, and
the dashboard lists each instance's verdict with the API's sentence."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from query.otlp import SERVER, PointSpec, SpanSpec, metrics_request, traces_request
from server_process import ServerProcess

from .conftest import CHROMIUM, Problems

pytestmark = pytest.mark.timeout(240)

S = 1_000_000
DAY = 86_400 * S
MB = 1e6
DAYS = 30
WAIT_MS = 20_000


def world(now_us: int) -> tuple[list[PointSpec], list[SpanSpec]]:
    """ledger-1 grows 4 MB a day (and 20 MB across each day), ledger-2 stays at 220 MB, a
    point every 30 minutes for the DAYS - 1 whole UTC days before today (none today, so
    the page shows the same days at 00:00:30 as at noon: the console asks for the trend as
    of now); billing-1 leaks 40 MB/h and billing-2 jumps from 90 MB to 450 MB 20 minutes
    ago, a point a minute for 6 hours; a request a minute each."""
    today = now_us // DAY * DAY
    points, spans = [], []
    for d in range(DAYS - 1):
        for slot in range(48):
            ts = today - (DAYS - 1 - d) * DAY + slot * 1800 * S + 60 * S
            points.append(PointSpec("ledger", "ledger-1", "process.memory.usage", ts,
                                    100 * MB + 4 * MB * d + 20 * MB * slot / 47))
            points.append(PointSpec("ledger", "ledger-2", "process.memory.usage", ts, 220 * MB))
    start = (now_us // (60 * S) - 360) * 60 * S
    for k in range(360):
        ts = start + k * 60 * S
        points.append(PointSpec("billing", "billing-1", "process.memory.usage", ts,
                                150 * MB + 40 * MB * k / 60))
        points.append(PointSpec("billing", "billing-2", "process.memory.usage", ts,
                                90 * MB if k < 340 else 450 * MB))
        for i, (svc, inst) in enumerate((("billing", "billing-1"), ("billing", "billing-2"),
                                         ("ledger", "ledger-1"), ("ledger", "ledger-2"))):
            spans.append(SpanSpec(svc, inst, (k << 8) + i + 1, (k << 8) + i + 1, 0, "GET /",
                                  SERVER, ts + 1000, 20_000,
                                  attrs={"http.response.status_code": 200}))
    return points, spans


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    s = ServerProcess(Path(tmp_path_factory.mktemp("trend")) / "data",
                      {"BONGSU_RETENTION_DAYS": "100",
                       "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    points, spans = world(time.time_ns() // 1000)
    for i in range(0, len(points), 500):
        status, _, reply = s.post("/v1/metrics", metrics_request(points[i:i + 500]))
        assert status == 200, reply
    for i in range(0, len(spans), 500):
        status, _, reply = s.post("/v1/traces", traces_request(spans[i:i + 500]))
        assert status == 200, reply
    s.wait_loaded()
    yield s
    s.stop()


def api(server: ServerProcess, path: str, **params: Any) -> Any:
    url = f"{server.api_url}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def open_page(page: Any, server: ServerProcess, route: str, **params: str) -> None:
    query = urllib.parse.urlencode({"range": "6h", "lang": "en", "theme": "dark", **params})
    page.goto(f"{server.api_url}/#/{route}?{query}")


def drawn_days(page: Any, expect: int) -> list[list[float]]:
    page.wait_for_function(
        """n => { const e = document.querySelector('#trend-chart');
                  return e && e.dataset.rendered && e.dataset.days
                    && JSON.parse(e.dataset.days).length === n; }""",
        arg=expect, timeout=WAIT_MS)
    return json.loads(page.get_attribute("#trend-chart", "data-days"))


def same(drawn: list[list[float]], daily: list[dict[str, Any]]) -> bool:
    """The drawn [day, min, avg, max] rows are the API's days (means to 1e-12: the store's
    sums may add in another order from one read to the next)."""
    assert [r[0] for r in drawn] == [d["day"] for d in daily]
    assert [r[1:] for r in drawn] == [pytest.approx([d["min"], d["avg"], d["max"]], rel=1e-12)
                                      for d in daily]
    return True


def fmt_bytes(v: float) -> str:
    """The console's fmtBytes (en): 1024-based, at most one decimal."""
    units, i = ["B", "KiB", "MiB", "GiB", "TiB"], 0
    while abs(v) >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    text = f"{v:,.1f}".rstrip("0").rstrip(".")
    return f"{text} {units[i]}"


def fmt_pct(v: float) -> str:
    digits = 2 if v < 0.1 else 1
    return f"{v * 100:,.{digits}f}".rstrip("0").rstrip(".") + "%"


def signed_pct(v: float) -> str:
    return f"+{fmt_pct(v)}" if v > 0 else f"\u2212{fmt_pct(-v)}" if v < 0 else fmt_pct(0)


def test_trend_page_draws_the_apis_figures(page: Any, server: ServerProcess, problems: Problems
                                           ) -> None:
    open_page(page, server, "trend", service="ledger", days="30", group_by="instance")
    body = api(server, "/api/v1/trend", metric="process.memory.usage", service="ledger",
               group_by="instance", days=30)
    first, second = body["series"]
    assert (first["group"], second["group"]) == ("ledger-1", "ledger-2")
    days = drawn_days(page, len(first["daily"]))
    assert len(days) == DAYS - 1  # the window's 30 days, today without a point
    assert same(days, first["daily"])
    fit = first["fit"]
    drawn_fit = json.loads(page.get_attribute("#trend-chart", "data-fit"))
    assert [x for p in drawn_fit for x in p] == pytest.approx(
        [fit["start"], fit["start_value"], fit["end"], fit["end_value"]], rel=1e-12)
    assert fit["slope_per_day"] == pytest.approx(4 * MB, rel=1e-3)
    # the table: one row per series, the API's slope and week over week as shown
    rows = page.eval_on_selector_all("#trend-table tbody tr", "rs => rs.map(r => r.dataset.group)")
    assert rows == ["ledger-1", "ledger-2"]
    slope = page.inner_text("#trend-table tr[data-group='ledger-1'] td.slope")
    assert slope == "+" + fmt_bytes(fit["slope_per_day"])
    wow = page.inner_text("#trend-table tr[data-group='ledger-1'] td.wow")
    assert wow == signed_pct(first["week_over_week"]["change"])
    assert page.inner_text("#trend-table tr[data-group='ledger-2'] td.wow") == "0%"
    summary = page.inner_text("#trend-slope")
    assert summary.startswith(f"Trend +{fmt_bytes(fit['slope_per_day'])} a day")
    assert f"week over week {wow}" in summary
    assert "ledger-1" in page.inner_text("#trend-chart-panel header h3")
    page.wait_for_timeout(400)
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                             / "trend.png"), full_page=True)

    # another series: its band is drawn instead
    page.click("#trend-table tr[data-group='ledger-2']")
    page.wait_for_function(
        "() => { const e = document.querySelector('#trend-chart');"
        " return !!e && !!e.dataset.days && JSON.parse(e.dataset.days)[0]?.[1] === 220e6; }",
        timeout=WAIT_MS)
    assert same(drawn_days(page, len(second["daily"])), second["daily"])
    assert "ledger-2" in page.inner_text("#trend-chart-panel header h3")

    # fewer days: the URL and the chart follow
    page.select_option("#trend-days", "7")
    week = api(server, "/api/v1/trend", metric="process.memory.usage", service="ledger",
               group_by="instance", days=7)["series"][0]
    assert len(week["daily"]) == 6  # the 7 days' window, today without a point
    assert same(drawn_days(page, 6), week["daily"])
    assert "days=7" in page.url
    problems.check()


def test_the_dashboard_shows_each_instances_oom_verdict(page: Any, server: ServerProcess,
                                                        problems: Problems) -> None:
    open_page(page, server, "dashboard", service="billing")
    page.wait_for_function(
        "() => document.querySelectorAll('#mem-panel #oom-verdict li.oom-row').length === 2",
        timeout=WAIT_MS)
    body = api(server, "/api/v1/oom", service="billing")
    want = {v["subject"]["instance"]: v for v in body["verdicts"]}
    assert {k: v["verdict"] for k, v in want.items()} == {"billing-1": "leak",
                                                          "billing-2": "spike"}
    rows = page.eval_on_selector_all(
        "#oom-verdict li.oom-row",
        "rs => rs.map(r => [r.dataset.subject, r.dataset.verdict,"
        " r.querySelector('.oom-reason').innerText, r.querySelector('.badge').innerText])")
    # growth first: the spike, then the leak, each with the API's sentence
    assert rows == [["billing-2", "spike", want["billing-2"]["reason"], "spike"],
                    ["billing-1", "leak", want["billing-1"]["reason"], "leak"]]
    assert "jumped by 343.3 MiB" in rows[0][2]
    page.wait_for_timeout(400)
    page.locator("#mem-panel").screenshot(
        path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                 / "dashboard-oom-verdict.png"))
    problems.check()
