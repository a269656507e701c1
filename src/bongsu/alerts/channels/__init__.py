"""Notification channels, registered the way a third party registers its own.

A channel type has a ``name``, checks its config (``check`` raises :class:`RuleError`
naming the field) and sends one Notification (``send`` returns a :class:`SendResult` and
never raises: a failure says whether trying again could help).

Example — a third party's channel::

    class Pager:
        name = "pager"
        def check(self, config): ...
        def send(self, channel, notification, context): return SendResult.success()

    registry = default_registry()
    registry.register(Pager)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from bongsu.alerts.model import Channel, Notification
from bongsu.errors import RuleError

_DASHBOARD_BEFORE_MS = 30 * 60_000  # the dashboard a link opens: 30 min up to the alert


def console_route(path: str) -> str:
    """An alert's link (``/services/orders?to=<ms>``, ``/events/<id>``, ``/alerts``) as
    the console's hash route, which is what opens the view: the console is one page, and
    the server answers 404 at ``/services/orders`` itself.

    >>> console_route("/services/orders?to=1800000")
    '#/dashboard?service=orders&range=custom&from=0&to=1800000'
    >>> console_route("/events/ep-1")
    '#/events/ep-1'
    """
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
    if len(segments) == 2 and segments[0] == "services":
        q: dict[str, str] = {"service": segments[1]}
        to = query.get("to", [""])[0]
        if to.isascii() and to.isdigit():
            q.update(range="custom", **{"from": str(max(0, int(to) - _DASHBOARD_BEFORE_MS))},
                     to=to)
        return "#/dashboard?" + urlencode(q)
    return "#/" + "/".join(quote(s, safe="") for s in segments) + (
        f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a channel needs besides its own config: where the console is, for links."""

    console_url: str = ""

    def link(self, path: str | None) -> str | None:
        """An alert's link as an address that opens it in the console
        (``https://bongsu.example.net/#/events/ep-1``); a path when no console address is
        set, an absolute address as it is."""
        if not path:
            return None
        if "://" in path:
            return path
        route = console_route(path)
        if not self.console_url:
            return "/" + route
        return self.console_url.rstrip("/") + "/" + route


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one delivery attempt; ``retryable`` only matters when not ``ok``."""

    ok: bool
    retryable: bool = False
    error: str | None = None

    @classmethod
    def success(cls) -> SendResult:
        return cls(ok=True)

    @classmethod
    def retry(cls, error: str) -> SendResult:
        return cls(ok=False, retryable=True, error=error)

    @classmethod
    def permanent(cls, error: str) -> SendResult:
        return cls(ok=False, retryable=False, error=error)


@runtime_checkable
class ChannelType(Protocol):
    """What a channel type provides (the built-ins and a third party's alike)."""

    name: str

    def check(self, config: dict[str, Any]) -> None: ...

    def send(
        self, channel: Channel, notification: Notification, context: SendContext
    ) -> SendResult: ...


class ChannelRegistry:
    """Channel types by name; each server (and each test) holds its own."""

    def __init__(self) -> None:
        self._types: dict[str, ChannelType] = {}

    def register(self, kind: ChannelType | type[ChannelType]) -> ChannelType:
        """Add a channel type (an instance, or a class made with no arguments)."""
        instance: ChannelType = kind() if isinstance(kind, type) else kind
        if not isinstance(instance, ChannelType):
            raise TypeError(f"{kind!r} is not a channel type (name, check, send)")
        if instance.name in self._types:
            raise ValueError(f"a channel type named {instance.name!r} is registered already")
        self._types[instance.name] = instance
        return instance

    def get(self, name: str) -> ChannelType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def check(self, channel: Channel) -> None:
        """Refuse a channel of an unknown type or with a config its type refuses."""
        kind = self._types.get(channel.type)
        if kind is None:
            raise RuleError("type", f"unknown channel type {channel.type!r}; "
                            f"registered: {', '.join(self.names())}")
        kind.check(channel.config)


def default_registry() -> ChannelRegistry:
    """A registry holding the built-in types: webhook, slack, email."""
    from bongsu.alerts.channels.email import EmailChannel
    from bongsu.alerts.channels.slack import SlackChannel
    from bongsu.alerts.channels.webhook import WebhookChannel

    registry = ChannelRegistry()
    for kind in (WebhookChannel, SlackChannel, EmailChannel):
        registry.register(kind)
    return registry


__all__ = [
    "ChannelRegistry", "ChannelType", "SendContext", "SendResult", "console_route",
    "default_registry",
]
