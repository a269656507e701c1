"""The SLA page in a real Chromium, against its own real server: 30 days of constructed
check results (two checks of the shop service and one without a target) written through the
store, a daily maintenance window, a Bongsu outage, and real requests of the shop over OTLP
for its traffic SLO. Each row's day bars, SLA, met badge and error budget are the API's."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bongsu.settings import Settings
from bongsu.store.duckdb import DuckDBStore
from bongsu.synthetics.model import CheckResult
from otlp_build import span, traces
from server_process import ServerProcess
from sla.client import call

from .conftest import CHROMIUM, Problems

pytestmark = pytest.mark.timeout(240)

US = 1_000_000
DAY = 86_400 * US
WAIT_MS = 20_000
TODAY = time.time_ns() // 1000 // DAY * DAY
DOWN = {"c_web": [(TODAY - 3 * DAY + 9 * 3600 * US, TODAY - 3 * DAY + 11 * 3600 * US),
                  (TODAY - 10 * DAY, TODAY - 10 * DAY + 1800 * US)],
        "c_api": [(TODAY - 3 * DAY + 10 * 3600 * US, TODAY - 3 * DAY + 10 * 3600 * US
                   + 600 * US)],
        "c_docs": []}
OUTAGE = (TODAY - 5 * DAY + 6 * 3600 * US, TODAY - 5 * DAY + 10 * 3600 * US)


def results(check: str, now_us: int) -> list[CheckResult]:
    rows = []
    for t in range(TODAY - 29 * DAY, now_us - 60 * US, 300 * US):
        if OUTAGE[0] < t < OUTAGE[1]:
            continue
        status = ("unknown" if t == OUTAGE[0] else
                  "down" if any(lo <= t < hi for lo, hi in DOWN[check]) else "up")
        rows.append(CheckResult("default", check, t, status, status, name=check))
    return rows


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    data = Path(tmp_path_factory.mktemp("sla-console")) / "data"
    data.mkdir()
    settings = Settings(data_dir=data)
    store = DuckDBStore.open(settings.store_path, settings.apdex_t_ms,
                             settings.apdex_overrides())
    now = time.time_ns() // 1000
    store.save_check_results([r for c in DOWN for r in results(c, now)])
    store.close()
    s = ServerProcess(data, {"BONGSU_FSYNC": "off", "BONGSU_CHECKS": "off",
                             "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    spans = [span(start_ns=(TODAY - DAY + 3600 * US + i * 1000) * 1000,
                  duration_ms=80 if i % 50 else 900, error=i % 97 == 0) for i in range(2000)]
    status, _, reply = s.post("/v1/traces", traces(spans, service="shop").SerializeToString())
    assert status == 200, reply
    s.wait_loaded()
    call(s, "POST", "/api/v1/silences", {
        "matchers": [{"name": "service", "op": "=", "value": "shop"}], "starts_ms": 0,
        "ends_ms": (TODAY + 30 * DAY) // 1000, "author": "ops", "comment": "backups",
        "recurrence": "daily 03:00-03:30"}, status=201)
    call(s, "PUT", "/api/v1/sla/targets", {"targets": [
        {"kind": "check", "subject": "c_web", "target_percent": 99.9, "service": "shop"},
        {"kind": "check", "subject": "c_api", "target_percent": 99.5, "service": "shop"},
        {"kind": "service", "subject": "shop", "target_percent": 99.0},
        {"kind": "traffic", "subject": "shop", "target_percent": 95.0, "threshold_ms": 300}]})
    yield s
    s.stop()


def api(server: ServerProcess, path: str, **params: Any) -> Any:
    url = f"{server.api_url}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def fmt3(v: float) -> str:
    """The console's fmtNum(v, 3) in English."""
    return f"{v:,.3f}".rstrip("0").rstrip(".")


def test_sla_page_shows_the_apis_figures(page: Any, server: ServerProcess,
                                         problems: Problems) -> None:
    page.goto(f"{server.api_url}/#/sla?lang=en&theme=dark")
    page.wait_for_function(
        "() => document.querySelectorAll('#sla-table tbody tr').length === 5"
        " && document.querySelectorAll('#sla-table .sla-day').length === 150",
        timeout=WAIT_MS)
    subjects = api(server, "/api/v1/sla/subjects")["subjects"]
    rows = page.eval_on_selector_all(
        "#sla-table tbody tr", "rs => rs.map(r => [r.dataset.kind, r.dataset.subject])")
    assert rows == [[s["target"]["kind"], s["target"]["subject"]] for s in subjects] == [
        ["check", "c_api"], ["check", "c_web"], ["service", "shop"], ["traffic", "shop"],
        ["check", "c_docs"]]
    start = (TODAY - 29 * DAY) // 1000
    for s in subjects:
        kind, subject = s["target"]["kind"], s["target"]["subject"]
        where = f"#sla-table tr[data-kind='{kind}'][data-subject='{subject}']"
        params = ({"check_id": subject} if kind == "check" else
                  {"service": subject, "source": "traffic"} if kind == "traffic" else
                  {"service": subject})
        report = api(server, "/api/v1/sla", period="day", **params, **{"from": start})
        bars = page.eval_on_selector_all(
            f"{where} .sla-day", "ds => ds.map(d => [d.dataset.day, Number(d.dataset.down)])")
        down = [p["requests"] - p["good"] if kind == "traffic" else p["down_s"]
                for p in report["periods"]]
        assert [b[1] for b in bars] == down, (kind, subject)
        current = s["current"]
        text = page.inner_text(f"{where} td.sla")
        if current["sla_percent"] is None:
            assert text.startswith("no data")
        else:
            assert text.startswith(fmt3(current["sla_percent"]) + "%")
            assert ("met" if current["met"] else "missed") in text
        # The current period runs to now: the API read after the page has up to two more
        # minutes of up time, each second adding (1 - target) to the budget.
        slack = (1 - s["target"]["target_percent"] / 100) * 120
        assert float(page.get_attribute(f"{where} td.budget", "data-left")) == pytest.approx(
            current["budget"]["left"], abs=slack)
    # The web check's down days show red; the outage day's grey part is unknown time.
    web = api(server, "/api/v1/sla", check_id="c_web", period="day", **{"from": start})
    assert web["periods"][26]["down_s"] == 7200 and web["periods"][19]["down_s"] == 1800
    assert web["periods"][24]["unknown_s"] == 4 * 3600
    assert all(p["maintenance_s"] == 1800 for p in web["periods"][:-1])
    assert "default target" in page.inner_text(
        "#sla-table tr[data-subject='c_docs'] td.target")
    page.wait_for_timeout(300)
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                             / "sla.png"), full_page=True)
    # Korean labels
    page.goto(f"{server.api_url}/#/sla?lang=ko&theme=dark")
    page.wait_for_function("() => document.querySelector('#sla-panel h3')?.innerText"
                           " === '서비스 수준'", timeout=WAIT_MS)
    problems.check()
