"""The Metering page in a real Chromium against its own server watching a loopback cluster
(``tests/metering/cluster.py``): the statement's lines, costs and totals as the API gives
them, the CSV link, the nodes' capacity = allocated + idle, and the grouping picked from the
page (the URL follows); the screenshot is docs/screenshots/metering.png."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metering.cluster import METERED, populate
from server_process import ServerProcess

from .conftest import CHROMIUM, Problems

pytestmark = pytest.mark.timeout(240)
WAIT_MS = 20_000
HOUR_MS = 3_600_000
RATES = {"default": {"currency": "KRW", "cpu_core_hour": 45.0, "memory_gib_hour": 6.0},
         "clusters": {}}


def call(server: ServerProcess, method: str, path: str, params: dict[str, Any] | None = None,
         body: Any = None) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    request = urllib.request.Request(
        f"{server.api_url}{path}{query}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        text = r.read().decode()
    return json.loads(text) if text.startswith(("{", "[")) else text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    from bongsu.simulate.kube import ApiServer, FakeCluster
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    root = Path(tmp_path_factory.mktemp("metering-console"))
    cluster = FakeCluster(name="lab")
    populate(cluster)
    with ApiServer(cluster) as kube:
        s = ServerProcess(root / "data", {
            "BONGSU_KUBE_CLUSTERS": f"lab={kube.kubeconfig(root / 'lab.kubeconfig')}",
            "BONGSU_KUBE_USAGE_INTERVAL_SECONDS": "1", "BONGSU_KUBE_STATE_INTERVAL_SECONDS": "1",
            "BONGSU_METERING_INTERVAL_SECONDS": "3600"}).start()
        try:
            deadline = time.monotonic() + 90
            while True:  # every metered container has points, then the hours are stored
                now = int(time.time() * 1000)
                window = {"from": now // HOUR_MS * HOUR_MS - HOUR_MS,
                          "to": now // HOUR_MS * HOUR_MS + HOUR_MS}
                done = call(s, "POST", "/api/v1/metering/recompute", window)
                if done["rows"] >= len(METERED) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert done["rows"] >= len(METERED), done
            call(s, "PUT", "/api/v1/metering/rates", body=RATES)
            yield s
        finally:
            s.stop()


def fmt2(v: float, digits: int = 2) -> str:
    """The console's fmtNum(v, digits) in English."""
    return f"{round(v):,}" if abs(v) >= 1000 else f"{v:,.{digits}f}".rstrip("0").rstrip(".")


def fmt_hours(v: float) -> str:
    """The page's core- and GiB-hours: three decimals below one, else two."""
    return fmt2(v, 3 if abs(v) < 1 else 2)


def test_statement_page_shows_the_apis_figures(page: Any, server: ServerProcess,
                                               problems: Problems) -> None:
    month = time.strftime("%Y-%m", time.gmtime())
    page.goto(f"{server.api_url}/#/metering?month={month}&group_by=team&lang=en&theme=dark")
    s = call(server, "GET", "/api/v1/metering/statement", {"month": month, "group_by": "team"})
    assert s["currency"] == "KRW" and {x["key"] for x in s["lines"]} == {
        "payments", "storefront", ""}
    page.wait_for_selector("#metering-table tbody tr", timeout=WAIT_MS)
    rows = page.eval_on_selector_all("#metering-table tbody tr", "rs => rs.map(r => r.dataset.key)")
    assert rows == [x["key"] for x in s["lines"]]  # largest total first, as the API orders
    for line in s["lines"]:
        tr = f"#metering-table tr[data-key='{line['key']}']"
        for col in ("request_cost", "usage_cost", "allocation_cost", "idle_cost", "total_cost"):
            assert page.inner_text(f"{tr} td[data-col='{col}']") == fmt2(line[col]), (line, col)
        f = line["figures"]
        assert page.inner_text(f"{tr} td[data-col='cpu']") == (
            f"{fmt_hours(f['cpu_request'])} / {fmt_hours(f['cpu_usage'])} / "
            f"{fmt_hours(f['cpu_allocated'])}")
        assert page.locator(f"{tr} .mt-bar").count() == 3
    assert page.inner_text("#metering-table tr[data-key=''] td.mt-group") == "(no team label)"
    total = page.inner_text("#metering-totals tr[data-key='total'] td[data-col='total_cost']")
    assert total == f"{fmt2(s['capacity_cost'])} KRW"
    summary = page.inner_text("#metering-summary")
    assert f"capacity {fmt2(s['capacity_cost'])} KRW = allocation " \
           f"{fmt2(s['allocation_cost'])} + idle {fmt2(s['idle_cost'])}" in summary
    # the nodes: capacity = allocated + idle, as the API gives them
    m = call(server, "GET", "/api/v1/metering", {
        "from": f"{month}-01T00:00:00", "to": time.strftime("%Y-%m-%dT%H:59:59", time.gmtime()),
        "group_by": "team"})
    nodes = page.eval_on_selector_all("#metering-nodes tbody tr",
                                      "rs => rs.map(r => r.dataset.node)")
    assert nodes == [*[n["node"] for n in m["nodes"]], "Total"]
    cells = page.eval_on_selector_all("#metering-nodes tbody tr[data-node='node-a'] td",
                                      "tds => tds.map(td => td.innerText)")
    a = next(n for n in m["nodes"] if n["node"] == "node-a")
    assert cells[2:5] == [fmt_hours(a[k]) for k in ("cpu_capacity", "cpu_allocated", "cpu_idle")]
    href = page.get_attribute("#metering-csv", "href")
    assert href == f"api/v1/metering/statement?month={month}&group_by=team&format=csv"
    path, query = href.split("?")
    csv_text = call(server, "GET", "/" + path, dict(urllib.parse.parse_qsl(query)))
    assert csv_text.splitlines()[-1].startswith(",(total),")
    page.wait_for_timeout(300)
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                             / "metering.png"), full_page=True)

    # per namespace, picked on the page: the URL and the table follow
    page.select_option("#metering-group-by", "namespace")
    page.wait_for_function("() => location.hash.includes('group_by=namespace')", timeout=WAIT_MS)
    by_ns = call(server, "GET", "/api/v1/metering/statement",
                 {"month": month, "group_by": "namespace"})
    page.wait_for_function(
        "keys => JSON.stringify([...document.querySelectorAll('#metering-table tbody tr')]"
        ".map(r => r.dataset.key)) === JSON.stringify(keys)",
        arg=[x["key"] for x in by_ns["lines"]], timeout=WAIT_MS)
    assert sorted(x["key"] for x in by_ns["lines"]) == ["pay", "shop"]
    assert page.inner_text("#metering-totals tr[data-key='total'] td[data-col='total_cost']") \
        == f"{fmt2(by_ns['capacity_cost'])} KRW"
    # in Korean: the same figures under the Korean labels
    page.goto(page.url.replace("lang=en", "lang=ko"))
    page.wait_for_function("() => document.querySelector('#metering-table th')?.innerText"
                           " === '네임스페이스'", timeout=WAIT_MS)
    assert page.inner_text("#metering-totals tr[data-key='total'] td:first-child") == \
        "합계 (= 용량)"
    problems.check()
