"""The Alerts page against the real server: a threshold rule made through the API
(``tps > 0`` for 0 s, every 10 s) fires on the simulator's traffic; the page shows the
alerts the API lists, and silencing a row creates the silence the API then lists, its
matchers the row's labels."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_console import shot

pytestmark = pytest.mark.timeout(180)


def post(console: Console, path: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        f"{console.url}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def firing_rule(console: Console) -> str:
    """A rule firing on the simulator's traffic: its id (made once per server)."""
    for r in console.get("/api/v1/rules")["rules"]:
        if r["name"] == "browser tps":
            return str(r["id"])
    rule = post(console, "/api/v1/rules", {
        "name": "browser tps", "kind": "threshold", "severity": "warning", "for": "0s",
        "interval": "10s", "spec": {"figure": "tps", "op": ">", "value": 0, "window_s": 600},
    })
    return str(rule["id"])


def wait_firing(console: Console, rule_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 90  # evaluated every 10 s; the first pass may wait one
    while time.monotonic() < deadline:
        alerts = console.get("/api/v1/alerts", state="firing", rule_id=rule_id)["alerts"]
        if alerts:
            return list(alerts)
        time.sleep(1)
    raise AssertionError(f"rule {rule_id} did not fire within 90 s")


def test_alerts_page_shows_firing_and_silences_a_row(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    rule_id = firing_rule(console)
    firing = wait_firing(console, rule_id)
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/api/v1/alerts"),
                              timeout=30_000) as resp:
        page.goto(f"{console.url}/#/alerts?lang=en&theme=dark")
    shown = [a for a in resp.value.json()["alerts"] if a["state"] in ("firing", "pending")]
    page.wait_for_selector("#alerts-table tbody tr", timeout=20_000)
    rows = page.locator("#alerts-table tbody tr")
    assert rows.count() == len(shown)
    assert {rows.nth(i).get_attribute("data-alert") for i in range(rows.count())} == {
        a["id"] for a in shown
    }
    target = firing[0]
    row = page.locator(f'#alerts-table tr[data-alert="{target["id"]}"]')
    assert row.locator(".rule").inner_text() == "browser tps"
    for k, v in target["labels"].items():
        assert row.locator(f'.chip[data-label="{k}"]').inner_text() == f"{k}={v}"
    shot(page, screenshots, "alerts")

    row.locator(".silence-btn").click()
    page.fill("#silence-author", "browser-test")
    page.fill("#silence-comment", "from the alerts page")
    page.fill("#silence-minutes", "30")
    page.click("#silence-submit")
    page.wait_for_selector("#silence-created", timeout=10_000)
    sid = page.locator("#silence-created").get_attribute("data-silence")
    silences = {s["id"]: s for s in console.get("/api/v1/silences")["silences"]}
    assert sid in silences
    made = silences[sid]
    assert made["author"] == "browser-test" and made["active"]
    assert {(m["name"], m["op"], m["value"]) for m in made["matchers"]} == {
        (k, "=", v) for k, v in target["labels"].items()
    }
    assert 29 * 60_000 < made["ends_ms"] - made["starts_ms"] <= 30 * 60_000 + 5_000
    problems.check()


def test_silence_refused_shows_the_server_message(
    page: Any, console: Console, problems: Problems
) -> None:
    rule_id = firing_rule(console)
    target = wait_firing(console, rule_id)[0]
    page.goto(f"{console.url}/#/alerts?lang=en&theme=dark")
    row = page.locator(f'#alerts-table tr[data-alert="{target["id"]}"]')
    row.wait_for(timeout=20_000)
    row.locator(".silence-btn").click()
    page.fill("#silence-author", "browser-test")
    # A silence that ends before it starts: the server's 400 is shown in the form.
    page.fill("#silence-minutes", "-5")
    page.evaluate("document.querySelector('#silence-minutes').removeAttribute('min')")
    page.click("#silence-submit")
    page.wait_for_selector("#silence-error", timeout=10_000)
    assert "ends_ms" in page.locator("#silence-error").inner_text()
    # The refused POST is the only problem: exactly the 400 the form shows.
    assert [i for i in problems.items if "/api/v1/silences" in i] == [
        f"HTTP 400 {console.url}/api/v1/silences"
    ]
    problems.items = [i for i in problems.items if "/api/v1/silences" not in i
                      and "400" not in i]
    problems.check()


def test_rules_page_lists_the_api_and_creates_a_rule(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/api/v1/rules"),
                              timeout=30_000) as resp:
        page.goto(f"{console.url}/#/rules?lang=en&theme=dark")
    listed = resp.value.json()["rules"]
    page.wait_for_selector("#rules-table tbody tr", timeout=20_000)
    rows = page.locator("#rules-table tbody tr")
    assert [rows.nth(i).get_attribute("data-rule") for i in range(rows.count())] == [
        r["id"] for r in listed
    ]
    for r in listed:
        row = page.locator(f'#rules-table tr[data-rule="{r["id"]}"]')
        assert row.locator(".name").inner_text() == r["name"]
        assert row.locator(".kind").inner_text() == r["kind"]
        assert row.locator(".for").inner_text() == r["for"]
        assert row.get_attribute("data-enabled") == str(r["enabled"]).lower()

    page.fill("#rule-name", "browser errors")
    page.fill("#rule-spec", '{"figure": "error_rate", "op": ">", "value": 0.5, "window_s": 300}')
    page.click("#rule-submit")
    made = None
    deadline = time.monotonic() + 10
    while made is None and time.monotonic() < deadline:
        made = next((r for r in console.get("/api/v1/rules")["rules"]
                     if r["name"] == "browser errors"), None)
        time.sleep(0.2)
    assert made is not None and made["kind"] == "threshold" and made["spec"]["value"] == 0.5
    page.locator(f'#rules-table tr[data-rule="{made["id"]}"]').wait_for(timeout=10_000)

    # Disable it from its row: the API then lists it disabled.
    page.locator(f'#rules-table tr[data-rule="{made["id"]}"] .toggle-btn').click()
    page.locator(f'#rules-table tr[data-rule="{made["id"]}"][data-enabled="false"]').wait_for(
        timeout=10_000)
    assert console.get(f"/api/v1/rules/{made['id']}")["enabled"] is False
    shot(page, screenshots, "rules")
    problems.check()


def test_rules_form_shows_the_servers_message_beside_the_field(
    page: Any, console: Console, problems: Problems
) -> None:
    page.goto(f"{console.url}/#/rules?lang=en&theme=dark")
    page.wait_for_selector("#rules-table tbody tr", timeout=20_000)
    page.fill("#rule-name", "browser bad op")
    page.fill("#rule-spec", '{"figure": "tps", "op": "≈", "value": 1}')
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/api/v1/rules")) as resp:
        page.click("#rule-submit")
    assert resp.value.status == 400
    detail = resp.value.json()["detail"]
    assert detail.startswith("spec.")
    shown = page.locator('.field-error[data-field="spec"]')
    shown.wait_for(timeout=10_000)
    assert shown.inner_text() == detail
    # The refused POST (and the browser's console line about it) are the only problems.
    assert f"HTTP 400 {console.url}/api/v1/rules" in problems.items
    problems.items = [i for i in problems.items if "400" not in i]
    problems.check()


def test_channels_page_lists_channels_and_routes_and_creates_one(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    if not any(c["name"] == "browser hook" for c in console.get("/api/v1/channels")["channels"]):
        ch = post(console, "/api/v1/channels", {
            "name": "browser hook", "type": "webhook",
            "config": {"url": "http://127.0.0.1:9/hook", "secret": "s3cret"}})
        post(console, "/api/v1/routes", {"matchers": [{"name": "severity", "op": "=",
                                                       "value": "critical"}],
                                         "channel_ids": [ch["id"]]})
    channels = console.get("/api/v1/channels")["channels"]
    routes = console.get("/api/v1/routes")["routes"]
    page.goto(f"{console.url}/#/channels?lang=en&theme=dark")
    page.wait_for_selector("#routes-table tbody tr", timeout=20_000)
    for c in channels:
        row = page.locator(f'#channels-table tr[data-channel="{c["id"]}"]')
        assert row.locator(".name").inner_text() == c["name"]
        assert row.locator(".type").inner_text() == c["type"]
        assert row.locator(".secrets").inner_text() == ", ".join(c["secrets"])
    assert "s3cret" not in page.content()
    for r in routes:
        row = page.locator(f'#routes-table tr[data-route="{r["id"]}"]')
        assert row.locator(".group-by").inner_text() == ", ".join(r["group_by"])
    page.fill("#channel-name", "browser slack")
    page.select_option("#channel-type", "slack")
    page.fill("#channel-config", '{"url": "http://127.0.0.1:9/slack"}')
    page.click("#channel-submit")
    page.locator('#channels-table .name:text-is("browser slack")').wait_for(timeout=10_000)
    made = [c for c in console.get("/api/v1/channels")["channels"] if c["name"] == "browser slack"]
    assert len(made) == 1 and made[0]["type"] == "slack" and made[0]["secrets"] == ["url"]
    shot(page, screenshots, "channels")
    problems.check()
