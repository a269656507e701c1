"""The Rules page's edit form and preview against the real server: a rule made through the
API is edited from its row (``for`` raised to 2 m), previewed over the last hour of the
simulator's traffic — the chart draws the label set's series, the threshold, a pending
stretch and the firing one exactly ``for`` after it, as the API answered — then saved, and
the API lists the edit."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_alerts import post
from .test_console import shot

pytestmark = pytest.mark.timeout(240)
NAME = "browser preview"


def preview_rule(console: Console) -> dict[str, Any]:
    """A rule on the busiest simulated service's TPS (made once per server)."""
    for r in console.get("/api/v1/rules")["rules"]:
        if r["name"] == NAME:
            return dict(r)
    busiest = max(console.services, key=lambda s: s["transactions"])["name"]
    return dict(post(console, "/api/v1/rules", {
        "name": NAME, "kind": "threshold", "severity": "info", "for": "0s", "interval": "1m",
        "spec": {"figure": "tps", "op": ">", "value": 0.1, "window_s": 120, "service": busiest},
    }))


def test_a_rule_is_edited_previewed_over_the_past_and_saved(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    rule = preview_rule(console)
    page.goto(f"{console.url}/#/rules?lang=en&theme=dark")
    row = page.locator(f'#rules-table tr[data-rule="{rule["id"]}"]')
    row.wait_for(timeout=20_000)
    row.locator(".edit-btn").click()
    page.locator(f'#rule-form[data-editing="{rule["id"]}"]').wait_for(timeout=10_000)
    assert page.input_value("#rule-name") == NAME
    assert json.loads(page.input_value("#rule-spec")) == rule["spec"]
    assert page.inner_text("#rule-form-title") == f"Edit rule: {NAME}"
    page.fill("#rule-for", "2m")
    page.select_option("#preview-range", "3600")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/rules/preview"),
                              timeout=60_000) as resp:
        page.click("#rule-preview-btn")
    assert resp.value.status == 200
    sent = json.loads(resp.value.request.post_data)
    assert sent["for"] == "2m" and sent["to"] - sent["from"] == 3_600_000
    assert sent["to"] % 60_000 == 0  # on a whole minute: the server reads each series once
    got = resp.value.json()
    page.wait_for_function(
        "() => { const e = document.querySelector('#preview-chart');"
        " return e && e.dataset.rendered && Number(e.dataset.points) > 0; }", timeout=30_000)
    chart = page.locator("#preview-chart")

    # What the chart says it drew is what the API answered: one series per label set, every
    # point, the threshold, and each stretch ([from, to], to the window's end while open).
    (orders,) = got["label_sets"]  # the rule names one service
    assert orders["labels"] == {"service": rule["spec"]["service"]}
    assert chart.get_attribute("data-series") == "1"
    assert got["evaluations"] == 60  # an hour at the rule's 1 m
    # A point per evaluation that saw the service (none before its first traffic).
    assert int(chart.get_attribute("data-points")) == len(orders["points"]) > 0
    assert float(chart.get_attribute("data-threshold")) == 0.1

    def stretches(state: str) -> list[list[int]]:
        return [[i["from_ms"], i["to_ms"] or got["to_ms"]] for i in orders["intervals"]
                if i["state"] == state]

    firing = json.loads(chart.get_attribute("data-firing"))
    pending = json.loads(chart.get_attribute("data-pending"))
    assert firing == stretches("firing") and pending == stretches("pending")
    # The backfill gives the service traffic for the last ~20 minutes: the rule holds from
    # the first evaluation that sees it and fires exactly `for` (2 m) later.
    assert firing and pending, got
    first_active = next(p["t"] for p in orders["points"] if p["active"])
    assert pending[0][0] == first_active
    assert pending[0][1] == firing[0][0] == first_active + 120_000
    assert all(p["value"] > 0.1 for p in orders["points"] if p["active"])
    # The drawn areas are in the SVG: the shaded firing stretch and the lighter pending one.
    assert chart.locator("svg path").count() > 0
    rows = page.locator("#preview-table tbody tr")
    assert rows.count() == len(orders["changes"])
    assert [rows.nth(i).get_attribute("data-new") for i in range(rows.count())] == [
        c["new"] for c in orders["changes"]]
    assert rows.nth(0).locator(".change").inner_text() == "inactive → pending"
    shot(page, screenshots, "rules-preview")

    # Saving sends the edit (PUT), the fields the form does not show kept as they were.
    with page.expect_response(lambda r: r.request.method == "PUT"
                              and r.url.endswith(f"/api/v1/rules/{rule['id']}")) as saved:
        page.click("#rule-submit")
    assert saved.value.status == 200
    deadline = time.monotonic() + 10
    while console.get(f"/api/v1/rules/{rule['id']}")["for"] != "2m":
        assert time.monotonic() < deadline, "the edit was not saved"
        time.sleep(0.2)
    after = console.get(f"/api/v1/rules/{rule['id']}")
    assert {k: after[k] for k in ("name", "kind", "severity", "interval", "spec", "enabled",
                                  "keep_firing_for", "no_data", "labels")} == {
        **{k: rule[k] for k in ("name", "kind", "severity", "interval", "spec", "enabled",
                                "keep_firing_for", "no_data", "labels")}}
    page.locator(f'#rules-table tr[data-rule="{rule["id"]}"] .for').filter(
        has_text="2m").wait_for(timeout=10_000)
    assert page.inner_text("#rule-form-title") == "New rule"
    assert page.input_value("#rule-name") == ""
    problems.check()


