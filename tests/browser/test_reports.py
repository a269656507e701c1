"""The Reports page in a real Chromium against its own real server with known traffic:
a report generated from the form is built on the server, its row shows the API's state,
100 % and links to its HTML, PDF and CSV (each fetched: the HTML's title, a PDF, the
CSV's first block); a bad period shows the server's 400 beside the form; a schedule added
from the form is the one the API lists; screenshot docs/screenshots/reports.png."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import SmtpReceiver, call
from otlp_build import span, traces
from server_process import ServerProcess

from .conftest import CHROMIUM, SCREENSHOTS, Problems

pytestmark = pytest.mark.timeout(300)
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    tmp = tmp_path_factory.mktemp("reports-console")
    smtp = SmtpReceiver(tmp)
    server = ServerProcess(tmp / "data", {"BONGSU_FSYNC": "off",
                                          "BONGSU_LOAD_BATCH_SECONDS": "0.05",
                                          "BONGSU_REPORTS_INTERVAL_SECONDS": "3600"}).start()
    try:
        t0 = time.time_ns() - 10 * 60 * 10**9
        spans = ([span("GET /cart", start_ns=t0 + i * 10**9, duration_ms=25.0)
                  for i in range(30)]
                 + [span("POST /checkout", start_ns=t0 + i * 10**9, duration_ms=700.0,
                         error=i % 2 == 0, attributes={"http.response.status_code": 502})
                    for i in range(6)])
        status, _, body = server.post("/v1/traces", traces(spans, service="store",
                                                           instance="store-1")
                                      .SerializeToString())
        assert status == 200, body
        server.wait_loaded()
        status, channel = call(server.api_url, "POST", "/api/v1/channels", {
            "name": "managers", "type": "email", "config": {
                "host": "127.0.0.1", "port": smtp.port, "username": "alerts",
                "password": "pw", "from": "bongsu@example.net", "to": ["boss@example.net"],
                "ca_file": str(smtp.cert)}})
        assert status == 201, channel
        yield server, str(channel["id"])
    finally:
        server.stop()
        smtp.stop()


def _api(server: ServerProcess, path: str) -> Any:
    with urllib.request.urlopen(server.api_url + path, timeout=30) as r:
        return json.loads(r.read())


def test_reports_page_generates_downloads_and_schedules(
        page: Any, world: tuple[ServerProcess, str], problems: Problems) -> None:
    server, channel_id = world
    page.goto(f"{server.api_url}/#/reports?lang=en&theme=light")
    page.wait_for_selector("#report-form select[name=kind] option[value=performance]",
                           state="attached", timeout=WAIT_MS)
    page.wait_for_selector("#report-form select[name=service] option[value=store]",
                           state="attached", timeout=WAIT_MS)

    # A period ending before it starts: the server's 400, beside the form.
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * 86_400))
    page.fill("#report-form input[name=from]", today)
    page.fill("#report-form input[name=to]", yesterday)
    page.click("#report-generate")
    page.wait_for_selector("#report-error", timeout=WAIT_MS)
    assert page.inner_text("#report-error") == "to: must be after from"
    # The one refused request, seen as a response and as the browser's console line.
    expected = [i for i in problems.items if "400" in i]
    assert expected and all("/api/v1/reports" in i or i.startswith("console: ")
                            for i in expected), problems.items
    problems.items = [i for i in problems.items if "400" not in i]

    # Today's report of the store service.
    page.fill("#report-form input[name=to]", today)
    page.select_option("#report-form select[name=service]", "store")
    page.click("#report-generate")
    page.wait_for_function(
        "() => { const r = document.querySelector('#reports-table tbody tr');"
        " return r && r.dataset.state === 'done'"
        " && r.querySelectorAll('a.download').length === 3; }", timeout=WAIT_MS)
    [job] = _api(server, "/api/v1/reports")["reports"]
    assert job["state"] == "done" and job["service"] == "store" and job["progress"] == 100
    row = page.locator(f"#reports-table tr[data-report='{job['id']}']")
    assert row.locator(".title").inner_text() == job["title"] == "Performance report — store"
    assert row.locator(".pct").inner_text() == "100 %"
    links = row.locator("a.download")
    assert [links.nth(i).get_attribute("data-format") for i in range(3)] == job["formats"]
    for i, fmt in enumerate(job["formats"]):
        href = str(links.nth(i).get_attribute("href"))
        answer = page.request.get(f"{server.api_url}/{href}")
        assert answer.status == 200, (fmt, answer.status)
        body = answer.body()
        if fmt == "html":
            assert "<h1>Performance report — store</h1>" in body.decode()
        elif fmt == "pdf":
            assert body.startswith(b"%PDF-")
        else:
            assert body.decode().splitlines()[:2] == [
                "[daily]", "service,day,transactions,tps,errors,error_rate,p95_ms,apdex"]

    # A schedule from the form: the one the API lists.
    page.fill("#schedule-form input[name=name]", "Monthly store")
    page.select_option("#schedule-form select[name=kind]", "performance")
    page.select_option("#schedule-form select[name=service]", "store")
    page.select_option("#schedule-form select[name=every]", "monthly")
    page.fill("#schedule-form input[name=at]", "06:30")
    page.select_option("#schedule-form select[name=channel_id]", channel_id)
    page.click("#schedule-add")
    page.wait_for_selector("#schedules-table tbody tr", timeout=WAIT_MS)
    [schedule] = _api(server, "/api/v1/report-schedules")["schedules"]
    assert {k: schedule[k] for k in ("name", "kind", "service", "every", "at", "channel_id")} \
        == {"name": "Monthly store", "kind": "performance", "service": "store",
            "every": "monthly", "at": "06:30", "channel_id": channel_id}
    cells = page.locator(f"#schedules-table tr[data-schedule='{schedule['id']}'] td")
    assert cells.nth(0).inner_text() == "Monthly store"
    assert cells.nth(3).inner_text() == "06:30"
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "reports.png"), full_page=True)
    problems.check()
    assert call(server.api_url, "GET", "/api/v1/reports/kinds")[0] == 200
