"""A mergeable distinct-count sketch: exact while small, HyperLogLog beyond.

A sketch holds 64-bit hashes of user keys. Up to ``exact_limit`` distinct hashes it keeps
them all (the count is exact: two of 4,096 keys share a 64-bit hash with probability
~5e-13). Past that it turns into a HyperLogLog of ``2**precision`` one-byte registers
(16 KiB at the default precision 14) whose estimate has a relative standard error of
``1.04 / sqrt(2**precision)`` (0.81 %, one sigma; within three sigma 99.7 % of the time).
The estimate is Ertl's improved raw estimator ("New cardinality estimation algorithms for
HyperLogLog sketches", 2017), unbiased from 0 to 2**64 without empirical bias tables.

Merging is a union: associative, commutative and idempotent, so a sketch merged twice, or
partial sketches merged in any order, give the same sketch. That is what lets the store
append partial sketches at load time, merge them at compaction, and replay a log safely.

Example::

    a, b = Sketch(), Sketch()
    a.add(key_hash("alice")); b.add(key_hash("bob")); b.add(key_hash("alice"))
    a.merge(b)
    assert a.count() == 2 and a.exact
    assert Sketch.from_bytes(a.to_bytes()).count() == 2
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Iterable

__all__ = ["EXACT_LIMIT", "PRECISION", "Sketch", "SketchError", "key_hash", "relative_error"]

PRECISION = 14
EXACT_LIMIT = 4096  # 32 KiB of hashes: twice the dense form, and exact up to here
_EXACT, _DENSE = 1, 2
_MASK64 = (1 << 64) - 1


class SketchError(ValueError):
    """Bytes that are not a sketch, or sketches of different precisions merged."""


def key_hash(key: str) -> int:
    """The 64-bit hash a user key is counted by (BLAKE2b: the same in every backend)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


def relative_error(precision: int = PRECISION) -> float:
    """Relative standard error (one sigma) of an estimate: 1.04 / sqrt(2**precision)."""
    return 1.04 / math.sqrt(1 << precision)


class Sketch:
    """Distinct 64-bit hashes: a set up to ``exact_limit``, then HyperLogLog registers."""

    __slots__ = ("_hashes", "_registers", "exact_limit", "precision")

    def __init__(self, precision: int = PRECISION, exact_limit: int | None = EXACT_LIMIT):
        if not 4 <= precision <= 18:
            raise SketchError(f"precision must be within 4..18, got {precision}")
        self.precision = precision
        self.exact_limit = exact_limit  # None: stay exact however large (query-time unions)
        self._hashes: set[int] | None = set()
        self._registers: bytearray | None = None

    @classmethod
    def of(cls, hashes: set[int], precision: int = PRECISION) -> Sketch:
        """A sketch of a set of 64-bit hashes (taken over, not copied, while exact)."""
        sketch = cls(precision)
        if len(hashes) <= EXACT_LIMIT:
            sketch._hashes = hashes
        else:
            sketch._densify_from(hashes)
        return sketch

    @property
    def exact(self) -> bool:
        """Whether :meth:`count` is exact (the sketch still holds every hash)."""
        return self._hashes is not None

    def add(self, h: int) -> None:
        """Count one 64-bit hash (see :func:`key_hash`)."""
        hashes = self._hashes
        if hashes is not None:
            hashes.add(h & _MASK64)
            if self.exact_limit is not None and len(hashes) > self.exact_limit:
                self._densify()
        else:
            self._add_dense((h & _MASK64,))

    def update(self, hashes: Iterable[int]) -> None:
        """Count many hashes."""
        if self._hashes is not None:
            self._hashes.update(h & _MASK64 for h in hashes)
            if self.exact_limit is not None and len(self._hashes) > self.exact_limit:
                self._densify()
        else:
            self._add_dense(h & _MASK64 for h in hashes)

    def merge(self, other: Sketch) -> None:
        """Make this sketch the union of itself and ``other``."""
        if other.precision != self.precision:
            raise SketchError(f"cannot merge precision {other.precision} into {self.precision}")
        if other._hashes is not None:
            self.update(other._hashes)
            return
        assert other._registers is not None
        if self._hashes is not None:
            mine = self._hashes
            self._hashes, self._registers = None, bytearray(other._registers)
            self._add_dense(mine)
            return
        assert self._registers is not None
        self._registers = bytearray(map(max, self._registers, other._registers))

    def count(self) -> int:
        """Distinct hashes counted: exact, or the HyperLogLog estimate rounded."""
        if self._hashes is not None:
            return len(self._hashes)
        assert self._registers is not None
        return round(_estimate(self._registers, self.precision))

    def to_bytes(self) -> bytes:
        """Serialize: kind, precision, then sorted little-endian hashes or the registers."""
        head = bytes((_EXACT if self._hashes is not None else _DENSE, self.precision))
        if self._hashes is not None:
            return head + array("Q", sorted(self._hashes)).tobytes()
        assert self._registers is not None
        return head + bytes(self._registers)

    @classmethod
    def from_bytes(cls, data: bytes, exact_limit: int | None = EXACT_LIMIT) -> Sketch:
        """Read a sketch written by :meth:`to_bytes`."""
        if len(data) < 2 or data[0] not in (_EXACT, _DENSE):
            raise SketchError("not a sketch")
        sketch = cls(data[1], exact_limit)
        body = data[2:]
        if data[0] == _EXACT:
            if len(body) % 8:
                raise SketchError("a truncated sketch")
            hashes = array("Q")
            hashes.frombytes(body)
            sketch._hashes = set(hashes)
        else:
            if len(body) != 1 << sketch.precision:
                raise SketchError("a truncated sketch")
            sketch._hashes, sketch._registers = None, bytearray(body)
        return sketch

    def _densify(self) -> None:
        self._densify_from(self._hashes or set())

    def _densify_from(self, hashes: set[int]) -> None:
        self._hashes, self._registers = None, bytearray(1 << self.precision)
        self._add_dense(hashes)

    def _add_dense(self, hashes: Iterable[int]) -> None:
        regs = self._registers
        assert regs is not None
        q = 64 - self.precision
        low = (1 << q) - 1
        for h in hashes:
            i = h >> q
            rank = q - (h & low).bit_length() + 1  # leading zeros of the low q bits, + 1
            if regs[i] < rank:
                regs[i] = rank


def _estimate(registers: bytearray, precision: int) -> float:
    m = 1 << precision
    q = 64 - precision
    counts = [registers.count(k) for k in range(q + 2)]
    z = m * _tau(1 - counts[q + 1] / m)
    for k in range(q, 0, -1):
        z = 0.5 * (z + counts[k])
    z += m * _sigma(counts[0] / m)
    return m * m / (2 * math.log(2) * z)


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        before = z
        z += x * y
        y += y
        if z == before:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        before = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if z == before:
            return z / 3
