"""The words of a notification, shared by the channels: a title and one line per alert.

Alerts are named by their rule's name (as it was when the change was decided); the rule
id only stands in for a notification queued before names were carried, or whose rule was
deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bongsu.alerts.model import Notification


def rule_name(alert: dict[str, Any]) -> str:
    return str(alert.get("rule_name") or alert["rule_id"])


def title(notification: Notification) -> str:
    """``[FIRING] Orders error rate: service=orders``; ``[RESOLVED] Pod crash loop
    (2 alerts): namespace=shop``; alerts of several rules: ``[FIRING] 3 alerts: …``."""
    count = len(notification.alerts)
    names = sorted({rule_name(a) for a in notification.alerts})
    if len(names) == 1:
        head = names[0] + ("" if count == 1 else f" ({count} alerts)")
    else:
        head = f"{count} alerts"
    # The rule is named already; its id among the group labels would only be noise.
    group = " ".join(
        f"{k}={v}" for k, v in sorted(notification.group.items()) if k != "rule"
    )
    return f"[{notification.status.upper()}] {head}" + (f": {group}" if group else "")


def when(at_us: int | None) -> str:
    if at_us is None:
        return ""
    return datetime.fromtimestamp(at_us / 1e6, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def line(alert: dict[str, Any]) -> str:
    """One alert as a person reads it: severity, rule, summary, labels and since when."""
    labels = ", ".join(
        f"{k}={v}" for k, v in sorted(alert["labels"].items()) if k not in ("severity", "rule")
    )
    at = alert["resolved_at_us"] if alert["status"] == "resolved" else alert["fired_at_us"]
    verb = "resolved" if alert["status"] == "resolved" else "firing since"
    return (f"{alert['severity']}: {rule_name(alert)}: {alert['summary']} "
            f"({labels}; {verb} {when(at)})")


__all__ = ["line", "rule_name", "title", "when"]
