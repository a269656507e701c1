"""The Users page in a real Chromium against its own real server fed 30 days of known
users over OTLP: the tiles and both charts show exactly what ``/api/v1/users`` answered
the page, the figures are the ones recomputed here from the users sent (exact for one
service), and the all-services view marks its estimates (5,000 users in one day is past
the exact limit) with ≈ and the stated error bound."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from query.otlp import SERVER, SpanSpec, traces_request
from server_process import ServerProcess

from .conftest import CHROMIUM, Problems

pytestmark = pytest.mark.timeout(240)

S = 1_000_000
DAY = 86_400 * S
WAIT_MS = 30_000
# Set when the module's server starts (``_start_clock``), not when the module is imported:
# in a long test session that is tens of minutes later, and "the last 5 minutes" would miss.
NOW_US = TODAY = ACTIVE_AT = 0


def _start_clock() -> None:
    global NOW_US, TODAY, ACTIVE_AT
    NOW_US = time.time_ns() // 1000
    TODAY = NOW_US // DAY * DAY
    ACTIVE_AT = max(NOW_US - 120 * S, TODAY + S)  # in the last 5 minutes, and today
SHOP_TODAY = 8
BIG_DAY = 5000  # web's users yesterday: past the sketches' 4,096 exact limit


def shop_users(days_back: int) -> int:
    return 5 + days_back % 7


def world() -> list[SpanSpec]:
    spans: list[SpanSpec] = []
    n = 0

    def add(service: str, user: str, ts: int) -> None:
        nonlocal n
        n += 1
        spans.append(SpanSpec(service, f"{service}-1", n, n, 0, "GET /", SERVER, ts, 10_000,
                              attrs={"enduser.id": user, "http.response.status_code": 200}))

    for d in range(1, 30):
        for i in range(shop_users(d)):
            add("shop", f"shop-{d}-{i}", TODAY - d * DAY + 12 * 3600 * S + i)
    for i in range(SHOP_TODAY):
        add("shop", f"shop-today-{i}", ACTIVE_AT + i)
    for i in range(BIG_DAY):
        add("web", f"web-{i}", TODAY - DAY + 6 * 3600 * S + i)
    return spans


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    from bongsu.web import static_dir

    assert static_dir() is not None, "web console not built: npm ci && npm run build in web/"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    s = ServerProcess(Path(tmp_path_factory.mktemp("users")) / "data",
                      {"BONGSU_RETENTION_DAYS": "40", "BONGSU_MAX_TIMESTAMP_SKEW_DAYS": "40",
                       "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    _start_clock()
    spans = world()
    for i in range(0, len(spans), 1000):
        status, _, reply = s.post("/v1/traces", traces_request(spans[i:i + 1000]))
        assert status == 200, reply
    s.wait_loaded()
    yield s
    s.stop()


def open_users(page: Any, server: ServerProcess, **params: str) -> list[dict[str, Any]]:
    """Open the page; returns the /api/v1/users bodies it fetched (daily, then active)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def on_response(resp: Any) -> None:
        if "/api/v1/users?" in resp.url and resp.status == 200:
            seen.append((resp.url, resp.json()))

    page.on("response", on_response)
    query = urllib.parse.urlencode({"range": "6h", "lang": "en", "theme": "dark", **params})
    page.goto(f"{server.api_url}/#/users?{query}")
    page.wait_for_function(
        """() => ['#users-active-chart', '#users-daily-chart'].every(s => {
                 const e = document.querySelector(s); return e && e.dataset.rendered
                 && e.dataset.series; }) && document.querySelector('#users-mau').dataset.users""",
        timeout=WAIT_MS)
    page.wait_for_timeout(300)  # a live refresh may land: read the last pair
    page.remove_listener("response", on_response)
    bodies = [b for _, b in seen[-2:]]
    bodies.sort(key=lambda b: b["from"])  # the days' window starts first
    return bodies


