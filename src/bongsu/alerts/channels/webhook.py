"""The webhook channel: the notification as JSON, signed with the channel's secret.

Headers: ``X-Bongsu-Signature: sha256=<hex HMAC-SHA256 of the body>`` (when the channel has
a ``secret``) and ``X-Bongsu-Idempotency-Key`` — the same on every retry of one
notification, so a receiver that saw it already can drop the copy.

Example::

    config = {"url": "https://hooks.example.net/bongsu", "secret": "s3cret", "timeout_s": 5}
    WebhookChannel().check(config)
    body = webhook_body(notification, SendContext("https://bongsu.example.net"))
    assert verify(body, signature(body, "s3cret"), "s3cret")
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.model import Channel, Notification
from bongsu.errors import RuleError

_MAX_TIMEOUT_S = 60.0


def signature(body: bytes, secret: str) -> str:
    """The value of ``X-Bongsu-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str, secret: str) -> bool:
    """Whether a received signature header is the body's (compared in constant time)."""
    return hmac.compare_digest(signature(body, secret), header)


def webhook_body(notification: Notification, context: SendContext) -> bytes:
    """The JSON a webhook receives; alert links made absolute."""
    alerts = [dict(a, link=context.link(a.get("link"))) for a in notification.alerts]
    return json.dumps({
        "version": "1", "key": notification.key, "tenant": notification.tenant,
        "status": notification.status, "group": notification.group, "alerts": alerts,
        "created_us": notification.created_us,
    }, sort_keys=True).encode()


def check_url(config: dict[str, Any], field: str = "url") -> str:
    url = config.get(field)
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not (
        urlsplit(url).netloc
    ):
        raise RuleError(f"config.{field}", "must be an http:// or https:// address")
    return url


def check_timeout(config: dict[str, Any]) -> float:
    timeout = config.get("timeout_s", 10.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= _MAX_TIMEOUT_S:
        raise RuleError(
            "config.timeout_s", f"must be a number of seconds in (0, {_MAX_TIMEOUT_S:g}]"
        )
    return float(timeout)


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> SendResult:
    """POST and classify: 2xx delivered; 408, 425, 429, 5xx and network errors retried."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read(65536)
            return SendResult.success()
    except urllib.error.HTTPError as error:
        text = f"HTTP {error.code} from {url}"
        if error.code in (408, 425, 429) or error.code >= 500:
            return SendResult.retry(text)
        return SendResult.permanent(text)
    except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
        reason = getattr(error, "reason", error)
        return SendResult.retry(f"{url}: {reason}")


class WebhookChannel:
    """``config``: ``url``, optional ``secret`` (signs the body), ``timeout_s`` (10)."""

    name = "webhook"

    def check(self, config: dict[str, Any]) -> None:
        check_url(config)
        check_timeout(config)
        secret = config.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise RuleError("config.secret", "must be a non-empty string when given")

    def send(
        self, channel: Channel, notification: Notification, context: SendContext
    ) -> SendResult:
        config = channel.config
        body = webhook_body(notification, context)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Bongsu-Alerts/1",
            "X-Bongsu-Idempotency-Key": notification.key,
        }
        if config.get("secret"):
            headers["X-Bongsu-Signature"] = signature(body, str(config["secret"]))
        return post(str(config["url"]), body, headers, float(config.get("timeout_s", 10.0)))


__all__ = ["WebhookChannel", "signature", "verify", "webhook_body"]
