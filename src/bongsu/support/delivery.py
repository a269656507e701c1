"""Sending a support request through an alert channel: the channel's config, the
request's own content.

An alert channel sends a Notification (alerts, no attachment); a support request carries
a screenshot, so each channel type has a support sender here that takes the same config
(checked by the channel type when the channel was made) and reuses the channel module's
transport: the webhook's POST and signature, the e-mail channel's SMTP settings. A type
without a sender (a third party's) is a permanent failure naming it; a third party adds
one with :meth:`Senders.register`.

- ``webhook``: JSON (``kind: support_request``) with the view, the system information and
  the screenshot as base64, signed like alerts (``X-Bongsu-Signature``), the request id as
  ``X-Bongsu-Idempotency-Key``.
- ``email``: text and HTML parts, the screenshot attached as ``screenshot.png``, the
  full record attached as ``support-request.json``.
- ``slack``: the description, view and a link to the screenshot (Slack webhooks take no
  files).

Example::

    senders = default_senders()
    result = senders.send(channel, request, png, SendContext("https://bongsu.example.net"))
"""

from __future__ import annotations

import base64
import html
import json
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Protocol

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.channels.webhook import post, signature
from bongsu.alerts.model import Channel
from bongsu.support.model import SupportRequest


class Sender(Protocol):
    name: str

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult: ...


def screenshot_link(request: SupportRequest, context: SendContext) -> str:
    """Where the stored screenshot is served (absolute with a console address)."""
    path = f"/api/v1/support/{request.id}/screenshot"
    return context.console_url.rstrip("/") + path if context.console_url else path


def record(request: SupportRequest) -> dict[str, Any]:
    """The request as JSON values (what the webhook and the e-mail's attachment carry)."""
    return {
        "kind": "support_request", "version": "1", "id": request.id,
        "tenant": request.tenant, "created_ms": request.created_us // 1000,
        "description": request.description, "contact": request.contact,
        "view": request.view, "system": request.system,
    }


def subject(request: SupportRequest) -> str:
    first = request.description.strip().splitlines()[0] if request.description.strip() else ""
    return f"[SUPPORT] {first[:120]}" + (f" ({request.contact})" if request.contact else "")


def summary_lines(request: SupportRequest) -> list[str]:
    """The request as a person reads it: view, version, services, alerts, events."""
    view, system = request.view, request.system
    lines = [f"From: {request.contact or '(no contact given)'}",
             f"View: {view.get('url', '')}",
             f"Page: {view.get('page', '')}  service: {view.get('service') or '-'}  "
             f"instance: {view.get('instance') or '-'}  range: {view.get('range', '')} "
             f"({view.get('from_ms')} - {view.get('to_ms')} ms)"]
    version = (system.get("bongsu") or {}).get("version")
    lines.append(f"Bongsu {version}")
    for name, rows in (("Services", system.get("services")),
                       ("Firing alerts", system.get("alerts")),
                       ("Recent Kubernetes events", system.get("kube_events")),
                       ("Recent captures", system.get("captures"))):
        if isinstance(rows, dict):
            lines.append(f"{name}: could not be read ({rows.get('error')})")
            continue
        lines.append(f"{name}: {len(rows or [])}")
        for row in (rows or [])[:10]:
            lines.append("  - " + _row(row))
    return lines


def _row(row: dict[str, Any]) -> str:
    if "rule" in row:
        return f"{row['severity']}: {row['rule']}: {row['summary']}"
    if "reason" in row:
        return f"{row['severity']} {row['reason']} {row['object']}: {row['summary']}"
    if "kind" in row:
        return f"{row['kind']} of {row['service']} ({row['instance']})"
    figures = ", ".join(f"{k}={v}" for k, v in row.items()
                        if k not in ("name", "instance_names"))
    return f"{row.get('name')}: {figures}"


class WebhookSender:
    name = "webhook"

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult:
        config = channel.config
        body = dict(record(request), screenshot=None if png is None else {
            "content_type": "image/png", "width": request.screenshot_width,
            "height": request.screenshot_height, "bytes": len(png),
            "base64": base64.b64encode(png).decode(), "url": screenshot_link(request, context),
        })
        data = json.dumps(body, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Bongsu-Support/1",
                   "X-Bongsu-Idempotency-Key": request.id}
        if config.get("secret"):
            headers["X-Bongsu-Signature"] = signature(data, str(config["secret"]))
        return post(str(config["url"]), data, headers, float(config.get("timeout_s", 10.0)))


