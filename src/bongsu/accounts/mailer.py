"""Account mail — verification and reset codes, invitations — sent by SMTP with the
``BONGSU_SMTP_*`` settings, through the alert e-mail channel's sender (STARTTLS, login,
a private CA).

A mail that cannot be sent is a :class:`MailFailed` (503): the code stays valid, and
asking again sends a new one.

Example::

    mailer = Mailer.from_settings(settings)
    mailer.send("ana@example.net", "Your Bongsu code", "Your code is 123456.")
"""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from bongsu.alerts.channels.email import smtp_send
from bongsu.errors import QueryError, SettingError
from bongsu.settings import Settings

log = logging.getLogger("bongsu.accounts.mail")


class MailFailed(QueryError):
    """503: the SMTP server did not take the message."""

    status = 503


@dataclass(frozen=True)
class Mailer:
    """``config`` is an e-mail channel's (host, port, from, username, password, starttls,
    ca_file); None: this server sends no mail."""

    config: dict[str, Any] | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        if not settings.smtp_host:
            return cls(None)
        if settings.smtp_username and not settings.smtp_starttls:
            raise SettingError("BONGSU_SMTP_STARTTLS: a login without TLS would send the "
                               "password in clear; keep it on")
        sender = settings.smtp_from or f"bongsu@{settings.smtp_host}"
        if "@" not in sender:
            raise SettingError(f"BONGSU_SMTP_FROM: must be an e-mail address, got {sender!r}")
        return cls({
            "host": settings.smtp_host, "port": settings.smtp_port, "from": sender,
            "username": settings.smtp_username or None, "password": settings.smtp_password,
            "starttls": settings.smtp_starttls, "ca_file": settings.smtp_ca_file or None,
        })

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def send(self, to: str, subject: str, text: str) -> None:
        """Send a plain text (and the same as HTML) message; MailFailed when not taken."""
        if self.config is None:
            raise MailFailed("this server sends no mail (BONGSU_SMTP_HOST is not set): "
                             "ask its operator")
        message = EmailMessage()
        key = uuid.uuid4().hex
        message["Subject"] = subject
        message["From"] = self.config["from"]
        message["To"] = to
        message["Message-ID"] = f"<{key}@bongsu>"
        message["X-Bongsu-Idempotency-Key"] = key
        message.set_content(text)
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
        result = smtp_send(self.config, message)
        if not result.ok:
            log.warning("account mail to %s not sent: %s", to, result.error)
            raise MailFailed(f"the e-mail could not be sent ({result.error}): ask for a "
                             "new code in a moment")
