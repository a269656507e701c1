"""Rule kinds: what a rule's ``spec`` means and how it is evaluated.

Each kind is registered by name through :func:`register` — the built-ins (threshold,
event, predictive, check) exactly as a third party's would be. A kind checks a spec
(:meth:`AlertKind.check` returns it normalised or raises :class:`~bongsu.errors.RuleError`
naming the field) and evaluates a rule into one :class:`~bongsu.alerts.model.Sample` per
label set.

Example::

    class Always:
        name = "always"
        def check(self, spec): return dict(spec)
        def evaluate(self, rule, ctx, now_us):
            return [Sample(labels={}, active=True, value=1.0, summary="always")]

    register(Always())
    kind("always").evaluate(rule, Context(queries, reads), now_us)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bongsu.alerts.kinds.shared import Shared
from bongsu.alerts.model import Rule, Sample
from bongsu.errors import RuleError
from bongsu.query.service import QueryService
from bongsu.store.reads import Reads


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule is evaluated against: the query service and the store's read side;
    ``shared`` (set by the evaluator per round) lets rules of one round share reads."""

    queries: QueryService
    reads: Reads
    shared: Shared | None = None


class AlertKind(Protocol):
    """One kind of rule."""

    name: str

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The spec normalised (defaults filled in); RuleError("spec.x", ...) if wrong."""
        ...

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        """One sample per label set seen at ``now_us``."""
        ...


_KINDS: dict[str, AlertKind] = {}


def register(k: AlertKind) -> AlertKind:
    """Make ``k`` available by its name (a later registration of a name replaces it)."""
    _KINDS[k.name] = k
    return k


def kind(name: str) -> AlertKind:
    """The registered kind called ``name``; RuleError on ``kind`` if there is none."""
    found = _KINDS.get(name)
    if found is None:
        known = ", ".join(sorted(_KINDS))
        raise RuleError("kind", f"unknown rule kind {name!r}; known: {known}")
    return found


def kinds() -> list[str]:
    """The registered kinds' names, sorted."""
    return sorted(_KINDS)


def _register_builtins() -> None:
    from bongsu.alerts.kinds import check, event, predictive, threshold

    for k in (threshold.Threshold(), event.Event(), predictive.Predictive(),
              check.CheckKind()):
        register(k)


_register_builtins()
