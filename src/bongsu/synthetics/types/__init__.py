"""Check types: what a check's ``target`` means and how it is probed.

Each type is registered by name through :func:`register` — the built-ins (``http``,
``tcp``) exactly as a third party's would be. A type checks a target
(:meth:`CheckType.check` returns it normalised or raises
:class:`~bongsu.errors.RuleError` naming ``target.<field>``), names the condition
subjects its outcomes carry, and probes (:meth:`CheckType.probe`, which must return
within the target's timeout and never raise for a target's fault).

Example::

    class Dns:
        name = "dns"
        subjects = ("response_time_ms",)
        def check(self, target): return {"host": text(target, "host")}
        def describe(self, target): return target["host"]
        def default_conditions(self): return []
        def probe(self, target): ...  # an Outcome

    register(Dns())
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bongsu.errors import RuleError
from bongsu.synthetics.model import Outcome


class CheckType(Protocol):
    """One kind of probe."""

    name: str
    subjects: tuple[str, ...]  # the conditions' ``on`` values this type's outcomes carry

    def check(self, target: Mapping[str, Any]) -> dict[str, Any]:
        """The target normalised (defaults filled in); RuleError("target.x", ...)."""
        ...

    def describe(self, target: Mapping[str, Any]) -> str:
        """The target in one short line (a URL, host:port), for alerts and lists."""
        ...

    def default_conditions(self) -> list[dict[str, Any]]:
        """The conditions of a check saved with none."""
        ...

    def probe(self, target: Mapping[str, Any]) -> Outcome:
        """Probe once; errors of the target are the outcome's ``error``."""
        ...


_TYPES: dict[str, CheckType] = {}


def register(t: CheckType) -> CheckType:
    """Make ``t`` available by its name (a later registration of a name replaces it)."""
    _TYPES[t.name] = t
    return t


def check_type(name: object) -> CheckType:
    """The registered type called ``name``; RuleError on ``type`` if there is none."""
    found = _TYPES.get(name) if isinstance(name, str) else None
    if found is None:
        raise RuleError("type", f"unknown check type {name!r}; known: {', '.join(types())}")
    return found


def types() -> list[str]:
    """The registered types' names, sorted."""
    return sorted(_TYPES)


def _register_builtins() -> None:
    from bongsu.synthetics.types import http, tcp

    register(http.Http())
    register(tcp.Tcp())


_register_builtins()
