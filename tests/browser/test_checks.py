"""The Checks page in a real Chromium against its own real server probing real loopback
targets: an HTTP check that is up, an HTTPS one whose certificate (made in the test)
expires in 3 days against a 7-day condition, a TCP check on a closed port. Each row's
state, last result and sparkline are the API's; the form shows the server's 400 beside
the field it names, then creates a check; "Run now" shows the probe's answer; an alert's
link (``?check=``) marks its row."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import call, free_port, until
from server_process import ServerProcess
from synthetics.targets import Target, make_ca_and_cert, tls_context

from .conftest import CHROMIUM, SCREENSHOTS, Problems

pytestmark = pytest.mark.timeout(240)
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Target,
                                                                      dict[str, str]]]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    tmp = tmp_path_factory.mktemp("checks-console")
    web = Target().start()
    _, key, cert = make_ca_and_cert(tmp, 3)
    tls = Target().start(tls_context(key, cert))
    server = ServerProcess(tmp / "data", {"BONGSU_FSYNC": "off"}).start()
    ids = {}
    for body in [
        {"name": "Shop health", "type": "http", "interval_s": 10,
         "target": {"url": web.url("/ok"), "timeout_s": 5},
         "conditions": [{"on": "status", "op": "==", "value": 200},
                        {"on": "json", "path": "$.status", "op": "equals", "value": "ok"}]},
        {"name": "Shop TLS", "type": "http", "interval_s": 10,
         "target": {"url": tls.url("/ok"), "timeout_s": 5, "verify_tls": False},
         "conditions": [{"on": "tls_days_left", "op": ">=", "value": 7}]},
        {"name": "Orders DB", "type": "tcp", "interval_s": 10,
         "target": {"host": "127.0.0.1", "port": free_port(), "timeout_s": 2}},
    ]:
        status, made = call(server.api_url, "POST", "/api/v1/checks", body)
        assert status == 201, made
        ids[body["name"]] = made["id"]
    until("two results of every check", lambda: all(
        len(c["recent"]) >= 2 for c in _checks(server)), timeout=90)
    yield server, web, ids
    server.stop()
    web.stop()
    tls.stop()


def _checks(server: ServerProcess) -> list[dict[str, Any]]:
    with urllib.request.urlopen(server.api_url + "/api/v1/checks", timeout=30) as r:
        return list(json.loads(r.read())["checks"])


def test_checks_page_shows_the_apis_state_and_edits(
        page: Any, world: tuple[ServerProcess, Target, dict[str, str]],
        problems: Problems) -> None:
    server, web, ids = world
    tls_id = ids["Shop TLS"]
    page.goto(f"{server.api_url}/#/checks?lang=en&theme=dark&check={tls_id}")
    page.wait_for_function(
        "() => document.querySelectorAll('#checks-table tbody tr').length === 3"
        " && document.querySelectorAll('#checks-table svg.sparkline').length === 3",
        timeout=WAIT_MS)
    checks = _checks(server)
    rows = page.eval_on_selector_all(
        "#checks-table tbody tr", "rs => rs.map(r => [r.dataset.check, r.dataset.state])")
    assert sorted(rows) == sorted([c["id"], c["state"]] for c in checks)
    assert {c["name"]: c["state"] for c in checks} == {
        "Shop health": "up", "Shop TLS": "down", "Orders DB": "down"}
    by_id = {c["id"]: c for c in checks}
    tls_row = f"#checks-table tr[data-check='{tls_id}']"
    assert page.get_attribute(tls_row, "class") == "marked"
    assert "tls_days_left >= 7" in page.inner_text(f"{tls_row} td.last")
    assert "certificate: 3.0 days left" in page.inner_text(f"{tls_row} td.last")
    db_row = f"#checks-table tr[data-check='{ids['Orders DB']}']"
    assert "connection refused" in page.inner_text(f"{db_row} td.last")
    assert page.inner_text(f"{db_row} td.state") == "down"
    # The sparkline has one dot per recent result (as of the page's read), coloured by it.
    for cid in ids.values():
        dots = page.eval_on_selector_all(
            f"#checks-table tr[data-check='{cid}'] svg.sparkline circle",
            "cs => cs.map(c => c.getAttribute('class'))")
        recent = by_id[cid]["recent"]
        assert len(dots) in (len(recent), len(recent) - 1, len(recent) + 1)
        assert set(dots) == {f"dot {by_id[cid]['state']}"}

    # Run now: the probe's answer inline.
    page.click(f"{tls_row} button.run-btn")
    page.wait_for_selector(f"{tls_row} .run-result[data-outcome='down']", timeout=WAIT_MS)
    assert page.inner_text(f"{tls_row} .run-result").endswith(": tls_days_left >= 7")

    # The form: the server's 400 beside its field, then a check made.
    page.fill("#check-name", "Shop redirect")
    page.fill("#check-url", web.url("/redirect"))
    page.fill("#check-interval_s", "30")
    page.fill("#check-conditions", '[{"on": "status", "op": "==", "value": 200},'
                                   ' {"on": "body", "op": "has", "value": "ok"}]')
    page.click("#check-submit")
    page.wait_for_selector(".field-error[data-field='conditions']", timeout=WAIT_MS)
    assert page.inner_text(".field-error[data-field='conditions']") == (
        "conditions[1].op: for body: one of contains, not_contains, regex, got 'has'")
    assert [i for i in problems.items if "/api/v1/checks" in i] == [
        f"HTTP 400 {server.api_url}/api/v1/checks"]
    problems.items = [i for i in problems.items if "/api/v1/checks" not in i]
    refused = "console: Failed to load resource: the server responded with a status of 400"
    page.fill("#check-conditions", '[{"on": "body", "op": "contains", "value": "ok"}]')
    page.click("#check-submit")
    page.wait_for_function(
        "() => document.querySelectorAll('#checks-table tbody tr').length === 4",
        timeout=WAIT_MS)
    made = next(c for c in _checks(server) if c["name"] == "Shop redirect")
    assert made["interval_s"] == 30 and made["conditions"] == [
        {"on": "body", "op": "contains", "value": "ok"}]
    assert made["target"]["url"] == web.url("/redirect")
    assert page.input_value("#check-name") == ""  # the form is cleared for the next one
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "checks.png"), full_page=True)

    # Korean labels.
    page.goto(f"{server.api_url}/#/checks?lang=ko&theme=dark")
    page.wait_for_function("() => document.querySelector('#checks-panel h3')?.innerText"
                           " === '합성 점검'", timeout=WAIT_MS)
    # The browser also logs the one refused POST (when it logs it varies).
    logged = [i for i in problems.items if i.startswith(refused)]
    assert logged in ([], [refused + " (Bad Request)"])
    problems.items = [i for i in problems.items if not i.startswith(refused)]
    problems.check()
