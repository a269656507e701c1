"""Quick service in the browser: the top bar's button on the dashboard captures the view,
the form sends it, and a real webhook receiver gets the screenshot (a PNG that decodes,
of the viewport's size, looking like the screen Chromium itself shows), the view's state
and the server's system information; the Support page then shows the request sent."""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import WebhookReceiver, call, until
from bongsu import __version__
from support.png import Image, decode

from .conftest import Console, Problems

VIEWPORT = (1366, 768)


@pytest.fixture
def receiver(console: Console) -> Iterator[WebhookReceiver]:
    """A webhook receiver behind the tenant's ``support`` channel (deleted after)."""
    r = WebhookReceiver().start()
    status, channel = call(console.url, "POST", "/api/v1/channels", {
        "name": "support", "type": "webhook", "config": {"url": r.url}})
    assert status == 201, channel
    try:
        yield r
    finally:
        call(console.url, "DELETE", f"/api/v1/channels/{channel['id']}")
        r.stop()


def _close(p: tuple[int, ...], q: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(p[:3], q[:3], strict=True))


def _likeness(image: Image, seen: Image, step: int = 6) -> float:
    """Among the grid points where the screen shows something (not its commonest colour,
    the page background), the share where ``image`` has the same colour."""
    points = [(x, y) for y in range(0, seen.height, step) for x in range(0, seen.width, step)]
    background = Counter(seen.pixel(x, y)[:3] for x, y in points).most_common(1)[0][0]
    content = [(x, y) for x, y in points if not _close(seen.pixel(x, y), background)]
    assert len(content) > len(points) // 10, "the screen itself is nearly blank"
    return sum(_close(image.pixel(x, y), seen.pixel(x, y)) for x, y in content) / len(content)


def test_quick_service_sends_the_dashboard_as_seen_to_the_webhook(
    page: Any, console: Console, problems: Problems, screenshots: Path,
    receiver: WebhookReceiver,
) -> None:
    service = console.db_service
    to = int(time.time() * 1000)
    frm = to - 15 * 60_000
    # A fixed window: not live, so the screen does not move between the two screenshots.
    query = urllib.parse.urlencode({"service": service, "range": "custom", "from": frm,
                                    "to": to, "lang": "en", "theme": "dark"})
    page.goto(f"{console.url}/#/dashboard?{query}")
    page.wait_for_function(
        """() => { const c = [...document.querySelectorAll('.chart')];
                   return c.length > 0 && c.every(e => e.dataset.rendered
                                                       && e.dataset.points !== undefined); }""",
        timeout=60_000)
    page.wait_for_timeout(500)  # the canvases' last frame
    seen = decode(page.screenshot())  # what Chromium shows, for comparison

    page.click("#quick-service")
    page.wait_for_selector("#qs-dialog", timeout=60_000)
    shown = page.eval_on_selector("#qs-shot", "img => [img.naturalWidth, img.naturalHeight]")
    assert tuple(shown) == VIEWPORT
    page.screenshot(path=str(screenshots / "support-dialog.png"))
    page.fill("#qs-description", "The database chart stops at 10:02")
    page.fill("#qs-contact", "ana@example.net")
    page.click("#qs-send")
    page.wait_for_selector("#qs-status[data-id]", timeout=30_000)
    request_id = page.get_attribute("#qs-status", "data-id")

    until("the webhook got the request", lambda: receiver.received, timeout=60)
    [got] = receiver.received
    body = got.json()
    assert (body["id"], body["description"], body["contact"]) == (
        request_id, "The database chart stops at 10:02", "ana@example.net")
    view = body["view"]
    assert (view["page"], view["service"], view["range"], view["from_ms"], view["to_ms"]) == (
        "dashboard", service, "custom", frm, to)
    assert view["viewport"] == {"width": VIEWPORT[0], "height": VIEWPORT[1]}
    assert view["url"] == page.url  # the address the user had open
    system = body["system"]
    assert system["bongsu"]["version"] == __version__
    names = {s["name"] for s in system["services"]}
    assert service in names and console.agent_service in names
    assert isinstance(system["kube_events"], list) and system["kube_events"], system["kube_events"]
    assert isinstance(system["alerts"], list) and isinstance(system["captures"], list)

    shot = body["screenshot"]
    png = base64.b64decode(shot["base64"])
    image = decode(png)
    assert (image.width, image.height) == (shot["width"], shot["height"]) == VIEWPORT
    assert image.distinct_colours() > 50  # not blank: charts, text, the menu
    likeness = _likeness(image, seen)
    print(f"likeness to Chromium's own screenshot: {likeness:.3f}, PNG {len(png)} bytes")
    # Measured 0.9x: text is antialiased a little differently in html-to-image's SVG.
    assert likeness > 0.8, likeness
    blank = Image(image.width, image.height, 3,
                  [bytes(image.pixel(image.width - 1, image.height - 1)[:3]) * image.width]
                  * image.height)
    unlike = _likeness(blank, seen)
    print(f"likeness of a blank image: {unlike:.3f}")
    assert unlike < 0.5  # the comparison tells a blank image

    page.click("#qs-open")
    page.wait_for_selector('#support-detail .sup-status[data-status="sent"]', timeout=60_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('#support-screenshot');"
        " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
    natural = page.eval_on_selector("#support-screenshot",
                                    "img => [img.naturalWidth, img.naturalHeight]")
    assert tuple(natural) == VIEWPORT
    assert page.inner_text("#support-description") == "The database chart stops at 10:02"
    page.screenshot(path=str(screenshots / "support.png"))
    page.click("#support-back")
    page.wait_for_selector(f'#support-table tr[data-id="{request_id}"]', timeout=30_000)
    row = page.inner_text(f'#support-table tr[data-id="{request_id}"]')
    assert "sent" in row and "ana@example.net" in row
    problems.check()
