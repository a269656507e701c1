"""Explainers and the registry that picks one for an event.

An :class:`Explainer` says which events it takes (a set of reasons, and optionally a
predicate on the whole event: message, type, field path) and turns one into an
:class:`~bongsu.kube.model.Explained`. A :class:`Registry` asks its explainers in order
and the first that matches explains the event; the built-in families register through
:meth:`Registry.register`, the same call a plugin uses.

Ordering: explainers are asked in registration order, except that a ``fallback``
explainer (the built-in ``other``) is always asked last, and ``register(..., first=True)``
puts a plugin's explainer ahead of every built-in. An explainer that raises is logged,
counted in :attr:`Registry.failures`, and skipped, so a buggy plugin cannot stop a watch.

Example::

    registry = builtin_registry()

    @registry.explainer(reasons=("BackOff",), first=True,
                        when=lambda ev: "payments" in ev.object_name)
    def payments_backoff(event: NormalEvent, pods: PodLookup) -> Explained:
        return Explained("crash_loop", "critical", f"{event.object_name}: payments down")

    registry.explain(event, pods)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bongsu.kube.model import Explained, NormalEvent, PodState

log = logging.getLogger(__name__)

PodLookup = Callable[[str, str], PodState | None]
"""(namespace, pod name) → the pod's compact state, when the watcher knows it."""

ExplainFn = Callable[[NormalEvent, PodLookup], Explained]
MatchFn = Callable[[NormalEvent], bool]


def no_pods(namespace: str, name: str) -> PodState | None:
    """A :data:`PodLookup` that knows no pod."""
    return None


@dataclass(frozen=True, slots=True)
class Explainer:
    """One way of explaining events: which it takes, and what it makes of them.

    ``reasons`` empty means any reason; ``when`` narrows further (the reason alone is
    rarely enough: ``BackOff`` is a crash loop or an image back-off by its message).
    """

    name: str
    explain: ExplainFn
    reasons: frozenset[str] = frozenset()
    when: MatchFn | None = None
    fallback: bool = False

    def matches(self, event: NormalEvent) -> bool:
        if self.reasons and event.reason not in self.reasons:
            return False
        return self.when is None or self.when(event)


def explainer(*, reasons: Iterable[str] = (), when: MatchFn | None = None,
              fallback: bool = False, name: str | None = None
              ) -> Callable[[ExplainFn], Explainer]:
    """Decorator: make an :class:`Explainer` of a function (register it separately)."""

    def wrap(function: ExplainFn) -> Explainer:
        return Explainer(name=name or function.__name__, explain=function,
                         reasons=frozenset(reasons), when=when, fallback=fallback)

    return wrap


class Registry:
    """An ordered set of explainers; :meth:`explain` uses the first that matches."""

    def __init__(self, explainers: Iterable[Explainer] = ()) -> None:
        self._explainers: list[Explainer] = []
        self.failures = 0
        for each in explainers:
            self.register(each)

    def register(self, explainer: Explainer, *, first: bool = False) -> Explainer:
        """Add ``explainer``: after the others (before fallbacks), or ahead of all."""
        if first:
            self._explainers.insert(0, explainer)
        elif explainer.fallback:
            self._explainers.append(explainer)
        else:
            at = next((i for i, e in enumerate(self._explainers) if e.fallback),
                      len(self._explainers))
            self._explainers.insert(at, explainer)
        return explainer

    def explainer(self, *, reasons: Iterable[str] = (), when: MatchFn | None = None,
                  first: bool = False, name: str | None = None
                  ) -> Callable[[ExplainFn], Explainer]:
        """Decorator: make an :class:`Explainer` of a function and register it."""

        def wrap(function: ExplainFn) -> Explainer:
            made = explainer(reasons=reasons, when=when, name=name)(function)
            return self.register(made, first=first)

        return wrap

    @property
    def names(self) -> list[str]:
        return [e.name for e in self._explainers]

    def explain(self, event: NormalEvent, pods: PodLookup) -> Explained | None:
        """The first matching explainer's reading of ``event``; None if none matches."""
        for each in self._explainers:
            try:
                if each.matches(event):
                    return each.explain(event, pods)
            except Exception:  # a plugin's bug must not stop the watch: logged, counted
                self.failures += 1
                log.exception("kube explainer %s failed on %s %s/%s", each.name,
                              event.reason, event.namespace, event.object_name)
        return None
