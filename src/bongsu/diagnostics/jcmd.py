"""The JVM's ``jcmd`` captures read by the agent's analyzers.

``jvm.thread_print/1`` (``Thread.print``) and ``jvm.class_histogram/1``
(``GC.class_histogram``) carry the raw ``text``; ``bongsu.diagnostics.jvm`` parses it into
the ``bongsu.threads/1`` / ``bongsu.memory/1`` shapes, then the same analyzers read them
(so a histogram compares with a histogram as two memory captures do).

Example::

    register_jvm_formats()
    analyze({"kind": "threads", "format": "jvm.thread_print/1", "text": text})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from bongsu.diagnostics import Doc, Parsed, register

FORMATS = {  # format -> (kind, the parser's name in bongsu.diagnostics.jvm)
    "jvm.thread_print/1": ("threads", "parse_thread_print"),
    "jvm.class_histogram/1": ("memory", "parse_class_histogram"),
}


def _parser(name: str) -> Callable[[Doc], dict[str, Any]]:
    def parse(doc: Doc) -> dict[str, Any]:
        # Looked up at parse time: the parsers' module is imported only when a JVM capture
        # is read, and a server without it answers "no parser" instead of failing to start.
        module = importlib.import_module("bongsu.diagnostics.jvm")
        result: dict[str, Any] = getattr(module, name)(str(doc.get("text") or ""))
        return result

    return parse


def register_jvm_formats() -> None:
    """Register a :class:`Parsed` analyzer for each ``jcmd`` format."""
    for fmt, (kind, name) in FORMATS.items():
        register(Parsed(kind, fmt, _parser(name)))
