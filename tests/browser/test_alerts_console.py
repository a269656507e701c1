"""Alerts across the console, against the real server: a threshold rule on one service
(``tps > 0`` for 0 s, every 10 s, critical) fires on the simulator's traffic and is drawn
on the dashboard's time charts as a shaded area (what the chart drew, read from its
``data-alert-areas``, against the API's alert), the shell's badge counts what the API
counts, the Channels page's "Send test" reaches a real webhook receiver on loopback (and
shows the error of one that refuses), and a route is made from the form (a bad one shows
the server's message beside its field). Everything made here is deleted again."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import WebhookReceiver
from bongsu.alerts.channels.webhook import verify

from .conftest import Console, Problems
from .test_alerts import wait_firing
from .test_console import open_page, shot

pytestmark = pytest.mark.timeout(240)

RULE = "console tps critical"
TIME_CHARTS = ("#avg-panel .chart", "#err-panel .chart", "#mem-panel .chart", "#db-panel .chart")


def call(console: Console, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        f"{console.url}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def made(console: Console, path: str, body: Any) -> dict[str, Any]:
    status, answer = call(console, "POST", path, body)
    assert status == 201, (path, status, answer)
    return dict(answer)


@pytest.fixture
def cleanup(console: Console) -> Iterator[list[str]]:
    """Paths to DELETE after the test (routes before the channels they name)."""
    paths: list[str] = []
    yield paths
    for path in sorted(paths, key=lambda p: not p.startswith("/api/v1/routes/")):
        status, answer = call(console, "DELETE", path)
        assert status in (204, 404), (path, status, answer)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


def drawn(page: Any, chart: str) -> list[dict[str, Any]]:
    return list(json.loads(page.get_attribute(chart, "data-alert-areas") or "[]"))


def test_dashboard_draws_a_firing_alert_and_the_shell_counts_it(
    page: Any, console: Console, problems: Problems, screenshots: Path, cleanup: list[str]
) -> None:
    service = console.db_service
    rule = made(console, "/api/v1/rules", {
        "name": RULE, "kind": "threshold", "severity": "critical", "for": "0s",
        "spec": {"figure": "tps", "op": ">", "value": 0, "window_s": 600, "service": service}})
    cleanup.append(f"/api/v1/rules/{rule['id']}")
    [alert] = wait_firing(console, rule["id"])
    assert alert["labels"]["service"] == service
    # Firing for 30 s: a tenth of the 5 min window, wide enough to hover.
    time.sleep(max(0.0, alert["fired_at_ms"] / 1000 + 30 - time.time()))

    open_page(page, console, "dashboard", service=service, range="5m")
    chart = TIME_CHARTS[0]
    page.wait_for_function(
        """([sel, id]) => { const el = document.querySelector(sel);
                           return !!el && JSON.parse(el.dataset.alertAreas || '[]')
                             .some(a => a.rule_id === id); }""",
        arg=[chart, rule["id"]], timeout=30_000)
    areas = drawn(page, chart)
    [mine] = [a for a in areas if a["rule_id"] == rule["id"]]
    assert (mine["id"], mine["severity"], mine["rule"], mine["summary"]) == (
        alert["id"], "critical", RULE, alert["summary"])
    assert mine["from"] == alert["fired_at_ms"]  # fired 30 s ago: inside the 5 min
    assert mine["firing"] is True and mine["to"] >= mine["from"]
    assert mine["to"] <= time.time() * 1000 + 1000
    assert mine["x1"] >= mine["x0"]
    # Every alert of the service firing now is drawn, on every time chart alike.
    now = console.get("/api/v1/alerts", service=service, state="firing")["alerts"]
    assert {a["id"] for a in now} <= {a["id"] for a in areas}
    assert all(a["summary"] for a in areas)
    for other in TIME_CHARTS[1:]:
        assert [a["id"] for a in drawn(page, other)] == [a["id"] for a in areas], other

    # Hover inside the area: the tooltip names a rule drawn there and its summary.
    box = page.locator(chart).bounding_box()
    x = (mine["x0"] + mine["x1"]) / 2
    under = [f"{a['rule']}\n{a['summary']}" for a in areas if a["x0"] <= x <= a["x1"]]
    page.mouse.move(box["x"] + x, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "([sel, texts]) => [...document.querySelectorAll(sel + ' div')]"
        ".some(d => texts.some(t => d.innerText.startsWith(t)))",
        arg=[chart, under], timeout=10_000)

    # The shell's badge: the API's firing count, coloured by the worst severity firing.
    badge = page.locator("#alert-count")
    deadline = time.monotonic() + 30
    while True:
        summary = console.get("/api/v1/alerts/summary")
        if badge.get_attribute("data-count") == str(summary["firing"]):
            break
        assert time.monotonic() < deadline, (badge.get_attribute("data-count"), summary)
        page.wait_for_timeout(500)
    assert summary["worst"] == "critical" and summary["firing"] >= 1
    assert badge.inner_text() == str(summary["firing"])
    assert "sev-critical" in (badge.get_attribute("class") or "")
    assert badge.is_visible()
    assert page.locator('.menu a[data-page="alerts"] #alert-count').count() == 1
    shot(page, screenshots, "dashboard-alerts")

    # A click on the area opens the Alerts page, that alert's row marked; its summary
    # links to the dashboard at the alert's time (the route notifications link to).
    firing_under = {a["id"] for a in areas if a["x0"] <= x <= a["x1"] and a["firing"]}
    page.mouse.click(box["x"] + x, box["y"] + box["height"] / 2)
    page.wait_for_function("() => location.hash.startsWith('#/alerts/')", timeout=10_000)
    opened = page.evaluate("() => location.hash").split("?")[0].removeprefix("#/alerts/")
    assert opened in firing_under, (opened, firing_under)
    marked = page.locator("#alerts-table tr.selected")
    marked.wait_for(timeout=20_000)
    assert marked.get_attribute("data-alert") == opened
    link = page.locator(f'#alerts-table tr[data-alert="{alert["id"]}"] .summary a')
    href = link.get_attribute("href") or ""
    assert href.startswith(f"#/dashboard?service={service}&range=custom&from="), href
    problems.check()


def test_send_test_shows_delivered_and_the_receivers_error(
    page: Any, console: Console, problems: Problems, screenshots: Path,
    cleanup: list[str], receiver: WebhookReceiver
) -> None:
    ok = made(console, "/api/v1/channels", {"name": "console hook", "type": "webhook",
                                            "config": {"url": receiver.url, "secret": "s3"}})
    down = made(console, "/api/v1/channels", {"name": "console hook down", "type": "webhook",
                                              "config": {"url": "http://127.0.0.1:9/hook"}})
    cleanup += [f"/api/v1/channels/{ok['id']}", f"/api/v1/channels/{down['id']}"]
    open_page(page, console, "channels")
    row = page.locator(f'#channels-table tr[data-channel="{ok["id"]}"]')
    row.wait_for(timeout=20_000)

    with page.expect_response(lambda r: r.url.endswith(f"/channels/{ok['id']}/test")) as resp:
        row.locator(".test-btn").click()
    answer = resp.value.json()
    result = row.locator('.test-result[data-outcome="delivered"]')
    result.wait_for(timeout=20_000)
    assert answer["ok"] is True
    assert result.inner_text() == f"delivered ({round(answer['elapsed_ms'])} ms)"
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert verify(got.body, got.headers["x-bongsu-signature"], "s3")
    assert got.headers["x-bongsu-idempotency-key"] == answer["key"]
    assert got.json()["alerts"][0]["labels"]["test"] == "true"
    assert "console hook" in got.json()["alerts"][0]["summary"]

    bad = page.locator(f'#channels-table tr[data-channel="{down["id"]}"]')
    with page.expect_response(lambda r: r.url.endswith(f"/channels/{down['id']}/test")) as resp:
        bad.locator(".test-btn").click()
    failed = resp.value.json()
    shown = bad.locator('.test-result[data-outcome="refused"]')
    shown.wait_for(timeout=20_000)
    assert failed["ok"] is False and failed["outcome"] == "refused"
    assert shown.inner_text() == f"connection refused: {failed['error']}"
    assert "127.0.0.1:9" in failed["error"]
    shot(page, screenshots, "channels")
    problems.check()


def test_route_form_creates_a_route_and_shows_the_fields_error(
    page: Any, console: Console, problems: Problems, cleanup: list[str],
    receiver: WebhookReceiver
) -> None:
    ch = made(console, "/api/v1/channels", {"name": "console route hook", "type": "webhook",
                                            "config": {"url": receiver.url}})
    cleanup.append(f"/api/v1/channels/{ch['id']}")
    open_page(page, console, "channels")
    box = page.locator(f'#route-channels input[value="{ch["id"]}"]')
    box.wait_for(timeout=20_000)
    box.check()
    page.fill("#route-matchers", "service=orders, severity=~critical|warning")
    page.fill("#route-group_by", "rule, pod")
    page.fill("#route-group_wait_s", "10")
    page.fill("#route-group_interval_s", "60")
    page.fill("#route-repeat_interval_s", "600")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/api/v1/routes")) as resp:
        page.click("#route-submit")
    assert resp.value.status == 201
    route_id = resp.value.json()["id"]
    cleanup.append(f"/api/v1/routes/{route_id}")
    [route] = [r for r in console.get("/api/v1/routes")["routes"] if r["id"] == route_id]
    assert route["channel_ids"] == [ch["id"]] and route["group_by"] == ["rule", "pod"]
    assert [(m["name"], m["op"], m["value"]) for m in route["matchers"]] == [
        ("service", "=", "orders"), ("severity", "=~", "critical|warning")]
    assert (route["group_wait_s"], route["group_interval_s"], route["repeat_interval_s"]) == (
        10, 60, 600)
    row = page.locator(f'#routes-table tr[data-route="{route_id}"]')
    row.wait_for(timeout=10_000)
    assert row.locator(".route-channels").inner_text() == "console route hook"
    assert row.locator(".matchers").inner_text() == "service=orders, severity=~critical|warning"

    # Repeat shorter than the group interval: the server's 400 beside the repeat field.
    page.locator(f'#route-channels input[value="{ch["id"]}"]').check()
    page.fill("#route-group_interval_s", "600")
    page.fill("#route-repeat_interval_s", "60")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/api/v1/routes")) as resp:
        page.click("#route-submit")
    assert resp.value.status == 400
    detail = resp.value.json()["detail"]
    assert detail.startswith("repeat_interval_s: "), detail
    shown = page.locator('#route-form .field-error[data-field="repeat_interval_s"]')
    shown.wait_for(timeout=10_000)
    assert shown.inner_text() == detail
    assert [r["id"] for r in console.get("/api/v1/routes")["routes"]].count(route_id) == 1
    # The refused POST (and the browser's console line about it) are the only problems.
    assert f"HTTP 400 {console.url}/api/v1/routes" in problems.items
    problems.items = [i for i in problems.items if "400" not in i]
    problems.check()
