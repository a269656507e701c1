"""Diagnostics: analyzers that read captures (thread dumps, memory, network, files,
processes) in the shapes of ``docs/captures.md``.

An analyzer is registered by ``(kind, format)`` through :func:`register` — the built-ins
(``threads``, ``memory``, ``processes``, ``network``, ``files`` for the agent's
``bongsu.<kind>/1``, and the JVM's ``jcmd`` text through :class:`Parsed`) exactly as a
third party's would be. :func:`analyze` reads one capture, :func:`compare` two of one kind
(their formats may differ: a ``Parsed`` analyzer turns its text into the bongsu shape
first, so a JVM class histogram compares like the agent's memory capture).

Example::

    class Lines:
        kind, format, version = "logs", "acme.logs/1", 1
        def normalize(self, doc): return dict(doc)
        def analyze(self, doc): return {"headline": f"{len(doc['lines'])} lines"}
        def compare(self, base, other): return {"headline": "…"}

    register(Lines())
    analyze({"kind": "logs", "format": "acme.logs/1", "lines": []})["headline"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bongsu.errors import InvalidQuery

__all__ = [
    "Analyzer", "Doc", "Parsed", "analyze", "analyzer", "analyzers", "compare", "format_of",
    "native_format", "register", "version_of",
]

Doc = Mapping[str, Any]


class Analyzer(Protocol):
    """Reads the captures of one ``kind`` written in one ``format``."""

    @property
    def kind(self) -> str: ...

    @property
    def format(self) -> str: ...

    @property
    def version(self) -> int:
        """Raised when ``analyze`` changes: stored analyses are then recomputed."""
        ...

    def normalize(self, doc: Doc) -> dict[str, Any]:
        """The document in the ``bongsu.<kind>/1`` shape (itself for that format)."""
        ...

    def analyze(self, doc: Doc) -> dict[str, Any]:
        """One capture's analysis; always has a one-line ``headline``."""
        ...

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        """What changed from ``base`` to ``other`` (both normalized); has a ``headline``."""
        ...


_ANALYZERS: dict[tuple[str, str], Analyzer] = {}


def register(a: Analyzer) -> Analyzer:
    """Make ``a`` read ``(a.kind, a.format)`` (a later registration replaces it)."""
    _ANALYZERS[(a.kind, a.format)] = a
    return a


def native_format(kind: str) -> str:
    """The agent's format of ``kind``: ``bongsu.<kind>/1``."""
    return f"bongsu.{kind}/1"


def format_of(doc: Doc, kind: str) -> str:
    """The document's ``format``; the agent's native one when it names none (thread dumps
    stored before formats existed say ``json``)."""
    fmt = doc.get("format")
    return fmt if isinstance(fmt, str) and fmt and fmt != "json" else native_format(kind)


def analyzer(kind: str, fmt: str) -> Analyzer | None:
    """The analyzer registered for ``(kind, fmt)``, or None."""
    return _ANALYZERS.get((kind, fmt))


def analyzers() -> list[tuple[str, str]]:
    """Every registered ``(kind, format)``, sorted."""
    return sorted(_ANALYZERS)


def version_of(kind: str, fmt: str) -> str | None:
    """What a stored analysis records to tell whether it is current: ``format:version``."""
    a = analyzer(kind, fmt)
    return None if a is None else f"{fmt}:{a.version}"


def analyze(doc: Doc, kind: str | None = None) -> dict[str, Any] | None:
    """The analysis of one capture document, or None when no analyzer reads its format."""
    kind = kind or str(doc.get("kind") or "")
    a = analyzer(kind, format_of(doc, kind))
    return None if a is None else a.analyze(doc)


def compare(base: Doc, other: Doc, kind: str) -> dict[str, Any]:
    """What changed from ``base`` to ``other``, two captures of ``kind``.

    InvalidQuery naming ``base`` / ``other`` when no analyzer reads a document's format.
    """
    native = analyzer(kind, native_format(kind))
    if native is None:
        raise InvalidQuery(f"base: no analyzer compares {kind!r} captures")
    docs = []
    for name, doc in (("base", base), ("other", other)):
        a = analyzer(kind, format_of(doc, kind))
        if a is None:
            raise InvalidQuery(f"{name}: no analyzer reads format {format_of(doc, kind)!r}")
        docs.append(a.normalize(doc))
    return native.compare(docs[0], docs[1])


@dataclass(frozen=True)
class Parsed:
    """An analyzer for a raw-text format (``jcmd`` output): ``parse`` turns the document
    into the ``bongsu.<kind>/1`` shape, then the native analyzer of ``kind`` reads it.

    Example::

        register(Parsed("threads", "jvm.thread_print/1", lambda doc: parse(doc["text"])))
    """

    kind: str
    format: str
    parse: Callable[[Doc], dict[str, Any]]
    parse_version: int = 1

    @property
    def version(self) -> int:
        native = analyzer(self.kind, native_format(self.kind))
        return self.parse_version * 1000 + (native.version if native is not None else 0)

    def normalize(self, doc: Doc) -> dict[str, Any]:
        parsed = self.parse(doc)
        envelope = {k: doc[k] for k in ("kind", "captured_at_unix_nano", "pid", "host",
                                        "runtime", "trigger") if k in doc}
        return {**envelope, **parsed, "format": native_format(self.kind),
                "source_format": self.format}

    def _native(self) -> Analyzer:
        native = analyzer(self.kind, native_format(self.kind))
        if native is None:
            raise LookupError(f"no analyzer for {native_format(self.kind)}")
        return native

    def analyze(self, doc: Doc) -> dict[str, Any]:
        return self._native().analyze(self.normalize(doc))

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        return self._native().compare(base, other)


def _register_builtins() -> None:
    from bongsu.diagnostics.files import Files
    from bongsu.diagnostics.jcmd import register_jvm_formats
    from bongsu.diagnostics.memory import Memory
    from bongsu.diagnostics.network import Network
    from bongsu.diagnostics.processes import Processes
    from bongsu.diagnostics.threads import Threads

    for a in (Threads(), Memory(), Processes(), Network(), Files()):
        register(a)
    register_jvm_formats()


_register_builtins()
