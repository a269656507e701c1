"""Transaction figures from rollup sums: TPS, error rate, average, percentiles, APDEX.

Percentiles are nearest-rank over the store's duration buckets (8 per octave) and reported
as the geometric midpoint of the bucket, so each is within ±4.4 % of the exact
nearest-rank value (``bongsu.store.rollup.PERCENTILE_ERROR``).

Example::

    f = Figures(transactions=4, errors=1, sum_us=2_000_000, satisfied=2, tolerating=1,
                p50_bucket=150, p95_bucket=160, p99_bucket=160)
    assert apdex(f) == 0.625
"""

from __future__ import annotations

from typing import Any

from bongsu.store.reads import Figures
from bongsu.store.rollup import bucket_mid_us


def apdex(f: Figures) -> float | None:
    """(satisfied + tolerating / 2) / total; None when there were no transactions."""
    if not f.transactions:
        return None
    return (f.satisfied + f.tolerating / 2) / f.transactions


def error_rate(f: Figures) -> float | None:
    """Errors over transactions, 0-1; None when there were no transactions."""
    return f.errors / f.transactions if f.transactions else None


def avg_ms(f: Figures) -> float | None:
    """Mean duration in milliseconds (exact: from the summed durations)."""
    return f.sum_us / f.transactions / 1000 if f.transactions else None


def bucket_ms(bucket: int | None) -> float | None:
    """The duration a percentile falling in ``bucket`` is reported as, in milliseconds."""
    return None if bucket is None else bucket_mid_us(bucket) / 1000


def figures_json(f: Figures, seconds: float) -> dict[str, Any]:
    """The JSON fields every transaction summary carries; ``seconds`` is the TPS divisor."""
    return {
        "transactions": f.transactions,
        "tps": f.transactions / seconds if seconds > 0 else 0.0,
        "errors": f.errors,
        "error_rate": error_rate(f),
        "avg_ms": avg_ms(f),
        "p50_ms": bucket_ms(f.p50_bucket),
        "p95_ms": bucket_ms(f.p95_bucket),
        "p99_ms": bucket_ms(f.p99_bucket),
        "apdex": apdex(f),
    }


EMPTY = Figures(0, 0, 0, 0, 0, None, None, None)
