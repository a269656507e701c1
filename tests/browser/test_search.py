"""The shell's search box and footer in a real Chromium: `/` focuses the box (not while
typing in a field), results come as you type, grouped by kind, Up / Down / Enter open
one, Escape closes; a service name opens its dashboard, a trace id its trace, a page name
the page. The footer shows the server's version and the console's build, and its user
guide link opens the guide shipped with the console."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_console import shot

pytestmark = pytest.mark.timeout(180)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def open_shell(page: Any, console: Console, route: str = "dashboard", **params: str) -> None:
    query = urllib.parse.urlencode({"range": "15m", "lang": "en", "theme": "dark", **params})
    page.goto(f"{console.url}/#/{route}?{query}")
    page.wait_for_selector("#search-input", timeout=20_000)
    page.wait_for_selector(".page", timeout=20_000)


def results(page: Any) -> list[dict[str, str]]:
    return list(page.eval_on_selector_all(
        "#search-results .search-item",
        "as => as.map(a => ({kind: a.dataset.kind,"
        " label: a.querySelector('.search-label').textContent,"
        " active: a.classList.contains('active') ? '1' : '',"
        " group: a.closest('.search-group').dataset.kind}))"))


def type_query(page: Any, text: str) -> None:
    page.fill("#search-input", "")
    page.type("#search-input", text, delay=20)
    page.wait_for_function(
        "q => { const l = document.querySelector('#search-results');"
        " return l && !l.hidden && l.dataset.query === q; }", arg=text, timeout=10_000)


def test_slash_focuses_and_a_service_opens_its_dashboard(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    service = sorted(s["name"] for s in console.services if s["name"] != console.db_service)[0]
    open_shell(page, console, "instances", service=console.db_service)
    page.evaluate("document.activeElement?.blur()")  # the focus on the page, not in a field
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert page.input_value("#search-input") == ""  # the "/" was the shortcut, not text
    type_query(page, service)
    found = results(page)
    api = console.get("/api/v1/search", q=service, limit=20)["results"]
    assert {"kind": "service", "label": service} in [
        {"kind": r["kind"], "label": r["label"]} for r in found]
    # Every API result is listed, grouped by kind (each kind one run), the first active.
    assert sorted((r["kind"], r["label"]) for r in found if r["kind"] != "page") == sorted(
        (r["kind"], r["label"]) for r in api)
    kinds = [r["group"] for r in found]
    assert all(k == r["kind"] for k, r in zip(kinds, found, strict=True))
    assert len(set(kinds)) == len([k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k])
    assert found[0]["active"] == "1"
    shot(page, screenshots, "search")
    # Down and Up move the highlight; Enter on the service opens its dashboard.
    target = next(i for i, r in enumerate(found)
                  if r["kind"] == "service" and r["label"] == service)
    for _ in range(target):
        page.keyboard.press("ArrowDown")
    assert results(page)[target]["active"] == "1"
    if len(found) > 1:
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowUp")
        assert results(page)[target]["active"] == "1"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "s => location.hash.startsWith('#/dashboard')"
        " && new URLSearchParams(location.hash.split('?')[1]).get('service') === s",
        arg=service, timeout=10_000)
    page.wait_for_selector("#tmap-chart", timeout=20_000)
    assert page.is_hidden("#search-results")
    problems.check()


def test_a_trace_id_opens_the_trace(page: Any, console: Console, problems: Problems) -> None:
    trace = console.get("/api/v1/traces", service=console.db_service, limit=5)["traces"][0]
    open_shell(page, console, service=console.db_service)
    page.keyboard.press("/")
    type_query(page, trace["trace_id"])
    found = results(page)
    assert found[0]["kind"] == "trace" and found[0]["label"] == trace["trace_id"]
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#page-trace[data-trace-id='{trace['trace_id']}']", timeout=20_000)
    problems.check()


def test_a_page_name_opens_the_page_in_either_language(
    page: Any, console: Console, problems: Problems
) -> None:
    open_shell(page, console, service=console.db_service)
    page.keyboard.press("/")
    type_query(page, "Hosts")
    found = results(page)
    assert found[0] == {"kind": "page", "label": "Hosts", "active": "1", "group": "page"}
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-hosts", timeout=20_000)
    # In Korean the pages are found by their Korean labels.
    open_shell(page, console, "traces", service=console.db_service, lang="ko")
    page.keyboard.press("/")
    type_query(page, "데이터베이스")
    assert results(page)[0]["kind"] == "page"
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-databases", timeout=20_000)
    problems.check()


def test_escape_closes_and_slash_in_a_field_is_text(
    page: Any, console: Console, problems: Problems
) -> None:
    open_shell(page, console, "traces", service=console.db_service)
    page.keyboard.press("/")
    type_query(page, "a")
    assert page.is_visible("#search-results")
    page.keyboard.press("Escape")
    assert page.is_hidden("#search-results")
    assert page.evaluate("document.activeElement.id") != "search-input"
    # Typing "/" into another field types it there.
    field = page.locator("#q-name")
    field.click()
    page.keyboard.type("/x")
    assert field.input_value().endswith("/x")
    assert page.evaluate("document.activeElement.id") != "search-input"
    # Nothing found says so.
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press("/")
    type_query(page, "zzzz-nothing-is-called-this")
    assert results(page) == []
    assert page.inner_text("#search-results").strip() == "Nothing found."
    problems.check()


def test_footer_shows_version_build_and_the_guide(
    page: Any, console: Console, problems: Problems
) -> None:
    open_shell(page, console, service=console.db_service)
    version = console.get("/healthz")["version"]
    page.wait_for_selector(f"#footer-version[data-version='{version}']")
    assert page.inner_text("#footer-version") == f"Bongsu {version}"
    build = page.eval_on_selector("#footer-build", "e => e.dataset.build")
    assert re.fullmatch(r"([0-9a-f]{7,12}\+?|unknown) \d{4}-\d{2}-\d{2}", build), build
    href = page.eval_on_selector("#footer-guide", "a => a.href")
    guide = page.context.new_page()
    guide.goto(href)
    listed = guide.eval_on_selector_all("#guide a", "as => as.map(a => a.getAttribute('href'))")
    assert {"web.txt", "views.txt"} <= set(listed)
    assert len(listed) >= len(list(DOCS.glob("*.md"))) - 2  # docs added since the build
    guide.click("#guide a[href='web.txt']")
    first = (DOCS / "web.md").read_text().splitlines()[0]
    assert guide.inner_text("body").splitlines()[0] == first
    guide.close()
    # On every page, Korean too.
    open_shell(page, console, "hosts", lang="ko")
    page.wait_for_selector(f"#footer-version[data-version='{version}']")
    assert page.inner_text("#footer-guide") == "사용자 안내서"
    problems.check()


def test_typing_while_the_shell_rebuilds_the_top_bar(
    page: Any, console: Console, problems: Problems
) -> None:
    """Typed before the first refresh has answered: the top bar is rebuilt around the box
    (services arrive), which must neither drop the focus nor the question (it did: the
    list never came for the first text typed after a page load)."""
    for route in ("support", "dashboard"):
        page.goto(f"{console.url}/#/{route}?range=15m&lang=en&service={console.db_service}")
        page.wait_for_selector("#search-input")
        page.focus("#search-input")
        page.fill("#search-input", "Hosts")
        page.wait_for_function(
            "() => { const l = document.querySelector('#search-results');"
            " return !l.hidden && l.dataset.query === 'Hosts'; }", timeout=10_000)
        page.wait_for_selector(".page", timeout=20_000)
        page.wait_for_function("() => document.querySelector('#updated').innerText !== ''",
                               timeout=20_000)
        assert page.evaluate("document.activeElement.id") == "search-input"
        assert page.is_visible("#search-results")
        page.keyboard.press("Enter")
        page.wait_for_selector("#page-hosts", timeout=20_000)
    problems.check()
