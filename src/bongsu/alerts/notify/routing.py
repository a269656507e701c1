"""Routes: which alerts go to which channels, grouped by which labels, how often.

A route's timers, as a group of alerts sees them:

- ``group_wait_s``: a new group waits this long before its first notification, so alerts
  that start together arrive in one message;
- ``group_interval_s``: after a notification, changes (newly firing or resolved alerts) wait
  this long before the next one;
- ``repeat_interval_s``: with no change, alerts still firing are sent again this often.

Example::

    route = Route(id="ops", tenant="default", matchers=[Matcher("severity", "=", "critical")],
                  channel_ids=["pager"], group_by=["rule"])
    check_route(route)
    if matches(route.matchers, labels):
        key = group_labels(route, labels)  # {"rule": "r1"}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bongsu.alerts.model import Labels, Matcher, Route
from bongsu.errors import RuleError

_OPS = ("=", "!=", "=~", "!~")


@lru_cache(maxsize=1024)
def _pattern(value: str) -> re.Pattern[str]:
    return re.compile(value)


def check_matcher(matcher: Matcher, field: str) -> None:
    """Refuse an unknown operator or a regular expression that does not compile."""
    if not matcher.name:
        raise RuleError(f"{field}.name", "a matcher needs a label name")
    if matcher.op not in _OPS:
        raise RuleError(f"{field}.op", f"unknown operator {matcher.op!r}; use one of {_OPS}")
    if matcher.op in ("=~", "!~"):
        try:
            _pattern(matcher.value)
        except re.error as error:
            raise RuleError(f"{field}.value", f"not a regular expression: {error}") from None


def match(matcher: Matcher, labels: Labels) -> bool:
    """Whether one matcher holds; a missing label reads as the empty string."""
    value = labels.get(matcher.name, "")
    if matcher.op == "=":
        return value == matcher.value
    if matcher.op == "!=":
        return value != matcher.value
    # Anchored, as users write them: pod=~orders-.* should not match "old-orders-1".
    found = _pattern(matcher.value).fullmatch(value) is not None
    return found if matcher.op == "=~" else not found


def matches(matchers: Iterable[Matcher], labels: Labels) -> bool:
    """Whether every matcher holds (no matchers: everything matches)."""
    return all(match(m, labels) for m in matchers)


def check_route(route: Route) -> None:
    """Refuse a route whose timers cannot mean what they say (raises :class:`RuleError`)."""
    for i, matcher in enumerate(route.matchers):
        check_matcher(matcher, f"matchers[{i}]")
    if not route.channel_ids:
        raise RuleError("channel_ids", "a route needs at least one channel")
    if route.group_wait_s < 0:
        raise RuleError("group_wait_s", "must be zero or more seconds")
    if route.group_interval_s <= 0:
        raise RuleError("group_interval_s", "must be more than zero seconds")
    if route.repeat_interval_s < route.group_interval_s:
        raise RuleError(
            "repeat_interval_s",
            f"{route.repeat_interval_s:g} s is shorter than group_interval_s "
            f"({route.group_interval_s:g} s): a group is only looked at every group "
            "interval, so a still-firing alert cannot be repeated more often than that; "
            "make repeat_interval_s at least group_interval_s",
        )


def group_labels(route: Route, labels: Labels) -> Labels:
    """The labels that name an alert's group in this route (absent ones are left out)."""
    return {name: labels[name] for name in route.group_by if name in labels}


__all__ = ["check_matcher", "check_route", "group_labels", "match", "matches"]
