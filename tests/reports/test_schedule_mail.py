"""A scheduled report delivered to a real local SMTP server (STARTTLS and login) exactly
once across restarts, and not lost while no server ran: a schedule made while its
scheduler would not tick for an hour is sent by the next server, once, and the one after
that sends nothing more for it (proved by a second schedule's mail arriving after it had
looked)."""

from __future__ import annotations

import email.message
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import SmtpReceiver, call, until
from reports.pages import pdf_text
from server_process import ServerProcess, survivors

BASE = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05"}


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(tmp_path)
    try:
        yield receiver
    finally:
        receiver.stop()


def _mails(smtp: SmtpReceiver, schedule_id: str) -> list[email.message.EmailMessage]:
    return [m for _, m in list(smtp.messages)
            if str(m["X-Bongsu-Idempotency-Key"]).startswith(f"report-{schedule_id}-")]


def _schedule(server: ServerProcess, body: dict[str, Any]) -> dict[str, Any]:
    status, made = call(server.api_url, "POST", "/api/v1/report-schedules", body)
    assert status == 201, made
    return dict(made)


def test_a_scheduled_report_is_mailed_once_across_restarts(
        tmp_path: Path, smtp: SmtpReceiver) -> None:
    data = tmp_path / "data"
    # First server: its scheduler would first tick in an hour.
    first = ServerProcess(data, {**BASE, "BONGSU_REPORTS_INTERVAL_SECONDS": "3600"}).start()
    try:
        status, channel = call(first.api_url, "POST", "/api/v1/channels", {
            "name": "reports mail", "type": "email", "config": {
                "host": "127.0.0.1", "port": smtp.port, "username": "alerts",
                "password": "pw", "from": "bongsu@example.net", "to": ["boss@example.net"],
                "ca_file": str(smtp.cert), "timeout_s": 10}})
        assert status == 201, channel
        daily = _schedule(first, {"name": "Daily performance", "kind": "performance",
                                  "every": "daily", "at": "00:00",
                                  "channel_id": channel["id"]})
        assert daily["deliveries"] == [] and daily["last_period_ms"] is None
        # Bad schedules name the field.
        for body, field in (({**daily, "at": "25:00"}, "at"),
                            ({**daily, "every": "hourly"}, "every"),
                            ({**daily, "channel_id": "nope"}, "channel_id"),
                            ({**daily, "kind": "nope"}, "kind")):
            clean = {k: body[k] for k in ("name", "kind", "every", "at", "channel_id")}
            status, answer = call(first.api_url, "POST", "/api/v1/report-schedules", clean)
            assert status == 400 and field in answer["detail"], (field, answer)
    finally:
        first.stop()
    assert _mails(smtp, daily["id"]) == []  # nothing sent: the period is still owed

    # Second server: ticks every second; the owed period is built and mailed once.
    second = ServerProcess(data, {**BASE, "BONGSU_REPORTS_INTERVAL_SECONDS": "1"}).start()
    try:
        until("the daily report mailed", lambda: _mails(smtp, daily["id"]), timeout=240)
        sent = until("the delivery marked sent", lambda: (
            lambda s: s if s["deliveries"] and s["deliveries"][0]["state"] == "sent" else None
        )(call(second.api_url, "GET", f"/api/v1/report-schedules/{daily['id']}")[1]))
    finally:
        second.stop()
    [delivery] = sent["deliveries"]
    day_ms = 86_400_000
    assert delivery["period_to_ms"] - delivery["period_from_ms"] == day_ms
    assert delivery["period_from_ms"] % day_ms == 0 and delivery["attempts"] == 1

    [mail] = _mails(smtp, daily["id"])
    assert str(mail["Subject"]).startswith("Daily performance: Performance report")
    assert mail["To"] == "boss@example.net"
    html = mail.get_body(("html",))
    assert html is not None and "Performance report — all services" in html.get_content()
    attachments = {str(a.get_filename()): a for a in mail.iter_attachments()}
    assert sorted(attachments) == sorted(
        f"performance-{_day(delivery['period_from_ms'])}.{ext}" for ext in ("pdf", "csv"))
    pdf_name = next(n for n in attachments if n.endswith(".pdf"))
    pdf = attachments[pdf_name].get_content()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    (tmp_path / "mailed.pdf").write_bytes(pdf)
    assert "Performance report — all services" in pdf_text(tmp_path / "mailed.pdf")
    assert all(smtp.tls) and smtp.logins  # over STARTTLS, logged in

    # Third server: a second schedule's mail arriving proves its scheduler planned and
    # delivered after looking at the first; the first is still mailed once.
    third = ServerProcess(data, {**BASE, "BONGSU_REPORTS_INTERVAL_SECONDS": "1"}).start()
    try:
        weekly = _schedule(third, {"name": "Weekly", "kind": "performance",
                                   "every": "weekly", "at": "00:00",
                                   "channel_id": channel["id"]})
        until("the weekly report mailed", lambda: _mails(smtp, weekly["id"]), timeout=240)
        assert len(_mails(smtp, daily["id"])) == 1
        status, again = call(third.api_url, "GET", f"/api/v1/report-schedules/{daily['id']}")
        assert status == 200 and again["deliveries"] == sent["deliveries"]
        status, listed = call(third.api_url, "GET", "/api/v1/report-schedules")
        assert [s["name"] for s in listed["schedules"]] == ["Daily performance", "Weekly"]
        assert call(third.api_url, "DELETE",
                    f"/api/v1/report-schedules/{weekly['id']}")[0] == 204
        assert call(third.api_url, "GET",
                    f"/api/v1/report-schedules/{weekly['id']}")[0] == 404
    finally:
        third.stop()
    assert len(_mails(smtp, daily["id"])) == 1
    assert survivors(first.left_behind + second.left_behind + third.left_behind) == []


def _day(ms: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))
