"""Quick service end to end over the API: a request stored with the server's system
information, delivered to a real webhook receiver and a real SMTP server (STARTTLS,
login) with its screenshot, retried while the receiver fails, refused with a 4xx naming
the field when it is bad."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.request
from pathlib import Path
from typing import Any

from alerts.receivers import SmtpReceiver, WebhookReceiver, call, until
from bongsu import __version__
from bongsu.alerts.channels.webhook import verify
from bongsu.api.support import MAX_BODY_BYTES
from server_process import ServerProcess

from .conftest import data_url, request_body
from .png import decode, encode


def _get(server: ServerProcess, request_id: str) -> dict[str, Any]:
    status, body = call(server.api_url, "GET", f"/api/v1/support/{request_id}")
    assert status == 200, body
    return body


def _sent(server: ServerProcess, request_id: str, timeout: float = 60) -> dict[str, Any]:
    return until(f"{request_id} sent", lambda: (
        r if (r := _get(server, request_id))["status"] == "sent" else None), timeout)


def test_a_request_reaches_the_webhook_with_its_screenshot_view_and_system_info(
    server: ServerProcess, support_channel: Any
) -> None:
    receiver = WebhookReceiver().start()
    try:
        support_channel("webhook", {"url": receiver.url, "secret": "s3"})
        png = encode(64, 48)
        status, made = call(server.api_url, "POST", "/api/v1/support", request_body(png))
        assert status == 201, made
        assert made["screenshot"] == {"width": 64, "height": 48, "bytes": len(png),
                                      "url": f"/api/v1/support/{made['id']}/screenshot"}
        done = _sent(server, made["id"])
        assert (done["attempts"], done["channel"], done["last_error"]) == (1, "support", None)

        [got] = receiver.received
        headers = {k.lower(): v for k, v in got.headers.items()}
        assert headers["x-bongsu-idempotency-key"] == made["id"]
        assert verify(got.body, headers["x-bongsu-signature"], "s3")
        body = got.json()
        assert body["kind"] == "support_request" and body["id"] == made["id"]
        assert body["description"] == "The error rate chart is empty since 10:00"
        assert body["contact"] == "ana@example.net"
        assert body["view"]["url"] == "http://127.0.0.1/#/dashboard?service=orders&range=1h"
        assert (body["view"]["service"], body["view"]["range"], body["view"]["extra"]) == (
            "orders", "1h", {"q": "timeout"})
        shot = body["screenshot"]
        received_png = base64.b64decode(shot["base64"])
        assert received_png == png
        image = decode(received_png)
        assert (image.width, image.height) == (shot["width"], shot["height"]) == (64, 48)
        system = body["system"]
        assert system["bongsu"]["version"] == __version__
        # No data sent to this server: each section read, and empty.
        assert (system["services"], system["alerts"], system["kube_events"],
                system["captures"]) == ([], [], [], [])
    finally:
        receiver.stop()

    # Stored: the screenshot served as it came, the list shows it sent.
    with urllib.request.urlopen(f"{server.api_url}/api/v1/support/{made['id']}/screenshot",
                                timeout=30) as r:
        assert r.headers["Content-Type"] == "image/png" and r.read() == png
    status, listing = call(server.api_url, "GET", "/api/v1/support?status=sent")
    assert status == 200
    [row] = [x for x in listing["requests"] if x["id"] == made["id"]]
    assert (row["status"], row["page"], row["has_screenshot"]) == ("sent", "dashboard", True)


def test_a_request_reaches_smtp_with_the_png_attached(
    server: ServerProcess, support_channel: Any, tmp_path: Path
) -> None:
    smtp = SmtpReceiver(tmp_path)
    try:
        support_channel("email", {
            "host": "127.0.0.1", "port": smtp.port, "from": "bongsu@example.net",
            "to": ["help@example.net"], "username": "alerts", "password": "pw",
            "ca_file": str(smtp.cert)})
        png = encode(120, 80, (200, 30, 30))
        status, made = call(server.api_url, "POST", "/api/v1/support",
                            request_body(png, description="Traces page hangs\nsince the upgrade"))
        assert status == 201, made
        _sent(server, made["id"])
        [(envelope, message)] = smtp.messages
        assert smtp.tls == [True] and envelope.rcpt_tos == ["help@example.net"]
        assert message["Subject"] == "[SUPPORT] Traces page hangs (ana@example.net)"
        assert message["Reply-To"] == "ana@example.net"
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert "Traces page hangs\nsince the upgrade" in text
        assert "View: http://127.0.0.1/#/dashboard?service=orders&range=1h" in text
        assert f"Bongsu {__version__}" in text
        attachments = {p.get_filename(): p for p in message.iter_attachments()}
        assert sorted(attachments) == ["screenshot.png", "support-request.json"]
        attached = attachments["screenshot.png"].get_content()
        assert attached == png
        image = decode(attached)
        assert (image.width, image.height) == (120, 80) and image.distinct_colours(2) > 100
        record = json.loads(attachments["support-request.json"].get_content())
        assert record["id"] == made["id"] and record["view"]["page"] == "dashboard"
        assert record["system"]["bongsu"]["version"] == __version__
    finally:
        smtp.stop()


def test_a_failing_receiver_gets_retries_until_it_takes_the_request(
    server: ServerProcess, support_channel: Any
) -> None:
    receiver = WebhookReceiver(mode="error").start()
    try:
        support_channel("webhook", {"url": receiver.url})
        status, made = call(server.api_url, "POST", "/api/v1/support", request_body())
        assert status == 201
        failing = until("two failed attempts", lambda: (
            r if (r := _get(server, made["id"]))["attempts"] >= 2 else None))
        assert failing["status"] == "new"
        assert failing["last_error"] == f"HTTP 500 from {receiver.url}"
        assert failing["next_attempt_ms"] is not None
        receiver.mode = "ok"
        done = _sent(server, made["id"])
        assert done["attempts"] >= 3 and done["last_error"] is None
        assert receiver.attempts == done["attempts"]
        [got] = receiver.received
        assert got.json()["id"] == made["id"]
    finally:
        receiver.stop()


def test_a_turned_off_channel_fails_the_request_and_send_again_queues_it(
    server: ServerProcess, support_channel: Any
) -> None:
    receiver = WebhookReceiver().start()
    try:
        support_channel("webhook", {"url": receiver.url}, enabled=False)
        _, made = call(server.api_url, "POST", "/api/v1/support", request_body())
        failed = until("failed", lambda: (
            r if (r := _get(server, made["id"]))["status"] == "failed" else None))
        assert failed["last_error"] == "channel 'support' is turned off"
        assert failed["next_attempt_ms"] is None and receiver.attempts == 0
        status, resolved = call(server.api_url, "PATCH", f"/api/v1/support/{made['id']}",
                                {"status": "resolved"})
        assert status == 200 and resolved["status"] == "resolved"
        assert resolved["resolved_ms"] is not None
    finally:
        receiver.stop()


def test_without_a_support_channel_the_request_is_stored_and_says_why(
    server: ServerProcess,
) -> None:
    _, made = call(server.api_url, "POST", "/api/v1/support", request_body(screenshot=None))
    assert made["screenshot"] is None
    waiting = until("not queued", lambda: (
        r if (r := _get(server, made["id"]))["next_attempt_ms"] is None else None))
    assert waiting["status"] == "new" and waiting["attempts"] == 0
    assert waiting["last_error"].startswith("no support channel: set BONGSU_SUPPORT_CHANNEL")
    status, _ = call(server.api_url, "GET", f"/api/v1/support/{made['id']}/screenshot")
    assert status == 404


def test_bad_input_is_a_4xx_naming_the_field(server: ServerProcess) -> None:
    post = lambda body: call(server.api_url, "POST", "/api/v1/support", body)  # noqa: E731
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({k: v for k, v in request_body().items() if k != "description"}, 400,
         "description: required"),
        (request_body(description="x" * 5001), 400, "description: String should have at most"),
        (request_body(description="   "), 400, "description: required"),
        (request_body(contact="c" * 201), 400, "contact: String should have at most"),
        (request_body(screenshot="data:image/jpeg;base64,AAAA"), 400, "screenshot: a 'image/jpeg"),
        (request_body(screenshot="data:image/png;base64,!!!"), 400, "screenshot: not base64"),
        (request_body(screenshot=data_url(b"GIF89a" + b"\0" * 40)), 400,
         "screenshot: not a PNG"),
        (request_body(colour="red"), 400, "colour: Extra inputs are not permitted"),
        ({**request_body(), "view": {"url": "x", "viewport": {"width": 0, "height": 9}}},
         400, "view.viewport.width: Input should be greater than or equal to 1"),
        ({**request_body(), "view": {"page": "dashboard"}}, 400, "view.url: required"),
    ]
    for body, code, start in cases:
        status, answer = post(body)
        assert (status, answer["detail"][:len(start)]) == (code, start), (start, answer)
    damaged = bytearray(encode(8, 8))
    damaged[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    status, answer = post(request_body(bytes(damaged)))
    assert (status, answer["detail"]) == (400, "screenshot: a PNG whose header (IHDR) is damaged")

    # Too large: refused from Content-Length alone — the answer comes before any of the
    # 9 MiB is sent.
    connection = http.client.HTTPConnection("127.0.0.1", server.api_port, timeout=30)
    connection.putrequest("POST", "/api/v1/support")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(9 * 2**20))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["detail"].startswith("screenshot: the request is over")
    connection.close()

    # Without a Content-Length (chunked): cut off as it streams, past the limit.
    connection = http.client.HTTPConnection("127.0.0.1", server.api_port, timeout=60)
    connection.putrequest("POST", "/api/v1/support")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    piece = b"A" * 2**20
    try:
        for _ in range(MAX_BODY_BYTES // len(piece) + 2):
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed before taking it all
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["detail"].startswith("screenshot: the request is over")
    connection.close()

    assert call(server.api_url, "GET", "/api/v1/support/sr_nope")[0] == 404
    status, answer = call(server.api_url, "PATCH", "/api/v1/support/sr_nope",
                          {"status": "resolved"})
    assert status == 404
    status, answer = call(server.api_url, "GET", "/api/v1/support?colour=red")
    assert status == 400 and "colour" in answer["detail"]
    status, answer = call(server.api_url, "GET", "/api/v1/support?status=open")
    assert status == 400 and answer["detail"].startswith("status:")
    _, made = post(request_body())
    status, answer = call(server.api_url, "PATCH", f"/api/v1/support/{made['id']}",
                          {"status": "sent"})
    assert status == 400 and answer["detail"].startswith("status: one of 'new' or 'resolved'")
