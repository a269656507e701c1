"""The Slack channel: a Slack-compatible incoming webhook, in blocks with a link back to
the console view that explains each alert (Mattermost and Rocket.Chat take the same).

Example::

    config = {"url": "https://hooks.slack.com/services/T000/B000/XXXX"}
    SlackChannel().check(config)
    payload = slack_payload(notification, SendContext("https://bongsu.example.net"))
"""

from __future__ import annotations

import json
from typing import Any

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.channels.message import line, title
from bongsu.alerts.channels.webhook import check_timeout, check_url, post
from bongsu.alerts.model import Channel, Notification

_MAX_ALERT_BLOCKS = 20  # Slack refuses a message of more than 50 blocks


def slack_payload(notification: Notification, context: SendContext) -> dict[str, Any]:
    """The incoming-webhook JSON: a header, a section per alert (linked), a fallback text."""
    head = title(notification)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
    ]
    for alert in notification.alerts[:_MAX_ALERT_BLOCKS]:
        text = _escape(line(alert))
        link = context.link(alert.get("link"))
        if link:
            text += f"\n<{link}|Open in Bongsu>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    rest = len(notification.alerts) - _MAX_ALERT_BLOCKS
    if rest > 0:
        blocks.append({"type": "context",
                       "elements": [{"type": "mrkdwn", "text": f"and {rest} more"}]})
    return {"text": head, "blocks": blocks}


def _escape(text: str) -> str:
    # Slack reads <…> as links and mentions; these three are the escapes it documents.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel:
    """``config``: ``url`` (the incoming webhook), ``timeout_s`` (10)."""

    name = "slack"

    def check(self, config: dict[str, Any]) -> None:
        check_url(config)
        check_timeout(config)

    def send(
        self, channel: Channel, notification: Notification, context: SendContext
    ) -> SendResult:
        body = json.dumps(slack_payload(notification, context)).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Bongsu-Alerts/1"}
        return post(str(channel.config["url"]), body, headers,
                    float(channel.config.get("timeout_s", 10.0)))


__all__ = ["SlackChannel", "slack_payload"]
