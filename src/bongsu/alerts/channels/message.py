"""The words of a notification, shared by the channels: a title and one line per alert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bongsu.alerts.model import Notification


def title(notification: Notification) -> str:
    """``[FIRING] 2 alerts: rule=r1 service=orders``."""
    count = len(notification.alerts)
    noun = "alert" if count == 1 else "alerts"
    group = " ".join(f"{k}={v}" for k, v in sorted(notification.group.items()))
    return f"[{notification.status.upper()}] {count} {noun}" + (f": {group}" if group else "")


def when(at_us: int | None) -> str:
    if at_us is None:
        return ""
    return datetime.fromtimestamp(at_us / 1e6, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def line(alert: dict[str, Any]) -> str:
    """One alert as a person reads it: severity, summary, labels and since when."""
    labels = ", ".join(
        f"{k}={v}" for k, v in sorted(alert["labels"].items()) if k not in ("severity",)
    )
    at = alert["resolved_at_us"] if alert["status"] == "resolved" else alert["fired_at_us"]
    verb = "resolved" if alert["status"] == "resolved" else "firing since"
    return f"{alert['severity']}: {alert['summary']} ({labels}; {verb} {when(at)})"


__all__ = ["line", "title", "when"]
