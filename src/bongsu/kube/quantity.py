"""Kubernetes resource quantities ("100m", "256Mi", "1e3") as numbers, and back as text.

CPU quantities become cores (``"250m"`` → 0.25), memory quantities bytes
(``"256Mi"`` → 268435456). The grammar is the API's: a signed decimal number, then an
optional binary suffix (Ki … Ei), decimal SI suffix (n u m k M G T P E) or exponent
(``e3``/``E3``). ``"1E"`` is one exa, ``"1E3"`` one thousand, as in the API.

Example::

    >>> parse_quantity("256Mi"), parse_quantity("100m"), parse_quantity("1e3")
    (268435456.0, 0.1, 1000.0)
    >>> format_bytes(268435456.0), format_cores(0.25)
    ('256 MiB', '250m')
"""

from __future__ import annotations

import math
import re

_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
           "Ei": 2.0**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9,
            "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(
    r"^\s*(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"(?:(?P<binary>[KMGTPE]i)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]?))\s*$")


def parse_quantity(value: object) -> float | None:
    """A quantity string (or a bare number) as a float; None when absent or malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if match is None:
        return None
    number = float(match["number"])
    if match["binary"]:
        result = number * _BINARY[match["binary"]]
    elif match["exponent"]:
        try:
            result = number * 10.0 ** int(match["exponent"][1:])
        except OverflowError:
            return None
    else:
        result = number * _DECIMAL[match["decimal"] or ""]
    return result if math.isfinite(result) else None


def format_bytes(value: float) -> str:
    """Bytes the way a summary shows them: MiB below 1 GiB, GiB above (``"1.5 GiB"``)."""
    if value >= 2**30:
        return f"{_trim(value / 2**30)} GiB"
    if value >= 2**20 or value == 0:
        return f"{_trim(value / 2**20)} MiB"
    return f"{_trim(value / 2**10)} KiB"


def format_cores(value: float) -> str:
    """Cores the way a summary shows them: millicores below one core (``"250m"``)."""
    if value < 1:
        return f"{round(value * 1000)}m"
    return _trim(value)


def _trim(number: float) -> str:
    # One decimal is enough for a summary line; "256.0" reads worse than "256".
    rounded = round(number, 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded}"
