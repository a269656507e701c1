"""A performance report over a real server with known traffic: the HTML's figures equal the
API's (and the counts sent), the CSV parsed back equals the HTML, and the PDF printed by
real Chromium is looked at — its first page turned into an image is not blank and its text
carries the title and the figures."""

from __future__ import annotations

import calendar
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from alerts.receivers import call, until
from otlp_build import span, traces
from reports.pages import csv_blocks, first_page_pixels, html_tables, pdf_pages, pdf_text
from server_process import ServerProcess, survivors

ENV = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
       "BONGSU_REPORTS_INTERVAL_SECONDS": "3600"}
DAY_MS = 86_400_000


def _day_ms(ms: int) -> int:
    return ms // DAY_MS * DAY_MS


def _fmt(value: Any, digits: int) -> str:
    return "" if value is None else str(round(float(value), digits))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("reports")
    server = ServerProcess(tmp / "data", ENV)
    try:
        server.start()
        now_ns = time.time_ns()
        t0 = now_ns - 20 * 60 * 10**9  # 20 minutes ago, spread over ten minutes
        shop_spans = (
            [span("GET /items", start_ns=t0 + i * 10**9, duration_ms=20.0,
                  attributes={"http.response.status_code": 200}) for i in range(40)]
            + [span("GET /report", start_ns=t0 + i * 10**9, duration_ms=900.0 + i,
                    attributes={"http.response.status_code": 200}) for i in range(10)]
            + [span("POST /pay", start_ns=t0 + i * 10**9, duration_ms=50.0, error=True,
                    attributes={"http.response.status_code": 500}) for i in range(5)])
        auth_spans = [span("POST /login", start_ns=t0 + i * 10**9, duration_ms=30.0,
                           attributes={"enduser.id": f"user-{i % 7}"}) for i in range(20)]
        for request in (traces(shop_spans, service="shop", instance="shop-1"),
                        traces(auth_spans, service="auth", instance="auth-1")):
            status, _, body = server.post("/v1/traces", request.SerializeToString())
            assert status == 200, body
        server.wait_loaded()
        start = _day_ms(t0 // 10**6)
        end = _day_ms(now_ns // 10**6) + DAY_MS
        yield {"server": server, "from": start, "to": end, "tmp": tmp}
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def _built(server: ServerProcess, body: dict[str, Any]) -> dict[str, Any]:
    status, job = call(server.api_url, "POST", "/api/v1/reports", body)
    assert status == 202, job
    assert job["state"] == "queued" and job["progress"] == 0
    done = until("the report built", lambda: (
        lambda j: j if j["state"] in ("done", "failed") else None)(
        call(server.api_url, "GET", f"/api/v1/reports/{job['id']}")[1]), timeout=240)
    assert done["state"] == "done", done
    assert done["progress"] == 100
    return dict(done)


def _download(server: ServerProcess, job_id: str, fmt: str) -> tuple[str, bytes]:
    url = f"{server.api_url}/api/v1/reports/{job_id}/download?format={fmt}"
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.headers["Content-Type"], r.read()


def test_the_html_csv_and_pdf_show_the_apis_figures(shop: dict[str, Any]) -> None:
    server: ServerProcess = shop["server"]
    job = _built(server, {"kind": "performance", "from": shop["from"], "to": shop["to"]})
    assert job["formats"] == ["html", "csv", "pdf"], job
    assert job["title"] == "Performance report — all services"

    kind, raw = _download(server, job["id"], "html")
    assert kind.startswith("text/html")
    title, tables = html_tables(raw.decode())
    assert title == "Performance report — all services"

    # Per service and day: every figure as GET /services/{s}/series?step=86400 answers it.
    expected = [["service", "day", "transactions", "tps", "errors", "error_rate", "p95_ms",
                 "apdex"]]
    for service in ("auth", "shop"):
        status, series = call(server.api_url, "GET", f"/api/v1/services/{service}/series"
                              f"?from={shop['from']}&to={shop['to']}&step=86400")
        assert status == 200, series
        for p in series["points"]:
            expected.append([service, time.strftime("%Y-%m-%d", time.gmtime(p["ts"] / 1000)),
                             str(p["transactions"]), _fmt(p["tps"], 3), str(p["errors"]),
                             _fmt(p["error_rate"], 4), _fmt(p["p95_ms"], 1),
                             _fmt(p["apdex"], 3)])
    assert tables["daily"] == expected
    # … and the counts sent, recomputed from the traffic itself.
    per_service: dict[str, list[int]] = {}
    for row in tables["daily"][1:]:
        totals = per_service.setdefault(row[0], [0, 0])
        totals[0] += int(row[2])
        totals[1] += int(row[4])
    assert per_service == {"auth": [20, 0], "shop": [55, 5]}

    # The slowest endpoint is the 900 ms one (its slowest took 909 ms); the top error is
    # the 500 of POST /pay, five times.
    slow = tables["slowest"]
    assert slow[0] == ["service", "endpoint", "slow_transactions", "max_ms", "avg_ms"]
    assert slow[1][:2] == ["shop", "GET /report"] and slow[1][3] == "909.0", slow
    assert tables["errors"][1:] == [["shop", "POST /pay", "500", "5"]]

    # The CSV, parsed back, is the same tables.
    kind, raw_csv = _download(server, job["id"], "csv")
    assert kind.startswith("text/csv")
    blocks = csv_blocks(raw_csv.decode())
    for name in ("daily", "slowest", "errors"):
        assert blocks[name] == tables[name], name
    assert set(blocks) == {"daily", "slowest", "errors", "events", "alerts"}

    # The PDF: printed by Chromium, looked at.
    kind, pdf = _download(server, job["id"], "pdf")
    assert kind == "application/pdf" and pdf.startswith(b"%PDF-")
    path = shop["tmp"] / "report.pdf"
    path.write_bytes(pdf)
    assert pdf_pages(path) >= 1
    width, height, inked = first_page_pixels(path, shop["tmp"] / "page1")
    assert (width, height) == (414, 586)  # A4 (210 x 297 mm) at 50 dpi, rounded up
    assert inked > 0.01 * width * height, inked  # text, table rules and figure boxes
    text = pdf_text(path)
    assert "Performance report — all services" in text
    assert "GET /report" in text and "POST /pay" in text
    for row in expected[1:]:
        assert row[2] in text


def test_one_service(shop: dict[str, Any]) -> None:
    server: ServerProcess = shop["server"]
    job = _built(server, {"kind": "performance", "service": "auth", "from": shop["from"],
                          "to": shop["to"]})
    _, raw = _download(server, job["id"], "html")
    title, tables = html_tables(raw.decode())
    assert title == "Performance report — auth"
    assert {row[0] for row in tables["daily"][1:]} == {"auth"}
    status, listed = call(server.api_url, "GET", "/api/v1/reports")
    assert status == 200 and job["id"] in [r["id"] for r in listed["reports"]]


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "nope", "from": 0, "to": 1}, "kind"),
    ({"kind": "performance", "from": 5, "to": 5}, "to"),
    ({"kind": "performance", "from": 0, "to": 401 * DAY_MS}, "to"),
    ({"kind": "performance", "from": 0, "to": 1, "colour": "red"}, "colour"),
    ({"kind": "performance", "to": 1}, "from"),
])
def test_bad_requests_name_the_field(shop: dict[str, Any], body: dict[str, Any],
                                     field: str) -> None:
    status, answer = call(shop["server"].api_url, "POST", "/api/v1/reports", body)
    assert status == 400, answer
    assert field in answer["detail"], answer


