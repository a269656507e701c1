"""The Transactions page against a real app under the agent (``slow_app.py``).

Requests there take 8-16 s, so the page has live rows whose elapsed time grows, a click
on one waits for its trace, and a thread capture catches them in ``build_report``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_console import next_refresh, open_page, shot, wait_charts

pytestmark = pytest.mark.timeout(180)

ROWS = """() => [...document.querySelectorAll('#active-table tbody tr')].map(r => {
  const e = r.querySelector('td.elapsed');
  return {trace: r.dataset.traceId, span: r.dataset.spanId, instance: r.dataset.instance,
          elapsed: Number(e.dataset.elapsed), shown: e.innerText,
          cells: [...r.cells].map(c => c.innerText), titles: [...r.cells].map(c => c.title)};
})"""


def rows(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(ROWS))


def shown_ms(text: str) -> float:
    """`8,801 ms` or `10.2 s` (the console's English format) in milliseconds."""
    value, unit = text.replace(",", "").split()
    return float(value) * (1000 if unit == "s" else 1)


def remaining_s(row: dict[str, Any]) -> float:
    """Seconds until the request ends: slow_app takes `seconds=` from its URL."""
    m = re.search(r"seconds=([\d.]+)", row["cells"][3])
    assert m, row
    return float(m.group(1)) - shown_ms(row["shown"]) / 1000


def wait_for_row(page: Any, ok: Any, timeout: float = 30) -> dict[str, Any]:
    """The first row of the live table for which ``ok(row)`` holds, waiting for refreshes."""
    deadline = time.monotonic() + timeout
    while True:
        page.wait_for_selector("#active-table tbody tr", timeout=20_000)
        found = [r for r in rows(page) if ok(r)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, rows(page)
        page.wait_for_timeout(500)


def test_in_flight_requests_match_the_api_and_elapsed_grows(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = console.agent_service
    open_page(page, console, "transactions", service=service)
    assert max(wait_charts(page)) > 0  # a bar for the instance with requests in flight

    # What the table lists, the API returns (each request lives 8-16 s, reports every 1 s).
    deadline = time.monotonic() + 20
    while True:
        page.wait_for_selector("#active-table tbody tr", timeout=20_000)
        ui = rows(page)
        api = {
            r["trace_id"]: r
            for r in console.get("/api/v1/active-requests", service=service)["requests"]
        }
        common = [r for r in ui if r["trace"] in api]
        if common:
            break
        assert time.monotonic() < deadline, (ui, api)
        page.wait_for_timeout(500)
    for r in common:
        a = api[r["trace"]]
        _elapsed, _started, method, request, svc, inst, thread, trace = r["cells"]
        assert (r["span"], r["instance"], method, svc) == (
            a["span_id"],
            a["instance"],
            a["method"],
            service,
        )
        # The instance by name (host:pid for a process outside Kubernetes), its id on hover.
        assert (inst, r["titles"][5]) == (a["instance_name"], a["instance"])
        assert a["url"] in request and a["route"] in request
        assert thread == a["thread_name"]
        assert a["trace_id"].startswith(trace.split()[0])
    # Longest first.
    elapsed_ms = [r["elapsed"] for r in ui]
    assert elapsed_ms == sorted(elapsed_ms, reverse=True)

    # Elapsed grows: on screen every second, and from the server at each refresh.
    row = wait_for_row(page, lambda r: remaining_s(r) >= 7)
    cell = f"#active-table tr[data-trace-id='{row['trace']}'] td.elapsed"
    page.wait_for_timeout(2100)  # two ticks of the 1 s clock: at least 1.1 s later
    assert shown_ms(page.inner_text(cell)) >= shown_ms(row["shown"]) + 1000
    next_refresh(page)
    after = next(r for r in rows(page) if r["trace"] == row["trace"])
    assert after["elapsed"] > row["elapsed"] + 1000
    first = console.get("/api/v1/active-requests", service=service)["requests"]
    time.sleep(1)
    second = {
        r["trace_id"]: r["elapsed_ms"]
        for r in console.get("/api/v1/active-requests", service=service)["requests"]
    }
    assert any(second.get(r["trace_id"], 0) > r["elapsed_ms"] + 500 for r in first)
    shot(page, screenshots, "transactions")
    problems.check()


def test_live_tables_update_in_place(page: Any, console: Console, problems: Problems) -> None:
    open_page(page, console, "transactions", service=console.agent_service)
    # A request with time left to outlive the next refresh.
    row = wait_for_row(page, lambda r: remaining_s(r) >= 8)
    page.wait_for_selector("#capture-instances .capture-btn")
    # Mark every row and the capture button (a property: a rebuilt element has none), and
    # focus the button as a keyboard user would.
    marked = page.evaluate(
        """() => { const rows = [...document.querySelectorAll('#active-table tbody tr')];
                   rows.forEach(r => { r.__kept = 'yes'; });
                   const b = document.querySelector('#capture-instances .capture-btn');
                   b.__kept = 'yes'; b.focus();
                   return rows.map(r => r.dataset.traceId); }"""
    )
    with page.expect_response(lambda r: "/api/v1/active-requests" in r.url):
        next_refresh(page)
    after = dict(
        page.evaluate(
            """() => [...document.querySelectorAll('#active-table tbody tr')]
                       .map(r => [r.dataset.traceId, r.__kept || 'new'])"""
        )
    )
    # The same row element for a request still in flight, a new one for a new request, and
    # the focus where the user left it.
    assert after[row["trace"]] == "yes"
    assert all((mark == "yes") == (trace in marked) for trace, mark in after.items()), after
    assert page.evaluate("() => document.activeElement.__kept") == "yes"
    problems.check()


def test_clicking_an_in_flight_request_opens_its_trace_once_stored(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_page(page, console, "transactions", service=console.agent_service)
    # The request that ends soonest, with time left to see the "still running" message.
    row = wait_for_row(page, lambda r: 3 <= remaining_s(r) <= 9)
    left = remaining_s(row)
    page.click(f"#active-table tr[data-trace-id='{row['trace']}']")
    page.wait_for_url(re.compile(rf"#/traces/{row['trace']}\?"))
    page.wait_for_selector("#trace-waiting[data-state=running]", timeout=10_000)
    message = page.inner_text("#trace-waiting")
    assert "still running" in message
    assert re.search(r"seconds=[\d.]+", row["cells"][3]).group(0) in message  # type: ignore[union-attr]
    # When the request ends its trace is stored, and the page opens it by itself.
    page.wait_for_selector(
        f"#waterfall .wf-row[data-span-id='{row['span']}']", timeout=(left + 20) * 1000
    )
    page.wait_for_timeout(1200)  # past the running message's 1 s clock: it stays gone
    assert page.locator("#trace-waiting").count() == 0
    spans = console.get(f"/api/v1/traces/{row['trace']}")["spans"]
    assert row["span"] in {s["span_id"] for s in spans}
    assert page.locator("#waterfall .wf-row[data-span-id]").count() == len(spans)
    problems.check()


def test_thread_capture_from_the_ui_shows_stacks_and_requests(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_page(page, console, "transactions", service=console.agent_service)
    page.wait_for_selector("#active-table tbody tr", timeout=20_000)
    button = page.locator("#capture-instances .capture-btn").first
    instance = button.get_attribute("data-instance")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/captures") and r.request.method == "POST"
    ) as posted:
        button.click()
    assert posted.value.status == 202
    capture_id = posted.value.json()["id"]
    done = f"#capture-panel[data-status=done][data-capture-id='{capture_id}']"
    page.wait_for_selector(done, timeout=30_000)
    assert f"capture={capture_id}" in page.url

    capture = console.get(f"/api/v1/captures/{capture_id}")
    assert capture["instance"] == instance
    # The instance by name (its id on hover) in the list, the dump and the recent captures.
    name = capture["instance_name"]
    for sel in [
        f"#capture-instances tr[data-instance='{instance}'] td.clip",
        "#capture-panel dd.inst",
        f"#captures-table tr[data-capture-id='{capture_id}'] td.inst",
    ]:
        page.wait_for_selector(sel)
        assert (page.inner_text(sel), page.get_attribute(sel, "title")) == (name, instance), sel
    assert name in page.inner_text("#capture-panel h3")
    threads = capture["payload"]["threads"]
    assert page.locator("#capture-threads details.thread").count() == len(threads)
    serving = [t for t in threads if t["request"]]
    assert serving, threads
    for t in serving:
        el = page.locator(f"#capture-threads details.thread[data-thread-id='{t['id']}']")
        text = el.inner_text()
        assert el.get_attribute("data-state") == t["state"]
        assert t["request"]["url"] in text
        assert t["request"]["trace_id"][:16] in text
        # Innermost first: the request is waiting in slow_app's build_report.
        frames = el.locator(".frame .fn").all_inner_texts()
        assert frames[:2] == ["build_report", "report"], frames
        assert "time.sleep(seconds)" in text
    page.wait_for_selector(f"#captures-table tr[data-capture-id='{capture_id}']")
    shot(page, screenshots, "transactions-thread-capture")

    # Close a thread that serves a request, open one that does not, mark both (a property:
    # a rebuilt element has none); a refresh and reopening the capture keep them as left.
    threads_before = page.evaluate(
        """() => { const ds = [...document.querySelectorAll('#capture-threads details.thread')];
                   const a = ds.find(d => d.open), b = ds.find(d => !d.open);
                   a.open = false; b.open = true; a.__kept = b.__kept = 'yes';
                   return [a.dataset.threadId, b.dataset.threadId]; }"""
    )
    next_refresh(page)
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/captures/{capture_id}")):
        page.click(f"#captures-table tr[data-capture-id='{capture_id}']")
    page.wait_for_function(  # reloaded and drawn again: the loading status is gone
        "() => !document.querySelector('#capture-panel .panel-status').childElementCount"
    )
    threads_after = page.evaluate(
        """ids => ids.map(id => { const d = document.querySelector(
                     `#capture-threads details.thread[data-thread-id='${id}']`);
                   return [d.__kept, d.open]; })""",
        threads_before,
    )
    assert threads_after == [["yes", False], ["yes", True]]

    # The URL reproduces the view, here in Korean.
    page.goto(page.url.replace("lang=en", "lang=ko"))
    page.wait_for_selector(done, timeout=10_000)
    assert "스레드 덤프" in page.inner_text("#capture-panel h3")
    assert "보고 중인 인스턴스" in page.inner_text("#capture-instances-panel")
    assert "스레드 덤프" in page.inner_text("#capture-instances .capture-btn")
    problems.check()
