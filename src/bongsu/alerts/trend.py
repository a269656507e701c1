"""Robust trend lines for predictive alerts: a Theil-Sen fit over a lookback, the time it
reaches a limit, and the reasons a fit is not to be trusted.

The Theil-Sen slope is the median of the slopes between every pair of points, so a few
outliers (a GC pause, a scrape glitch) do not bend it, unlike least squares. A fit is
refused — with a reason a person can read — when there are too few points, when the
series has stopped (no point for ``stop_steps`` steps: a pod that is gone must not keep
predicting), when the series drops and grows again (log rotation, a cache flush: a line
through a sawtooth predicts an exhaustion that never comes), and when too few points lie
near the line.

Example::

    fit = fit_trend([(t * 60_000_000, 100 + 2 * t) for t in range(30)], step_s=60,
                    now_us=30 * 60_000_000)
    assert isinstance(fit, Fit) and abs(fit.slope_per_s - 2 / 60) < 1e-9
    reaches_at(fit, 200.0)  # epoch microseconds when the line reaches 200
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

_US = 1_000_000
MAX_POINTS = 400  # 79,800 pairs: ~20 ms in pure Python; longer series are thinned evenly
BAND = 0.1  # a point "fits" when within 10 % of the series' range of the line
RESET_DROP = 0.5  # a move against the trend of over half the range is a reset …
RESET_STEPS = 5.0  # … when it is also over 5 median moves (noise's moves are all large)


@dataclass(frozen=True, slots=True)
class Fit:
    """A trend line: ``value(t) = at_ref + slope_per_s * (t - ref_us) / 1e6``."""

    slope_per_s: float
    ref_us: int  # the last point's time
    at_ref: float  # the line's value there
    points: int
    fit_fraction: float  # share of points within BAND x range of the line


@dataclass(frozen=True, slots=True)
class Refused:
    """Why no trend is given: ``reason`` is one sentence naming what is required."""

    reason: str


def theil_sen(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """(slope per second, intercept at t = 0 s) of the Theil-Sen line through ``points``
    (``(ts_us, value)``, at least 2 distinct times)."""
    pts = _thin(points)
    slopes = [
        (b[1] - a[1]) / ((b[0] - a[0]) / _US)
        for i, a in enumerate(pts) for b in pts[i + 1:] if b[0] != a[0]
    ]
    slope = statistics.median(slopes)
    intercept = statistics.median(v - slope * t / _US for t, v in pts)
    return slope, intercept


def fit_trend(
    points: Sequence[tuple[int, float]], step_s: float, now_us: int, *,
    min_points: int = 10, stop_steps: float = 3.0, min_fit: float = 0.8,
) -> Fit | Refused:
    """A trusted trend of ``points`` (time order), or why there is none."""
    pts = sorted(points)
    if not pts:
        return Refused(f"no points in the lookback; a trend needs at least {min_points}")
    silent_s = (now_us - pts[-1][0]) / _US
    if silent_s > stop_steps * step_s:
        return Refused(
            f"the series stopped: no point for {silent_s:.0f} s"
            f" (more than {stop_steps:g} x its {step_s:g} s step)"
        )
    if len(pts) < min_points:
        return Refused(f"{len(pts)} points in the lookback; a trend needs at least {min_points}")
    slope, intercept = theil_sen(pts)
    values = [v for _, v in pts]
    spread = max(values) - min(values)
    resets = _resets(pts, slope, intercept, spread)
    if resets:
        return Refused(
            f"the series resets: {resets} drop(s) of over {RESET_DROP:.0%} of its range"
            " against the trend (log-rotation-like); a trend needs steady growth"
        )
    band = BAND * spread
    near = sum(1 for t, v in pts if abs(v - (intercept + slope * t / _US)) <= band)
    fraction = near / len(pts)
    if fraction < min_fit:
        return Refused(
            f"a poor fit: {fraction:.0%} of points within {BAND:.0%} of the range of the"
            f" line; at least {min_fit:.0%} required"
        )
    ref = pts[-1][0]
    return Fit(slope, ref, intercept + slope * ref / _US, len(pts), fraction)


def reaches_at(fit: Fit, limit: float) -> int | None:
    """When the line reaches ``limit`` (epoch µs; at or before ``ref_us`` if already
    there), or None when it moves away from it or is flat."""
    gap = limit - fit.at_ref
    if gap == 0:
        return fit.ref_us
    if fit.slope_per_s == 0 or (gap > 0) != (fit.slope_per_s > 0):
        return None
    return fit.ref_us + round(gap / fit.slope_per_s * _US)


def _resets(pts: Sequence[tuple[int, float]], slope: float, intercept: float,
            spread: float) -> int:
    """Drops that reset growth: a move against the series' typical direction (the sign of
    its median move; a sawtooth's line can be flat or even fall) of over RESET_DROP of the
    range and over RESET_STEPS median moves, landing more than BAND of the range on the
    far side of the line. A spike falling back onto the line and plain noise (whose
    median move is large) are not resets."""
    moves = [b[1] - a[1] for a, b in itertools.pairwise(pts)]
    if spread == 0 or not moves:
        return 0
    typical = statistics.median(moves)
    if typical == 0:
        return 0
    sign = 1 if typical > 0 else -1
    size = statistics.median(abs(m) for m in moves)
    count = 0
    for a, b in itertools.pairwise(pts):
        drop = (a[1] - b[1]) * sign
        below = (intercept + slope * b[0] / _US - b[1]) * sign
        if drop > RESET_DROP * spread and drop > RESET_STEPS * size and below > BAND * spread:
            count += 1
    return count


def _thin(points: Sequence[tuple[int, float]]) -> Sequence[tuple[int, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = len(points) / MAX_POINTS
    return [points[int(i * stride)] for i in range(MAX_POINTS)]