class SlackSender:
    name = "slack"

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult:
        text = "\n".join([subject(request), "", request.description, "",
                          *summary_lines(request)[:8],
                          *([f"Screenshot: {screenshot_link(request, context)}"] if png else [])])
        data = json.dumps({"text": text}).encode()
        return post(str(channel.config["url"]), data, {"Content-Type": "application/json"},
                    float(channel.config.get("timeout_s", 10.0)))


def email_message(request: SupportRequest, png: bytes | None, sender: str,
                  to: list[str]) -> EmailMessage:
    """Text and HTML parts, the PNG and the JSON record attached."""
    message = EmailMessage()
    message["Subject"] = subject(request)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = f"<{request.id}@bongsu>"
    message["X-Bongsu-Idempotency-Key"] = request.id
    if request.contact and "@" in request.contact:
        message["Reply-To"] = request.contact
    lines = summary_lines(request)
    message.set_content(request.description + "\n\n" + "\n".join(lines) + "\n")
    message.add_alternative(
        f"<html><body><h2>{html.escape(subject(request))}</h2>"
        f"<p style=\"white-space:pre-wrap\">{html.escape(request.description)}</p>"
        + ("<p>The screenshot is attached (screenshot.png).</p>" if png else "")
        + f"<pre>{html.escape(chr(10).join(lines))}</pre></body></html>", subtype="html")
    if png is not None:
        # Attached once, not also inline: the mail stays the PNG's size (plus base64).
        message.add_attachment(png, maintype="image", subtype="png",
                               filename="screenshot.png")
    message.add_attachment(json.dumps(record(request), indent=2, sort_keys=True).encode(),
                           maintype="application", subtype="json",
                           filename="support-request.json")
    return message


class EmailSender:
    name = "email"

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult:
        config = channel.config
        message = email_message(request, png, config["from"], list(config["to"]))
        # The e-mail channel's settings, read the same way (host, port, STARTTLS, login).
        try:
            with smtplib.SMTP(config["host"], int(config.get("port", 587)),
                              timeout=float(config.get("timeout_s", 10.0))) as smtp:
                smtp.ehlo()
                if config.get("starttls", True):
                    smtp.starttls(context=ssl.create_default_context(
                        cafile=config.get("ca_file")))
                    smtp.ehlo()
                if config.get("username"):
                    smtp.login(str(config["username"]), str(config.get("password", "")))
                smtp.send_message(message)
            return SendResult.success()
        except smtplib.SMTPAuthenticationError as error:
            return SendResult.permanent(f"SMTP login refused: {error.smtp_code}")
        except smtplib.SMTPRecipientsRefused as error:
            return SendResult.permanent(f"recipients refused: {sorted(error.recipients)}")
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            return SendResult.retry(text) if error.smtp_code < 500 else SendResult.permanent(text)
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            return SendResult.retry(f"{config['host']}: {error}")


class Senders:
    """Support senders by channel type; each server (and each test) holds its own."""

    def __init__(self) -> None:
        self._by_type: dict[str, Sender] = {}

    def register(self, sender: Sender) -> None:
        self._by_type[sender.name] = sender

    def names(self) -> list[str]:
        return sorted(self._by_type)

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult:
        sender = self._by_type.get(channel.type)
        if sender is None:
            known = ", ".join(self.names())
            return SendResult.permanent(f"channel type {channel.type!r} cannot carry a "
                                        f"support request (known: {known})")
        try:
            return sender.send(channel, request, png, context)
        except Exception as error:  # a sender's bug must not stop the outbox
            return SendResult.retry(f"{channel.type} raised {type(error).__name__}: {error}")


def default_senders() -> Senders:
    senders = Senders()
    for sender in (WebhookSender(), EmailSender(), SlackSender()):
        senders.register(sender)
    return senders


__all__ = ["EmailSender", "Sender", "Senders", "SlackSender", "WebhookSender",
           "default_senders", "email_message", "record", "screenshot_link", "subject",
           "summary_lines"]
