"""One transaction figure per service or per service x instance, in one read: what a
threshold rule on a figure needs, equal to what :func:`bongsu.query.dashboard.services`
(and, per instance, ``dashboard.instances`` then ``services(instance=...)``) gives for the
same window and clock.

The read is a hashable :class:`FigureRead`, so rules evaluated at the same time that need
the same rows (any service filter, any threshold) can share it.

Example::

    read = figure_read("default", "p95_ms", "service", window)
    values = figure_values(read.run(reads), "p95_ms", read, now_us)
    values[("orders", None)]  # 182.3 (ms), or None for no transactions
"""

from __future__ import annotations

from dataclasses import dataclass

from bongsu.query.dashboard import ACTIVE_USERS_US
from bongsu.query.figures import figures_json
from bongsu.query.window import Window, resolution_for
from bongsu.store.reads import GroupFigures, Level, Reads, Resolution

FIGURES = ("tps", "error_rate", "avg_ms", "p95_ms", "p99_ms", "apdex", "active_users")
GroupKey = tuple[str, str | None]  # (service, instance or None)


@dataclass(frozen=True, slots=True)
class FigureRead:
    """The store read behind one figure: the aligned window and what to compute."""

    tenant: str
    window: Window  # aligned to ``resolution``
    resolution: Resolution
    by: Level
    percentiles: bool
    users: bool
    seen: tuple[int, int] | None  # the rule's own window: which instances it lists

    def run(self, reads: Reads) -> list[GroupFigures]:
        w = self.window
        return reads.figures_by(
            self.tenant, w.start_us, w.end_us, self.resolution, self.by,
            percentiles=self.percentiles,
            users_since_us=w.end_us - ACTIVE_USERS_US if self.users else None,
            seen=self.seen,
        )


def figure_read(tenant: str, figure: str, by: Level, window: Window) -> FigureRead:
    """What to read for ``figure`` over ``window`` (as the dashboard aligns it)."""
    resolution = resolution_for(window)
    return FigureRead(
        tenant, window.aligned(resolution), resolution, by,
        percentiles=figure in ("p95_ms", "p99_ms"), users=figure == "active_users",
        seen=(window.start_us, window.end_us) if by == "instance" else None,
    )


def figure_values(rows: list[GroupFigures], figure: str, read: FigureRead, now_us: int
                  ) -> dict[GroupKey, float | None]:
    """``figure`` of each group read; None where it is undefined (no transactions). TPS is
    over the part of the window already past at ``now_us``, as on the dashboard."""
    seconds = read.window.elapsed_seconds(now_us)
    out: dict[GroupKey, float | None] = {}
    for row in rows:
        if figure == "active_users":
            out[(row.service, row.instance)] = row.active_users or 0
        else:
            out[(row.service, row.instance)] = figures_json(row.figures, seconds)[figure]
    return out
