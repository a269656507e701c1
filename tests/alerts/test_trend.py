"""Theil-Sen trends: the slope and the crossing time of known lines, and each refusal."""

from __future__ import annotations

import random

import pytest

from bongsu.alerts.trend import Fit, Refused, fit_trend, reaches_at, theil_sen

MIN_US = 60_000_000


def line(n: int, slope_per_min: float, start: float = 100.0, noise: float = 0.0,
         seed: int = 3) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    return [(k * MIN_US, start + slope_per_min * k + rng.uniform(-noise, noise))
            for k in range(n)]


def test_the_slope_of_an_exact_line_is_exact() -> None:
    slope, intercept = theil_sen(line(30, 2.0))
    assert slope == pytest.approx(2.0 / 60)
    assert intercept == pytest.approx(100.0)


def test_outliers_do_not_bend_the_line() -> None:
    pts = line(60, 1.0)
    # A GC pause's spikes: least squares would tilt; the median of pair slopes does not.
    for k in (10, 25, 40):
        pts[k] = (pts[k][0], pts[k][1] + 500)
    fit = fit_trend(pts, 60, 60 * MIN_US)
    assert isinstance(fit, Fit)
    assert fit.slope_per_s == pytest.approx(1.0 / 60, rel=1e-9)


def test_the_crossing_time_of_a_noisy_line_is_within_1_percent() -> None:
    pts = line(60, 5.0, noise=3.0)  # value(k) = 100 + 5 k: reaches 1000 at k = 180
    fit = fit_trend(pts, 60, 59 * MIN_US + 1)
    assert isinstance(fit, Fit)
    at = reaches_at(fit, 1000.0)
    assert at is not None
    assert abs(at - 180 * MIN_US) <= 0.01 * (180 - 59) * MIN_US


def test_a_line_moving_away_from_the_limit_never_reaches_it() -> None:
    fit = fit_trend(line(30, -1.0), 60, 29 * MIN_US)
    assert isinstance(fit, Fit)
    assert reaches_at(fit, 1000.0) is None
    assert reaches_at(fit, 0.0) is not None  # falling towards a floor


def test_too_few_points_is_refused_saying_how_many() -> None:
    got = fit_trend(line(6, 1.0), 60, 5 * MIN_US, min_points=10)
    assert got == Refused("6 points in the lookback; a trend needs at least 10")


def test_a_stopped_series_is_refused() -> None:
    pts = line(30, 1.0)  # last point at minute 29
    assert isinstance(fit_trend(pts, 60, 32 * MIN_US), Fit)  # 3 steps: still live
    got = fit_trend(pts, 60, 32 * MIN_US + 1)
    assert isinstance(got, Refused)
    assert got.reason.startswith("the series stopped: no point for 180 s")


def test_a_sawtooth_is_refused_as_resets() -> None:
    # Log-rotation-like: grows 10 a minute, drops back to 100 every 20 minutes.
    pts = [(k * MIN_US, 100.0 + 10 * (k % 20)) for k in range(60)]
    got = fit_trend(pts, 60, 59 * MIN_US)
    assert isinstance(got, Refused)
    assert "resets: 2 drop(s)" in got.reason


def test_a_poor_fit_is_refused_naming_the_measure() -> None:
    rng = random.Random(5)
    pts = [(k * MIN_US, k * 0.2 + rng.uniform(0, 100)) for k in range(60)]
    got = fit_trend(pts, 60, 59 * MIN_US)
    assert isinstance(got, Refused)
    assert "poor fit" in got.reason and "within 10% of the range" in got.reason
    assert "at least 80% required" in got.reason