def test_a_bad_rule_previewed_shows_the_servers_message_beside_the_field(
    page: Any, console: Console, problems: Problems
) -> None:
    page.goto(f"{console.url}/#/rules?lang=en&theme=dark")
    page.wait_for_selector("#rules-table tbody tr", timeout=20_000)
    page.fill("#rule-name", "browser bad preview")
    page.fill("#rule-spec", '{"figure": "tps", "op": "≈", "value": 1}')
    with page.expect_response(lambda r: r.url.endswith("/api/v1/rules/preview")) as resp:
        page.click("#rule-preview-btn")
    assert resp.value.status == 400
    detail = resp.value.json()["detail"]
    assert detail.startswith("spec.op: ")
    shown = page.locator('.field-error[data-field="spec"]')
    shown.wait_for(timeout=10_000)
    assert shown.inner_text() == detail
    # Too long a window for the interval: the message names `from`, shown under the form.
    page.fill("#rule-spec", '{"figure": "tps", "op": ">", "value": 1}')
    page.fill("#rule-interval", "10s")
    page.select_option("#preview-range", "86400")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/rules/preview")) as resp:
        page.click("#rule-preview-btn")
    assert resp.value.status == 400
    under = page.locator('.field-error[data-field=""]')
    under.wait_for(timeout=10_000)
    assert under.inner_text() == resp.value.json()["detail"]
    assert under.inner_text().startswith("from: the window holds 8640 evaluations")
    assert not page.locator('.field-error[data-field="spec"]').count()
    # Nothing was created by previewing.
    assert not [r for r in console.get("/api/v1/rules")["rules"]
                if r["name"] == "browser bad preview"]
    # An edit the server refuses (PUT) is told beside its field too, and changes nothing.
    rule = preview_rule(console)
    page.locator(f'#rules-table tr[data-rule="{rule["id"]}"] .edit-btn').click()
    page.locator(f'#rule-form[data-editing="{rule["id"]}"]').wait_for(timeout=10_000)
    page.fill("#rule-for", "soon")
    with page.expect_response(lambda r: r.request.method == "PUT") as put:
        page.click("#rule-submit")
    assert put.value.status == 400
    beside = page.locator('.field-error[data-field="for"]')
    beside.wait_for(timeout=10_000)
    assert beside.inner_text() == put.value.json()["detail"]
    assert beside.inner_text().startswith("for: must be a duration")
    assert console.get(f"/api/v1/rules/{rule['id']}")["for"] == rule["for"]
    # The refused previews (and the browser's console lines about them) are the only problems.
    assert f"HTTP 400 {console.url}/api/v1/rules/preview" in problems.items
    assert f"HTTP 400 {console.url}/api/v1/rules/{rule['id']}" in problems.items
    problems.items = [i for i in problems.items if "400" not in i]
    problems.check()