def test_unknown_report_and_format(shop: dict[str, Any]) -> None:
    api = shop["server"].api_url
    assert call(api, "GET", "/api/v1/reports/0123456789abcdef")[0] == 404
    assert call(api, "GET", "/api/v1/reports/0123456789abcdef/download?format=pdf")[0] == 404
    status, answer = call(api, "GET", "/api/v1/reports/x/download?format=docx")
    assert status == 400 and "format" in answer["detail"], answer




def test_the_users_report_shows_the_users_apis_figures(shop: dict[str, Any]) -> None:
    server: ServerProcess = shop["server"]
    job = _built(server, {"kind": "users", "service": "auth", "from": shop["from"],
                          "to": shop["to"]})
    _, raw = _download(server, job["id"], "html")
    title, tables = html_tables(raw.decode())
    assert title == "Service users — auth"
    status, users = call(server.api_url, "GET", f"/api/v1/users?service=auth"
                         f"&from={shop['from']}&to={shop['to']}")
    assert status == 200, users
    assert [[time.strftime("%Y-%m-%d", time.gmtime(p["ts"] / 1000)), str(p["users"])]
            for p in users["daily"]] == [row[:2] for row in tables["daily"][1:]]
    # Seven distinct users sent, all today: the busiest day shows them, exactly.
    assert max(int(row[1]) for row in tables["daily"][1:]) == 7
    assert f"<div class=\"label\">DAU</div><div class=\"value\">{users['dau']['users']}</div>" \
        in raw.decode()


