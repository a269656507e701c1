"""The console's shell: the menu the page registry builds, pages loaded with their
chunk, instance names in the top bar, and no test hook left in the page."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import pytest

from .conftest import Console, Problems

pytestmark = pytest.mark.timeout(180)

# web/src/registry.ts, in menu order: route → menu section.
MENU = {
    "my-dashboard": "overview",
    "dashboard": "overview",
    "topology": "overview",
    "alerts": "overview",
    "rules": "overview",
    "channels": "overview",
    "support": "overview",
    "transactions": "requests",
    "traces": "requests",
    "web": "views",
    "databases": "views",
    "hosts": "views",
    "group": "views",
    "instances": "infrastructure",
    "events": "infrastructure",
    "containers": "infrastructure",
    "clusters": "infrastructure",
    "ingress": "infrastructure",
    "metering": "infrastructure",
    "checks": "servicelevel",
    "sla": "servicelevel",
    "reports": "servicelevel",
    "users": "servicelevel",
    "captures": "diagnostics",
    "threads": "diagnostics",
    "memory": "diagnostics",
    "trend": "diagnostics",
    "org": "settings",
    "audit": "settings",
}


def _open(page: Any, console: Console, route: str, **params: str) -> None:
    query = urllib.parse.urlencode({"range": "15m", "lang": "en", "theme": "dark", **params})
    page.goto(f"{console.url}/#/{route}?{query}")
    page.wait_for_selector(f"#page-{route}, .page", timeout=20_000)


def test_menu_lists_the_registry_by_section(
    page: Any, console: Console, problems: Problems
) -> None:
    _open(page, console, "dashboard", service=console.db_service)
    links = page.eval_on_selector_all(
        "nav.menu .menu-group a[data-page]",
        "as => as.map(a => [a.dataset.page, a.closest('.menu-group').dataset.group])",
    )
    assert dict(links) == MENU and [r for r, _ in links] == list(MENU)
    assert page.inner_text("nav.menu .menu-group[data-group=overview] h4").strip().lower() == (
        "overview"
    )
    problems.check()


def test_each_page_loads_its_own_chunk(page: Any, console: Console, problems: Problems) -> None:
    """The first page fetches ECharts with it; moving to another page fetches only its chunk."""
    scripts: list[str] = []
    page.on(
        "request",
        lambda r: scripts.append(r.url.rsplit("/", 1)[-1]) if r.resource_type == "script" else None,
    )
    _open(page, console, "instances", service=console.db_service)
    page.wait_for_function("() => document.querySelector('.chart[data-rendered]')")
    assert any(s.startswith("instances-") for s in scripts), scripts
    assert any(s.startswith("echarts-") for s in scripts), scripts
    assert not any(s.startswith(("dashboard-", "traces-")) for s in scripts), scripts
    scripts.clear()
    page.click("nav.menu a[data-page=traces]")
    page.wait_for_selector("#page-traces, .page.traces", timeout=20_000)
    assert any(s.startswith("traces-") for s in scripts), scripts
    assert not any(s.startswith("echarts-") for s in scripts), "ECharts fetched twice"
    problems.check()


def test_instance_selector_shows_names_with_the_id_on_hover(
    page: Any, console: Console, problems: Problems
) -> None:
    service = console.db_service
    _open(page, console, "dashboard", service=service)
    rows = console.get("/api/v1/instances", service=service)["instances"]
    names = {r["instance"]: r.get("instance_name") or r["instance"] for r in rows}
    page.wait_for_function(
        "n => document.querySelectorAll('#instance-select option[value]:not([value=\"\"])')"
        ".length >= n",
        arg=len(names),
    )
    options = page.eval_on_selector_all(
        "#instance-select option",
        "os => os.filter(o => o.value).map(o => [o.value, o.title, o.textContent])",
    )
    shown = {value: (title, text) for value, title, text in options}
    for instance, name in names.items():
        title, text = shown[instance]
        assert title == instance
        # A name two instances share gets a short id after it.
        assert re.fullmatch(re.escape(name) + r"( \(.+\))?", text), (instance, name, text)
    problems.check()


def test_no_test_hooks_in_the_page(page: Any, console: Console, problems: Problems) -> None:
    _open(page, console, "topology")
    page.wait_for_function("() => document.querySelector('.chart[data-rendered]')")
    hooks = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__bongsu'))")
    assert hooks == []
    problems.check()
