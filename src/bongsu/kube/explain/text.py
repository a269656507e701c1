"""How explained episodes are worded: one line, the object first, then the cause.

Every summary is one line of at most :data:`SUMMARY_LIMIT` characters; times are UTC
``HH:MM:SS``; bytes are MiB/GiB.

Example::

    >>> clock(1796121725000000)
    '10:42:05 UTC'
    >>> shorten("a  very\\nlong   line", 10)
    'a very lo…'
"""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime

from bongsu.kube.model import NormalEvent, Termination
from bongsu.kube.quantity import format_bytes

# Long enough for a pod, its container, an EKS node name and the cause (the longest
# real-shaped summaries in tests/kube/shapes run ~200); a table row wraps it.
SUMMARY_LIMIT = 240

_FIELD_CONTAINER = re.compile(r"(?:containers|initContainers|ephemeralContainers)\{([^}]+)\}")
_MESSAGE_CONTAINER = re.compile(r"\b[Cc]ontainers? \"?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\"?"
                                r"(?= in pod|\"| failed| exceeded|$|[ ,.;])")


# Words that follow "container" in messages without being a container's name.
_NOT_NAMES = frozenset({"with", "image", "has", "runtime", "is", "was", "for", "the", "process",
                        "task", "status", "create", "start", "died", "exited", "not", "in"})


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` on one line (whitespace collapsed), cut to ``limit`` characters with "…",
    at a word's end when one is near (never mid-name when it can be helped)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip(" ,;:(") + "…"


def first_line(message: str) -> str:
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return ""


def root_cause(message: str, enough: int = 30) -> str:
    """The end of a Go error chain ``"a: b: c"``: the last parts, until ``enough`` chars.

    Wrapped errors put the cause last ("… failed to get CSI client: driver name x not
    found"); the first parts name the call sites a person does not need in a summary.
    """
    parts = first_line(message).rstrip(". ").split(": ")
    cause = parts.pop()
    while parts and len(cause) < enough:
        cause = f"{parts.pop()}: {cause}"
    return cause


def clock(us: int) -> str:
    """Epoch microseconds as ``HH:MM:SS UTC``."""
    try:
        moment = datetime.fromtimestamp(us / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return "an unknown time"
    return moment.strftime("%H:%M:%S UTC")


def container_of(event: NormalEvent) -> str | None:
    """The container an event is about: its field path, else the message's wording."""
    match = _FIELD_CONTAINER.search(event.field_path)
    if match:
        return match.group(1)
    if event.object_kind != "Pod":
        return None
    for found in _MESSAGE_CONTAINER.finditer(event.message):
        if found.group(1) not in _NOT_NAMES:
            return found.group(1)
    return None


def quoted_after(message: str, word: str) -> str | None:
    """The first ``"…"`` following ``word`` in ``message`` (an image, a volume …)."""
    match = re.search(re.escape(word) + r'\s+"([^"]*)"', message)
    return match.group(1) if match else None


def on_node(node: str | None) -> str:
    return f" on {node}" if node else ""


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def exit_cause(termination: Termination) -> str:
    """``"OOMKilled, exit 137"`` or ``"Error, exit 137 (SIGKILL)"``: what ended a container.

    A code above 128 is 128 + the signal that killed it; it is named, because 137 alone
    does not mean an OOM kill (a liveness-probe kill or ``kill -9`` give 137 with Error).
    """
    parts = [termination.reason or "Terminated", f"exit {termination.exit_code}"]
    number = termination.signal or (termination.exit_code - 128
                                    if 128 < termination.exit_code < 160 else None)
    if number and termination.reason != "OOMKilled":
        parts[-1] += f" ({signal_name(number)})"
    return ", ".join(parts)


def last_exit(termination: Termination, memory_limit: float | None) -> str:
    """``"OOMKilled, exit 137, at 10:42:05 UTC, limit 256 MiB"`` (the limit for OOM kills)."""
    text = exit_cause(termination)
    if termination.finished_us:
        text += f", at {clock(termination.finished_us)}"
    if termination.reason == "OOMKilled" and memory_limit:
        text += f", limit {format_bytes(memory_limit)}"
    return text


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