def test_the_sla_report_shows_the_sla_apis_traffic_figures(shop: dict[str, Any]) -> None:
    server: ServerProcess = shop["server"]
    job = _built(server, {"kind": "sla", "service": "shop", "from": shop["from"],
                          "to": shop["to"]})
    _, raw = _download(server, job["id"], "html")
    title, tables = html_tables(raw.decode())
    assert title == "SLA report — shop"
    status, sla = call(server.api_url, "GET", f"/api/v1/sla?service=shop&source=traffic"
                       f"&from={shop['from']}&to={shop['to']}")
    assert status == 200, sla
    [traffic] = [row for row in tables["totals"][1:] if row[0] == "traffic SLO"]
    assert traffic[2] == _fmt(sla["total"]["sla_percent"], 4)
    assert traffic[3] == str(sla["total"]["target_percent"])
    # 5 of the 55 requests are errors: at most 50 of 55 are good.
    assert float(traffic[2]) <= 100 * 50 / 55


def test_a_service_report_without_its_service_is_refused(shop: dict[str, Any]) -> None:
    status, answer = call(shop["server"].api_url, "POST", "/api/v1/reports",
                          {"kind": "sla", "from": shop["from"], "to": shop["to"]})
    assert status == 400 and answer["detail"].startswith("service:"), answer


def test_the_metering_report_is_the_statement_of_its_month(shop: dict[str, Any]) -> None:
    server: ServerProcess = shop["server"]
    month = time.strftime("%Y-%m", time.gmtime(shop["from"] / 1000))
    start = calendar.timegm(time.strptime(month + "-01", "%Y-%m-%d")) * 1000
    year, mon = (int(x) for x in month.split("-"))
    end = calendar.timegm((year + mon // 12, mon % 12 + 1, 1, 0, 0, 0)) * 1000
    job = _built(server, {"kind": "metering", "from": start, "to": end})
    _, raw = _download(server, job["id"], "csv")
    status, s = call(server.api_url, "GET", f"/api/v1/metering/statement?month={month}")
    assert status == 200, s
    lines = csv_blocks(raw.decode())["lines"]
    assert lines[0][:2] == ["cluster", "namespace"]
    # No cluster is watched here: the statement has no line and neither has the report.
    assert [row[:2] for row in lines[1:]] == [[x["cluster"], x["key"]] for x in s["lines"]]
    _, page = _download(server, job["id"], "html")
    assert f"{s['capacity_cost']:,.2f} {s['currency']}" in page.decode()
