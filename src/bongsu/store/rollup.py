"""Duration buckets shared by the store's rollups and the query service.

Bucket ``b`` holds durations in ``[2^(b/8), 2^((b+1)/8))`` microseconds, so a percentile
read from bucket counts (geometric midpoint of its bucket) is within 2^(1/16) - 1 ≈ 4.4 %
of the exact value. The heatmap groups them four at a time (√2 per row).

Example::

    assert bucket_of(1000) == 79        # 1 ms
    assert bucket_low_us(79) <= 1000 < bucket_low_us(80)
"""

from __future__ import annotations

import math

BUCKETS_PER_OCTAVE = 8
HEATMAP_GROUP = 4
PERCENTILE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_OCTAVE)) - 1


def bucket_of(duration_us: float) -> int:
    """The bucket of one duration, as the store computes it."""
    return math.floor(math.log2(max(duration_us, 1)) * BUCKETS_PER_OCTAVE)


def bucket_low_us(bucket: int) -> float:
    """Lower bound (inclusive) of a bucket, in microseconds."""
    return float(2 ** (bucket / BUCKETS_PER_OCTAVE))


def bucket_mid_us(bucket: int) -> float:
    """Geometric midpoint of a bucket: the value a percentile in it is reported as."""
    return float(2 ** ((bucket + 0.5) / BUCKETS_PER_OCTAVE))