def tile(page: Any, key: str) -> tuple[int, bool, str, str]:
    el = f"#users-{key}"
    return (int(page.get_attribute(el, "data-users")),
            page.get_attribute(el, "data-exact") == "true",
            page.inner_text(f"{el} .tile-value"), page.inner_text(f"{el} .tile-sub"))


def drawn(page: Any, chart: str) -> list[list[Any]]:
    return json.loads(page.get_attribute(chart, "data-series"))


def as_drawn(points: list[dict[str, Any]]) -> list[list[Any]]:
    return [[p["ts"], p["users"], p["exact"]] for p in points]


def test_one_services_users_are_exact_and_drawn_as_answered(
        page: Any, server: ServerProcess, problems: Problems) -> None:
    daily, active = open_users(page, server, service="shop", days="30")
    # recomputed from the users sent: today's 8, then the days before
    wau = SHOP_TODAY + sum(shop_users(d) for d in range(1, 7))
    mau = SHOP_TODAY + sum(shop_users(d) for d in range(1, 30))
    assert tile(page, "dau") == (SHOP_TODAY, True, str(SHOP_TODAY), "exact")
    assert tile(page, "wau") == (wau, True, str(wau), "exact")
    assert tile(page, "mau") == (mau, True, f"{mau:,}", "exact")
    assert tile(page, "active") == (SHOP_TODAY, True, str(SHOP_TODAY), "exact")
    assert (daily["dau"]["users"], daily["wau"]["users"], daily["mau"]["users"],
            active["active"]["users"]) == (SHOP_TODAY, wau, mau, SHOP_TODAY)
    # the charts: the answered points, and those are the users of each day / 5 minutes
    assert drawn(page, "#users-daily-chart") == as_drawn(daily["daily"])
    by_day = {TODAY // 1000 - d * DAY // 1000: shop_users(d) for d in range(1, 30)}
    by_day[TODAY // 1000] = SHOP_TODAY
    assert {p["ts"]: p["users"] for p in daily["daily"] if p["users"]} == by_day
    assert drawn(page, "#users-active-chart") == as_drawn(active["active_series"])
    assert active["active_series"][-1]["users"] == SHOP_TODAY
    assert page.inner_text("#users-bound") == ""
    problems.check()


def test_all_services_show_their_estimates_with_the_error_bound(
        page: Any, server: ServerProcess, problems: Problems, screenshots: Path) -> None:
    daily, active = open_users(page, server, service="shop", days="30", scope="all")
    sigma = 1.04 / 128
    mau = SHOP_TODAY + sum(shop_users(d) for d in range(1, 30)) + BIG_DAY
    users, exact, text, sub = tile(page, "mau")
    assert not exact and abs(users - mau) <= 3 * sigma * mau
    assert users == daily["mau"]["users"] and daily["mau"]["error_bound"] == sigma
    assert text == f"≈ {users:,}" and sub == "estimate ±0.81 % (1σ)"  # noqa: RUF001
    assert tile(page, "dau") == (SHOP_TODAY, True, str(SHOP_TODAY), "exact")  # web: none today
    assert page.get_attribute("#users-bound span", "data-bound") == str(sigma)
    assert "±0.81 % (one sigma; within ±2.44 % 99.7 % of the time)" in page.inner_text(
        "#users-bound")
    # yesterday is web's 5,000 and shop's day: one estimated bar
    yesterday = [p for p in daily["daily"] if p["ts"] == (TODAY - DAY) // 1000]
    assert [p["exact"] for p in yesterday] == [False]
    assert abs(yesterday[0]["users"] - (BIG_DAY + shop_users(1))) <= 3 * sigma * BIG_DAY
    assert drawn(page, "#users-daily-chart") == as_drawn(daily["daily"])
    assert page.eval_on_selector("#users-scope", "e => e.value") == "all"
    assert active["service"] is None and daily["service"] is None
    page.screenshot(path=str(screenshots / "users.png"), full_page=True)
    problems.check()
