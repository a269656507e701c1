"""The three OTLP signals and their request messages."""

from __future__ import annotations

import enum


class Signal(enum.IntEnum):
    """One OTLP signal; the value is its tag in the ingest log."""

    TRACES = 1
    METRICS = 2
    LOGS = 3

    @property
    def path(self) -> str:
        return "/v1/" + self.name.lower()
