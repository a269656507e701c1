"""The e-mail channel: SMTP with STARTTLS and login, a plain text and an HTML part.

The Message-ID is made from the notification's idempotency key, so a mail system (or a
person's client) sees a retried copy as the same message.

Example::

    config = {"host": "smtp.example.net", "port": 587, "username": "alerts",
              "password": "…", "from": "bongsu@example.net", "to": ["ops@example.net"]}
    EmailChannel().check(config)
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.channels.message import line, title
from bongsu.alerts.channels.webhook import check_timeout
from bongsu.alerts.model import Channel, Notification
from bongsu.errors import RuleError


def email_message(
    notification: Notification, context: SendContext, sender: str, to: list[str]
) -> EmailMessage:
    """The message: subject is the title; text and HTML list each alert with its link."""
    message = EmailMessage()
    message["Subject"] = title(notification)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = f"<{notification.key}@bongsu>"
    message["X-Bongsu-Idempotency-Key"] = notification.key
    text_lines, items = [], []
    for alert in notification.alerts:
        link = context.link(alert.get("link"))
        text_lines.append("- " + line(alert) + (f"\n  {link}" if link else ""))
        anchor = f' <a href="{html.escape(link)}">Open in Bongsu</a>' if link else ""
        items.append(f"<li>{html.escape(line(alert))}{anchor}</li>")
    message.set_content(title(notification) + "\n\n" + "\n".join(text_lines) + "\n")
    message.add_alternative(
        f"<html><body><h2>{html.escape(title(notification))}</h2>"
        f"<ul>{''.join(items)}</ul></body></html>",
        subtype="html",
    )
    return message


class EmailChannel:
    """``config``: ``host``, ``port`` (587), ``from``, ``to`` (list), ``username`` and
    ``password`` (login, only over TLS), ``starttls`` (true), ``ca_file`` (a private CA),
    ``timeout_s`` (10)."""

    name = "email"

    def check(self, config: dict[str, Any]) -> None:
        if not isinstance(config.get("host"), str) or not config["host"]:
            raise RuleError("config.host", "the SMTP server's host name is required")
        port = config.get("port", 587)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise RuleError("config.port", "must be a TCP port number")
        if not isinstance(config.get("from"), str) or "@" not in config["from"]:
            raise RuleError("config.from", "must be an e-mail address")
        to = config.get("to")
        if not isinstance(to, list) or not to or not all(
            isinstance(a, str) and "@" in a for a in to
        ):
            raise RuleError("config.to", "must be a list of e-mail addresses")
        if config.get("username") is not None and config.get("starttls", True) is False:
            raise RuleError("config.starttls", "login without TLS would send the password "
                            "in clear; keep starttls on")
        check_timeout(config)

    def send(
        self, channel: Channel, notification: Notification, context: SendContext
    ) -> SendResult:
        config = channel.config
        return smtp_send(config, email_message(notification, context, config["from"],
                                               list(config["to"])))


def smtp_send(config: dict[str, Any], message: EmailMessage) -> SendResult:
    """Send one message with a checked e-mail channel's config (reports use it too, with a
    PDF attached); never raises."""
    try:
        with smtplib.SMTP(config["host"], int(config.get("port", 587)),
                          timeout=float(config.get("timeout_s", 10.0))) as smtp:
            smtp.ehlo()
            if config.get("starttls", True):
                tls = ssl.create_default_context(cafile=config.get("ca_file"))
                smtp.starttls(context=tls)
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
        # 4xx is the server's "try again later"; 5xx will not change on a retry.
        return SendResult.retry(text) if error.smtp_code < 500 else SendResult.permanent(text)
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        return SendResult.retry(f"{config['host']}: {error}")


__all__ = ["EmailChannel", "email_message", "smtp_send"]
